from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.content.models import ARContent, Video
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


def content_keys(content: ARContent) -> list[str]:
    """Every storage object that belongs to one AR content item."""
    keys = [content.portrait_key, content.marker_key, content.qr_key]
    for video in content.videos:
        keys += [video.file_key, video.thumbnail_key]
    return [k for k in keys if k]


async def media_keys_of_company(session: AsyncSession, company_id: int) -> list[str]:
    rows = await session.scalars(select(ARContent).where(ARContent.company_id == company_id))
    return [key for content in rows for key in content_keys(content)]
