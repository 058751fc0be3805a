"""The public side of a content item: may it be shown, what plays now, and its view sessions."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.analytics.schemas import ViewSessionIn
from vertex_ar.analytics.service import record_view_session
from vertex_ar.content.models import MarkerStatus
from vertex_ar.core.clock import local_now
from vertex_ar.core.errors import AppError, NotFound, ServiceUnavailable
from vertex_ar.core.settings import Settings
from vertex_ar.rotation.cache import RotationCache
from vertex_ar.rotation.service import todays_video
from vertex_ar.viewer.answers import Answer, answer_of
from vertex_ar.viewer.media import MediaLinks
from vertex_ar.viewer.repository import PublicContent, PublicContentRepository
from vertex_ar.viewer.schemas import ActiveVideoRead

# unique_id is a UUID today; anything that cannot be one is refused before the database.
_UNIQUE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
MARKER_MIME = "application/octet-stream"
POSTER_MIME = "image/jpeg"


class Gone(AppError):
    status_code = 410
    code = "gone"


class NotReady(ServiceUnavailable):
    code = "not_ready"


class ViewerService:
    def __init__(
        self, session: AsyncSession, settings: Settings, cache: RotationCache | None
    ) -> None:
        self.session = session
        self.settings = settings
        self.cache = cache
        self.contents = PublicContentRepository(session)
        self.links = MediaLinks(session, settings)

    async def content(self, unique_id: str, now: datetime | None = None) -> PublicContent:
        """The content behind a printed code, if it may be shown: else 404 or 410."""
        content = None
        if _UNIQUE_ID.fullmatch(unique_id):
            content = await self.contents.by_unique_id(unique_id)
        if content is None:
            raise NotFound("this AR experience does not exist")
        if not content.active or not content.company_active:
            raise Gone("this AR experience has been switched off", details={"reason": "inactive"})
        if content.expires_at is not None and content.expires_at <= (now or datetime.now(UTC)):
            raise Gone(
                "this AR experience has expired",
                details={"reason": "expired", "expired_at": content.expires_at.isoformat()},
            )
        return content

    async def active_video(self, unique_id: str) -> Answer:
        """What to play now; 503 `not_ready` while the marker or a video is missing."""
        moment = datetime.now(UTC)  # one day and one link expiry for the whole answer
        content = await self.content(unique_id, moment)
        if content.marker_status is not MarkerStatus.ready or content.marker_key is None:
            raise NotReady(
                "this AR experience is not ready yet",
                details={"reason": "marker", "marker_status": content.marker_status.value},
            )
        video = await todays_video(self.session, self.cache, content.id, content.timezone, moment)
        if video is None:
            raise NotReady("this AR experience has no video yet", details={"reason": "no_video"})
        now = moment.timestamp()

        async def link(key: str, mime: str) -> str:
            return await self.links.url(content.company_id, key, mime, now)

        read = ActiveVideoRead(
            unique_id=content.unique_id,
            title=content.title,
            video_id=video.id,
            url=await link(video.file_key, video.mime),
            mime=video.mime,
            width=video.width,
            height=video.height,
            duration=video.duration_seconds,
            poster=(await link(video.thumbnail_key, POSTER_MIME) if video.thumbnail_key else None),
            marker_url=await link(content.marker_key, MARKER_MIME),
            target_width=content.portrait_width,
            target_height=content.portrait_height,
            urls_expire_at=datetime.fromtimestamp(self.links.expires(now), UTC),
        )
        day = local_now(content.timezone, moment).date()
        return answer_of(read, content.timezone, day, content.expires_at)

    async def record_session(
        self, unique_id: str, data: ViewSessionIn, user_agent: str | None
    ) -> None:
        content = await self.content(unique_id)
        await record_view_session(self.session, content.company_id, content.id, data, user_agent)
