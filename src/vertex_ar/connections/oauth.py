"""Connecting a Yandex Disk through OAuth (authorization code flow).

`authorize` (superadmin, bearer token) answers Yandex's authorize URL with a `state`: a signed,
10-minute token naming the superadmin and what to create, plus a random nonce that is also set as
an HttpOnly cookie. The callback (a browser redirect, no bearer token) accepts the code only when
the state's signature and expiry hold and its nonce equals the cookie's: a callback forged by
another site carries no such cookie (CSRF), a replayed or edited state fails the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from fastapi import Response
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.connections.models import StorageConnection, StorageKind
from vertex_ar.connections.repository import ConnectionRepository
from vertex_ar.connections.routing import split_config, yandex_oauth
from vertex_ar.connections.schemas import ConnectionCreate, YandexDiskConfig
from vertex_ar.connections.service import ConnectionService, validate_config
from vertex_ar.core.errors import Forbidden, InvalidInput, ServiceUnavailable
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject, Role
from vertex_ar.storage.base import StorageError
from vertex_ar.storage.yandex_disk import YandexOAuth
from vertex_ar.users.models import User

STATE_COOKIE = "vertex_ar_yandex_oauth"
CALLBACK_PATH = "/api/oauth/yandex"  # the state cookie goes to the callback only
STATE_MINUTES = 10
_PURPOSE = "yandex-disk-oauth"


@dataclass(frozen=True)
class AuthorizeRequest:
    connection_id: int | None
    name: str | None
    base_folder: str


def _state_key(settings: Settings) -> bytes:
    """A key of its own: a state must never verify as an access token (same SECRET_KEY, JWT)."""
    return hmac.new(settings.secret_key.encode(), _PURPOSE.encode(), hashlib.sha256).digest()


def redirect_uri(settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}{CALLBACK_PATH}/callback"


def set_state_cookie(response: Response, settings: Settings, nonce: str) -> None:
    """Binds the state to this browser: the callback refuses a state without its nonce."""
    response.set_cookie(
        STATE_COOKIE,
        nonce,
        max_age=STATE_MINUTES * 60,
        path=CALLBACK_PATH,
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
    )


def _oauth(settings: Settings) -> YandexOAuth:
    oauth = yandex_oauth(settings)
    if not oauth.configured:
        raise ServiceUnavailable(
            "Yandex OAuth is not configured: set YANDEX_CLIENT_ID and YANDEX_CLIENT_SECRET"
        )
    return oauth


async def authorize(
    session: AsyncSession, settings: Settings, subject: AuthSubject, request: AuthorizeRequest
) -> tuple[str, str, str]:
    """(authorize URL, state, nonce for the cookie)."""
    subject.require_superadmin()
    if request.connection_id is not None:
        connection = await ConnectionRepository(session).get(request.connection_id)
        if connection.kind is not StorageKind.yandex_disk:
            raise InvalidInput(f"storage connection {connection.id} is not a Yandex Disk")
    elif not request.name:
        raise InvalidInput("name (of the new connection) or connection_id is required")
    validate_config(StorageKind.yandex_disk, {"token": "-", "base_folder": request.base_folder})
    nonce = secrets.token_urlsafe(24)
    claims = {
        "purpose": _PURPOSE,
        "uid": subject.user_id,
        "nonce": nonce,
        "connection_id": request.connection_id,
        "name": request.name,
        "base_folder": request.base_folder,
        "exp": datetime.now(UTC) + timedelta(minutes=STATE_MINUTES),
    }
    state = jwt.encode(claims, _state_key(settings), algorithm="HS256")
    return _oauth(settings).authorize_url(redirect_uri(settings), state), state, nonce


def _verify_state(settings: Settings, state: str, cookie_nonce: str | None) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(state, _state_key(settings), algorithms=["HS256"])
    except jwt.PyJWTError as exc:
        raise Forbidden("OAuth state is invalid or expired; start again") from exc
    if claims.get("purpose") != _PURPOSE:
        raise Forbidden("OAuth state is invalid or expired; start again")
    if not cookie_nonce or not hmac.compare_digest(str(claims.get("nonce")), cookie_nonce):
        raise Forbidden("OAuth state does not belong to this browser (CSRF check failed)")
    return claims


async def callback(
    session: AsyncSession,
    settings: Settings,
    *,
    code: str | None,
    state: str | None,
    error: str | None,
    cookie_nonce: str | None,
) -> StorageConnection:
    """Check the state, exchange the code, and create or update the connection."""
    if not state:
        raise Forbidden("OAuth state is missing")
    claims = _verify_state(settings, state, cookie_nonce)
    if error:
        raise InvalidInput(f"Yandex refused the authorization: {error}")
    if not code:
        raise InvalidInput("the authorization code is missing")
    user = await session.get(User, int(claims["uid"]))
    if user is None or not user.active or user.role is not Role.superadmin:
        raise Forbidden("only an active superadmin may connect a Yandex Disk")
    subject = AuthSubject(user.id, user.email, user.role, user.company_id)
    try:
        tokens = await _oauth(settings).exchange_code(code)
    except StorageError as exc:
        raise ServiceUnavailable(f"Yandex OAuth code exchange failed: {exc}") from exc
    config = YandexDiskConfig(
        token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        base_folder=claims["base_folder"],
    ).model_dump()
    service = ConnectionService(session, subject, settings)
    if claims.get("connection_id") is None:
        return await service.create(
            ConnectionCreate(name=claims["name"], kind=StorageKind.yandex_disk, config=config)
        )
    connection = await service.get(int(claims["connection_id"]))
    connection.config, connection.secrets_token = split_config(
        settings, StorageKind.yandex_disk, config
    )
    await session.commit()
    return connection
