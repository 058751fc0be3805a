"""Deactivating content whose expiry date has passed (a daily Beat job; idempotent)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.content.models import ARContent
from vertex_ar.core.db import utcnow


async def deactivate_expired(session: AsyncSession) -> int:
    """Returns how many items were switched off by this run."""
    result = await session.execute(
        update(ARContent)
        .where(ARContent.active.is_(True), ARContent.expires_at <= utcnow())
        .values(active=False, updated_at=utcnow())
    )
    await session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
