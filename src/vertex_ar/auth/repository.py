from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.auth.models import RevokedToken
from vertex_ar.core.db import upsert_insert, utcnow
from vertex_ar.core.security import TokenSession


class RevokedTokenRepository:
    """Tokens belong to no tenant: unscoped, like the login lookups."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_revoked(self, jti: str) -> bool:
        found = await self.session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti))
        return found is not None

    async def revoke(self, token: TokenSession) -> None:
        await self.session.execute(delete(RevokedToken).where(RevokedToken.expires_at <= utcnow()))
        insert = upsert_insert(self.session, RevokedToken).values(
            jti=token.jti, expires_at=token.expires_at
        )
        await self.session.execute(insert.on_conflict_do_nothing(index_elements=["jti"]))
