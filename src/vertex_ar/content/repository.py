from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, Video
from vertex_ar.core.clock import zone
from vertex_ar.core.errors import NotFound
from vertex_ar.core.tenancy import ScopedRepository


class ContentRepository(ScopedRepository[ARContent]):
    model = ARContent
    label = "AR content"

    async def video(self, content: ARContent, video_id: int) -> Video:
        for video in content.videos:
            if video.id == video_id:
                return video
        raise NotFound(f"video {video_id} not found")

    async def in_company_zone(self, moment: datetime | None, company_id: int) -> datetime | None:
        """In UTC; a time without a zone (or a bare date: its midnight) is company time."""
        if moment is None:
            return None
        if moment.tzinfo is None:
            timezone = await self.session.scalar(
                select(Company.timezone).where(Company.id == company_id)
            )
            moment = moment.replace(tzinfo=zone(timezone or "UTC"))
        return moment.astimezone(UTC)


async def media_keys(session: AsyncSession, *where: ColumnElement[bool]) -> list[str]:
    """Every storage object of the content items matching `where`, in the trash or not (their
    trashed videos included): what a purge deletes and a storage migration copies."""
    keys: list[str | None] = []
    items = await session.execute(
        select(ARContent.portrait_key, ARContent.next_portrait_key, ARContent.marker_key).where(
            *where
        )
    )
    for item in items.all():
        keys += item
    videos = await session.execute(
        select(Video.file_key, Video.thumbnail_key, Video.rendition_key, Video.poster_key)
        .join(ARContent, ARContent.id == Video.content_id)
        .where(*where)
    )
    for video in videos.all():
        keys += video
    return [k for k in keys if k]


async def media_keys_of_company(session: AsyncSession, company_id: int) -> list[str]:
    return await media_keys(session, ARContent.company_id == company_id)
