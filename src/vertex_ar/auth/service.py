from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.core.errors import Unauthorized
from vertex_ar.core.security import create_access_token, hash_password, verify_password
from vertex_ar.core.settings import Settings
from vertex_ar.users.repository import UserRepository

# Compared against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = hash_password("timing-equaliser")


class AuthService:
    """Logging in: before it there is no auth subject, so the service has none."""

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.users = UserRepository(session)

    async def login(self, email: str, password: str) -> str:
        user = await self.users.by_email(email)
        valid = verify_password(user.password_hash if user else _DUMMY_HASH, password)
        if user is None or not valid or not user.active:
            raise Unauthorized("wrong email or password")
        settings = self.settings
        return create_access_token(user.id, settings.secret_key, settings.access_token_minutes)
