"""Deactivating content whose expiry date has passed (a daily Beat job; idempotent)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.content.models import ARContent
from vertex_ar.core.db import utcnow

SwitchedOff = Callable[[AsyncSession, Sequence[int]], Awaitable[None]]


async def deactivate_expired(
    session: AsyncSession, on_switched_off: SwitchedOff | None = None
) -> int:
    """Returns how many items were switched off by this run.

    `on_switched_off(session, ids)` runs in the same transaction (the notifications' record of
    the items): each item is switched off by one run only, and told about in the same commit.
    """
    result = await session.execute(
        update(ARContent)
        .where(ARContent.active.is_(True), ARContent.expires_at <= utcnow())
        .values(active=False, updated_at=utcnow())
        .returning(ARContent.id)
        .execution_options(synchronize_session=False)
    )
    ids = list(result.scalars().all())
    if ids and on_switched_off is not None:
        await on_switched_off(session, ids)
    await session.commit()
    return len(ids)
