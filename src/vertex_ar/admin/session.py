"""The browser session: the API's own access token in an HttpOnly cookie, and CSRF tokens.

The cookie carries exactly the token `POST /api/auth/login` returns and is checked by the API's
own `current_subject`, so every rule that revokes a bearer token revokes the session too.

CSRF: a random value in a second cookie; every form carries an HMAC of it (double submit, the
form token bound to the secret key). Cross-site pages can neither read the cookie nor forge the
HMAC, and SameSite keeps the session cookie off cross-site posts as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.auth.dependencies import current_subject
from vertex_ar.core.errors import AppError, Forbidden
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject

SESSION_COOKIE = "vertex_session"
CSRF_COOKIE = "vertex_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_CSRF_CONTEXT = b"vertex-ar admin csrf v1\x00"


class LoginRequired(Exception):
    """No valid session: the page sends the browser to the login form."""


class CsrfFailed(Forbidden):
    code = "csrf_failed"


def _secure(settings: Settings) -> bool:
    return settings.env == "production"


def set_session(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.access_token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=_secure(settings),
        path="/",
    )


def clear_session(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(settings), path="/"
    )


async def session_subject(
    request: Request, session: AsyncSession, settings: Settings
) -> AuthSubject:
    """The caller behind the session cookie, by the API's own token rules."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired
    try:
        return await current_subject(
            session, settings, HTTPAuthorizationCredentials(scheme="Bearer", credentials=token)
        )
    except AppError as exc:
        if exc.status_code == 401:
            raise LoginRequired from exc
        raise


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/admin/login?next=" + quote(target, safe="")


def _mac(settings: Settings, value: str) -> str:
    key = hashlib.sha256(_CSRF_CONTEXT + settings.secret_key.encode("utf-8")).digest()
    return hmac.new(key, value.encode("ascii"), hashlib.sha256).hexdigest()


def csrf_token(request: Request, settings: Settings) -> str:
    """The form token of this browser; a new browser gets its cookie with the response."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not value or len(value) > 64 or not value.isalnum():
        value = secrets.token_hex(16)
        request.state.new_csrf = value
    return _mac(settings, value)


def issue_csrf_cookie(request: Request, response: Response, settings: Settings) -> None:
    value = getattr(request.state, "new_csrf", None)
    if value:
        response.set_cookie(
            CSRF_COOKIE, value, httponly=True, samesite="strict", secure=_secure(settings), path="/"
        )


def check_csrf(request: Request, settings: Settings, submitted: str | None) -> None:
    value = request.cookies.get(CSRF_COOKIE)
    submitted = submitted or request.headers.get(CSRF_HEADER)
    if (
        not value
        or not submitted
        or not value.isalnum()
        or not hmac.compare_digest(submitted, _mac(settings, value))
    ):
        raise CsrfFailed("This form has expired. Reload the page and try again.")
