"""Password hashing (argon2) and access tokens (JWT, HS256)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

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
    global _hasher
    _hasher = PasswordHasher.from_parameters(_PROFILES[settings.password_hash_profile])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_access_token(user_id: int, secret: str, minutes: int) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "typ": _ACCESS,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    return jwt.encode(claims, secret, algorithm=_ALGORITHM)


def decode_access_token(token: str, secret: str) -> dict[str, Any] | None:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=[_ALGORITHM], options={"require": ["sub", "exp", "typ"]}
        )
    except jwt.PyJWTError:
        return None
    # Other tokens signed with the same key (signed links, OAuth state) never log anyone in.
    return claims if claims["typ"] == _ACCESS else None
