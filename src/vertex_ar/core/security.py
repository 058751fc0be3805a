"""Password hashing (argon2) and access tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import jwt
from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST, RFC_9106_LOW_MEMORY

from vertex_ar.core.db import utcnow
from vertex_ar.core.settings import PasswordHashProfile, Settings

_PROFILES: dict[PasswordHashProfile, Parameters] = {
    "strong": RFC_9106_LOW_MEMORY,
    "cheap": CHEAPEST,
}
_hasher = PasswordHasher.from_parameters(_PROFILES["strong"])
_ALGORITHM = "HS256"
_ACCESS = "access"


def configure_password_hashing(settings: Settings) -> None:
    """Cost of the hashes this process makes from now on (a hash carries its own parameters, so
    verifying works whatever the profile was when it was made)."""
    global _hasher, _unknown_user_hash
    _hasher = PasswordHasher.from_parameters(_PROFILES[settings.password_hash_profile])
    _unknown_user_hash = None


_unknown_user_hash: str | None = None


def unknown_user_hash() -> str:
    """Verified when the email is unknown, so that both failures take the same time (the hash
    has the current cost, as the users' own hashes do)."""
    global _unknown_user_hash
    if _unknown_user_hash is None:
        _unknown_user_hash = hash_password("timing-equaliser")
    return _unknown_user_hash


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_off_loop(password: str) -> str:
    """Hashing takes tens of milliseconds of CPU and 64 MiB: in a worker thread, so the event
    loop keeps serving other requests meanwhile."""
    return await anyio.to_thread.run_sync(hash_password, password)


async def verify_password_off_loop(password_hash: str, password: str) -> bool:
    return await anyio.to_thread.run_sync(verify_password, password_hash, password)


@dataclass(frozen=True)
class TokenBinding:
    """The account state a token was issued for; any change of it ends the token."""

    user_id: int
    version: int
    role: str
    company_id: int | None


def create_access_token(binding: TokenBinding, secret: str, minutes: int) -> str:
    now = utcnow()
    claims = {
        "sub": str(binding.user_id),
        "ver": binding.version,
        "role": binding.role,
        "cid": binding.company_id,
        "typ": _ACCESS,
        "jti": secrets.token_hex(16),  # names this one session, so logging out can end it alone
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def decode_access_token(token: str, secret: str) -> dict[str, Any] | None:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[_ALGORITHM],
            options={"require": ["sub", "exp", "typ", "ver", "role", "jti"]},
        )  # fmt: skip
    except jwt.PyJWTError:
        return None
    # Other tokens signed with the same key (signed links, OAuth state) never log anyone in.
    return claims if claims["typ"] == _ACCESS else None


def token_binding(claims: dict[str, Any]) -> TokenBinding | None:
    try:
        return TokenBinding(int(claims["sub"]), int(claims["ver"]), str(claims["role"]),
                            None if claims.get("cid") is None else int(claims["cid"]))  # fmt: skip
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class TokenSession:
    """One issued token: its own id and when it ends by itself."""

    jti: str
    expires_at: datetime


def token_session(claims: dict[str, Any]) -> TokenSession | None:
    try:
        return TokenSession(str(claims["jti"]), datetime.fromtimestamp(int(claims["exp"]), UTC))
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
