"""The public side of a content item: may it be shown, what plays now, and its view sessions."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.analytics.schemas import ViewSessionIn
from vertex_ar.analytics.service import record_view_session
from vertex_ar.connections.routing import sessions_beside, storage_for_connection
from vertex_ar.content.models import VideoLayout, VideoStatus
from vertex_ar.content.schemas import rendition_of
from vertex_ar.core.clock import has_expired, local_now
from vertex_ar.core.errors import AppError, NotFound, ServiceUnavailable
from vertex_ar.core.settings import Settings
from vertex_ar.qr.service import viewer_url
from vertex_ar.rotation.service import choose_today
from vertex_ar.viewer.answers import Answer, answer_of
from vertex_ar.viewer.media import MediaLinks
from vertex_ar.viewer.repository import PublicContent, PublicContentRepository
from vertex_ar.viewer.schemas import ActiveVideoRead, ChromaKeyRead
from vertex_ar.viewer.tracking import filter_for

# unique_id is a UUID today; anything that cannot be one is refused before the database.
_UNIQUE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
MARKER_MIME = "application/octet-stream"
POSTER_MIME = "image/jpeg"
RENDITION_MIME = "video/mp4"


class Gone(AppError):
    status_code = 410
    code = "gone"


class NotReady(ServiceUnavailable):
    code = "not_ready"


def _showable(content: PublicContent | None, now: datetime | None) -> PublicContent:
    """The content if it may be shown: else 404 or 410."""
    if content is None:
        raise NotFound("this AR experience does not exist")
    if not content.active or not content.company_active:
        raise Gone("this AR experience has been switched off", details={"reason": "inactive"})
    if content.expires_at is not None and has_expired(content.expires_at, now):
        raise Gone(
            "this AR experience has expired",
            details={"reason": "expired", "expired_at": content.expires_at.isoformat()},
        )
    return content


class ViewerService:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.contents = PublicContentRepository(session)

    async def content(self, unique_id: str, now: datetime | None = None) -> PublicContent:
        """The content behind a printed code, if it may be shown: else 404 or 410."""
        content = None
        if _UNIQUE_ID.fullmatch(unique_id):
            content = await self.contents.by_unique_id(unique_id)
        return _showable(content, now)

    async def active_video(self, unique_id: str) -> Answer:
        """What to play now; 503 `not_ready` while the marker or a video is missing.

        One query (the content with its connection, rule and videos). The rotation choice is
        worked out here, not looked up in the rotation cache: it is a pure function of what the
        query read, cheaper than the cache's two Redis round trips, and the whole answer is kept
        for the day anyway (`answers`).
        """
        moment = datetime.now(UTC)  # one day and one link expiry for the whole answer
        scan = await self.contents.scan(unique_id) if _UNIQUE_ID.fullmatch(unique_id) else None
        content = _showable(scan.content if scan is not None else None, moment)
        assert scan is not None  # _showable raised otherwise
        # A stored marker serves whatever its status: while a replacement portrait compiles (or
        # after its compile failed) the current one is still right for the print.
        if content.marker_key is None:
            raise NotReady(
                "this AR experience is not ready yet",
                details={"reason": "marker", "marker_status": content.marker_status.value},
            )
        video = await choose_today(
            None, content.id, content.timezone, scan.rule, scan.videos, moment
        )
        if video is None:
            raise NotReady("this AR experience has no video yet", details={"reason": "no_video"})
        storage = storage_for_connection(
            self.settings, scan.connection, sessions_beside(self.session)
        )
        links = MediaLinks(self.settings, storage, moment.timestamp())
        min_cf, beta = filter_for(content.tracking_smoothing)
        thumbnail = links.url(video.thumbnail_key, POSTER_MIME) if video.thumbnail_key else None
        chroma_key = None
        if content.chroma_key_color is not None:
            chroma_key = ChromaKeyRead(
                color=content.chroma_key_color, tolerance=content.chroma_key_tolerance
            )
        rendition = rendition_of(video) if video.status is VideoStatus.ready else None
        if rendition is not None and video.rendition_key is not None:
            played = {
                "playable": True,
                "url": links.url(video.rendition_key, RENDITION_MIME),
                "mime": RENDITION_MIME,
                "width": rendition.width,
                "height": rendition.height,
                "layout": video.layout,
            }
        else:  # being made, failed, or a video from before renditions: the upload itself
            played = {
                "playable": video.original_playable,
                "url": links.url(video.file_key, video.mime),
                "mime": video.mime,
                "width": video.width,
                "height": video.height,
                "layout": VideoLayout.plain,
            }
        read = ActiveVideoRead(
            unique_id=content.unique_id,
            title=content.title,
            company_name=content.company_name,
            viewer_url=viewer_url(self.settings, content.unique_id, content.public_base_url),
            logo=(
                f"/ar/{content.unique_id}/logo?v={content.logo_digest}"
                if content.logo_digest
                else None
            ),
            accent_color=content.accent_color,
            start_text=content.start_text,
            video_id=video.id,
            status=video.status,
            duration=video.duration_seconds,
            chroma_key=chroma_key,
            rendition=rendition,
            poster=thumbnail,
            poster_url=links.url(video.poster_key, POSTER_MIME) if video.poster_key else thumbnail,
            **played,
            marker_url=links.url(content.marker_key, MARKER_MIME),
            target_width=content.portrait_width,
            target_height=content.portrait_height,
            filter_min_cf=min_cf,
            filter_beta=beta,
            urls_expire_at=datetime.fromtimestamp(links.expires, UTC),
        )
        day = local_now(content.timezone, moment).date()
        return answer_of(read, content.timezone, day, content.expires_at)

    async def logo(self, unique_id: str) -> tuple[bytes, str, str]:
        """The logo of the company behind a print that may be shown (404 when it has none)."""
        content = await self.content(unique_id)
        logo = await self.contents.logo(content.company_id)
        if logo is None:
            raise NotFound("this company has no logo")
        return logo

    async def record_session(
        self, unique_id: str, data: ViewSessionIn, user_agent: str | None
    ) -> None:
        content = await self.content(unique_id)
        await record_view_session(self.session, content.company_id, content.id, data, user_agent)
