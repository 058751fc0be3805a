"""Links in content answers: the print's viewer URL (what its QR code encodes) and signed,
expiring download links for the portrait, the videos and their still frames (a storage backend
that delivers itself, S3, gives its own presigned URL)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.connections.routing import ManagedStorage, storage_for_company
from vertex_ar.content.models import ARContent, Video
from vertex_ar.content.schemas import ContentRead, VideoRead
from vertex_ar.core.settings import Settings
from vertex_ar.qr.service import viewer_url
from vertex_ar.viewer.media import MediaLinks
from vertex_ar.viewer.service import POSTER_MIME


class ContentLinks:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self._links: dict[int, MediaLinks] = {}  # per company: one answer, one expiry

    async def _for(self, company_id: int) -> MediaLinks:
        if company_id not in self._links:
            storage: ManagedStorage = await storage_for_company(
                self.session, self.settings, company_id
            )
            self._links[company_id] = MediaLinks(self.settings, storage, time.time())
        return self._links[company_id]

    async def videos(self, company_id: int, videos: Sequence[Video]) -> list[VideoRead]:
        links = await self._for(company_id)
        return [
            VideoRead.model_validate(video).model_copy(
                update={
                    "url": links.url(video.file_key, video.mime),
                    "thumbnail_url": links.url(video.thumbnail_key, POSTER_MIME)
                    if video.thumbnail_key
                    else None,
                }
            )
            for video in videos
        ]

    async def content(self, content: ARContent) -> ContentRead:
        links = await self._for(content.company_id)
        read = ContentRead.model_validate(content)
        return read.model_copy(
            update={
                "viewer_url": viewer_url(self.settings, content.unique_id),
                "portrait_url": links.url(content.portrait_key, content.portrait_mime),
                "links_expire_at": datetime.fromtimestamp(links.expires, UTC),
                "videos": await self.videos(content.company_id, content.videos),
            }
        )
