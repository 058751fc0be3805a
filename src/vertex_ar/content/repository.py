from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
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


def content_keys(content: ARContent) -> list[str]:
    """Every storage object that belongs to one AR content item."""
    keys = [content.portrait_key, content.marker_key, content.qr_key]
    for video in content.videos:
        keys += [video.file_key, video.thumbnail_key]
    return [k for k in keys if k]


async def media_keys_of_company(session: AsyncSession, company_id: int) -> list[str]:
    rows = await session.scalars(select(ARContent).where(ARContent.company_id == company_id))
    return [key for content in rows for key in content_keys(content)]
