from __future__ import annotations

import hashlib

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.auth.repository import RevokedTokenRepository
from vertex_ar.core.errors import Forbidden, Unauthorized
from vertex_ar.core.security import (
    TokenBinding,
    create_access_token,
    decode_access_token,
    token_session,
    unknown_user_hash,
    verify_password_off_loop,
)
from vertex_ar.core.settings import Settings
from vertex_ar.users.models import User
from vertex_ar.users.repository import UserRepository
from vertex_ar.viewer.ratelimit import RateLimiter


def binding_of(user: User) -> TokenBinding:
    return TokenBinding(user.id, user.token_version, user.role.value, user.company_id)


class AuthService:
    """Logging in: before it there is no auth subject, so the service has none."""

    def __init__(self, session: AsyncSession, settings: Settings, limiter: RateLimiter) -> None:
        self.session = session
        self.settings = settings
        self.limiter = limiter
        self.users = UserRepository(session)

    async def login(self, email: str, password: str, client_ip: str) -> str:
        # Both buckets are charged before the password is looked at: once an account is being
        # guessed at, even the right password waits, so the answer tells the guesser nothing.
        await self.limiter.check("login_ip", client_ip)
        account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        await self.limiter.check("login_account", account)
        user = await self.users.by_email(email)
        valid = await verify_password_off_loop(
            user.password_hash if user else unknown_user_hash(), password
        )
        if user is None or not valid or not user.active:
            raise Unauthorized("wrong email or password")
        if not await self.users.company_active(user):
            raise Forbidden("your company's account is suspended; contact the platform operator")
        settings = self.settings
        return create_access_token(
            binding_of(user), settings.secret_key, settings.access_token_minutes
        )

    async def logout(self, token: str) -> None:
        """End this one token (the account's other sessions stay). A token that is already
        invalid or expired needs nothing."""
        claims = decode_access_token(token, self.settings.secret_key)
        issued = token_session(claims) if claims is not None else None
        if issued is not None:
            await RevokedTokenRepository(self.session).revoke(issued)
            await self.session.commit()
