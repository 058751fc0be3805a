"""Deactivating content whose expiry date has passed (a daily Beat job; idempotent)."""

from __future__ import annotations

from sqlalchemy import update

from vertex_ar.content.models import ARContent
from vertex_ar.core.db import Database, utcnow
from vertex_ar.core.settings import Settings


async def deactivate_expired(settings: Settings) -> int:
    """Returns how many items were switched off by this run."""
    database = Database(settings.database_url, pooled=False)
    try:
        async with database.sessions() as session:
            result = await session.execute(
                update(ARContent)
                .where(ARContent.active.is_(True), ARContent.expires_at <= utcnow())
                .values(active=False, updated_at=utcnow())
            )
            await session.commit()
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
    finally:
        await database.dispose()
