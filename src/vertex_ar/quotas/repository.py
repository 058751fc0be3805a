"""What a company uses, counted from its rows (no counter to drift), and the lock that makes a
check and the insert it allows one step."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.content.models import ARContent, Video


class UsageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_company(self, company_id: int) -> None:
        """Serialize quota checks of one company until the transaction ends: a row lock on
        PostgreSQL, the database's write lock on SQLite (taken by this first write)."""
        await self.session.execute(
            text("UPDATE companies SET id = id WHERE id = :id"), {"id": company_id}
        )

    async def storage_bytes(self, company_id: int) -> int:
        """Portraits and videos as stored, trashed ones included (their files are kept)."""
        portraits = await self.session.scalar(
            select(func.coalesce(func.sum(ARContent.portrait_bytes), 0)).where(
                ARContent.company_id == company_id
            )
        )
        videos = await self.session.scalar(
            select(func.coalesce(func.sum(Video.size_bytes), 0))
            .join(ARContent, ARContent.id == Video.content_id)
            .where(ARContent.company_id == company_id)
        )
        return int(portraits or 0) + int(videos or 0)

    async def content_items(self, company_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(ARContent)
            .where(ARContent.company_id == company_id, ARContent.deleted_at.is_(None))
        )
        return int(count or 0)

    async def videos_of(self, content_id: int) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(Video)
            .where(Video.content_id == content_id, Video.deleted_at.is_(None))
        )
        return int(count or 0)

    async def most_videos(self, company_id: int) -> int:
        per_item = (
            select(func.count().label("videos"))
            .select_from(Video)
            .join(ARContent, ARContent.id == Video.content_id)
            .where(
                ARContent.company_id == company_id,
                ARContent.deleted_at.is_(None),
                Video.deleted_at.is_(None),
            )
            .group_by(Video.content_id)
            .subquery()
        )
        most = await self.session.scalar(select(func.coalesce(func.max(per_item.c.videos), 0)))
        return int(most or 0)
