"""Rendering: one Jinja2 environment per language, the request context every page gets, and the
route class that turns "not logged in" and API errors into pages instead of JSON."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import structlog
from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.admin import assets, i18n
from vertex_ar.admin.session import (
    CSRF_HEADER,
    LoginRequired,
    csrf_token,
    issue_csrf_cookie,
    login_url,
    session_subject,
)
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import AppError
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject

log = structlog.get_logger(__name__)
TEMPLATES = Path(__file__).with_name("templates")
# Same-origin only; media may come from a storage backend's presigned https URL.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; media-src 'self' blob: https:; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


@lru_cache(maxsize=len(i18n.LOCALES))
def environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals["static_url"] = assets.OWN_FILES.url
    env.filters["datetime"] = _datetime
    env.filters["filesize"] = _filesize
    return env


def _datetime(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def _filesize(size: int | None) -> str:
    if size is None:
        return "—"
    amount = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} TB"


@dataclass
class Context:
    """What every admin page knows about its request."""

    request: Request
    settings: Settings
    session: AsyncSession
    locale: str
    subject: AuthSubject | None = None

    @property
    def user(self) -> AuthSubject:
        if self.subject is None:
            raise LoginRequired
        return self.subject

    @property
    def client_ip(self) -> str:
        return self.request.client.host if self.request.client else "unknown"

    def gettext(self, message: str, **variables: Any) -> str:
        text = i18n.translations(self.locale).gettext(message)
        return text % variables if variables else text

    def render(
        self,
        template: str,
        values: Mapping[str, Any] | None = None,
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        return render(self, template, values, status_code=status_code, headers=headers)


def locale_of(request: Request) -> str:
    return i18n.pick_locale(
        request.cookies.get(i18n.LANG_COOKIE), request.headers.get("accept-language")
    )


def render(
    ctx: Context,
    template: str,
    values: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    node_modules = ctx.settings.node_modules_dir
    page = environment(ctx.locale).get_template(template)
    html = page.render(
        {
            "request": ctx.request,
            "subject": ctx.subject,
            "locale": ctx.locale,
            "locales": i18n.LOCALES,
            "csrf_token": csrf_token(ctx.request, ctx.settings),
            "csrf_header": CSRF_HEADER,
            "path": ctx.request.url.path,
            "htmx_url": assets.vendor_url(node_modules, "htmx.org", "dist/htmx.min.js"),
            **(values or {}),
        }
    )
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    issue_csrf_cookie(ctx.request, response, ctx.settings)
    return response


async def public_context(request: Request, settings: SettingsDep, session: SessionDep) -> Context:
    return Context(request, settings, session, locale_of(request))


async def user_context(request: Request, settings: SettingsDep, session: SessionDep) -> Context:
    subject = await session_subject(request, session, settings)
    return Context(request, settings, session, locale_of(request), subject)


PublicCtx = Annotated[Context, Depends(public_context)]
Ctx = Annotated[Context, Depends(user_context)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def redirect(request: Request, url: str) -> Response:
    """A redirect that also works for HTMX requests (which would otherwise swap the target)."""
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


class AdminRoute(APIRoute):
    """Admin routes answer HTML: no session → the login page; an API error → an error page
    with its message (forms catch their own errors and show them next to the field)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired:
                return redirect(request, login_url(request))
            except AppError as exc:
                response = _error_page(request, exc)
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
            return response

        return handle


def _error_page(request: Request, exc: AppError) -> Response:
    settings: Settings = request.app.state.settings
    if wants_json(request):
        return JSONResponse({"message": exc.message}, status_code=exc.status_code)
    locale = locale_of(request)
    env = environment(locale)
    html = env.get_template("error.html").render(
        {
            "request": request,
            "subject": None,
            "locale": locale,
            "locales": i18n.LOCALES,
            "csrf_token": csrf_token(request, settings),
            "csrf_header": CSRF_HEADER,
            "path": request.url.path,
            "htmx_url": assets.vendor_url(
                settings.node_modules_dir, "htmx.org", "dist/htmx.min.js"
            ),
            "status": exc.status_code,
            "message": exc.message,
        }
    )
    headers = {"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"} if is_htmx(request) else {}
    if is_htmx(request):
        html = f'<p class="alert alert-error" role="alert">{escape(exc.message)}</p>'
    response = HTMLResponse(html, status_code=exc.status_code, headers=headers)
    issue_csrf_cookie(request, response, settings)
    return response
