"""AR content: creation with its files as one atomic unit, updates, deletion, marker re-queue."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import anyio
import structlog
from sqlalchemy import and_, not_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.audit.service import changed, record
from vertex_ar.connections.routing import RoutedStorage
from vertex_ar.content.media import (
    IMAGE_TYPES,
    VIDEO_TYPES,
    VideoInfo,
    clean_filename,
    validate_image,
    validate_video,
)
from vertex_ar.content.models import (
    DEFAULT_CHROMA_KEY_TOLERANCE,
    ARContent,
    MarkerStatus,
    Video,
    VideoStatus,
)
from vertex_ar.content.repository import ContentRepository
from vertex_ar.content.schemas import ContentFields, ContentUpdate, VideoUpdate
from vertex_ar.content.uploads import ReceivedFile
from vertex_ar.core.clock import utc_now
from vertex_ar.core.db import utcnow
from vertex_ar.core.errors import Conflict, InvalidInput, ServiceUnavailable
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.projects.repository import ProjectRepository
from vertex_ar.quotas.service import Addition, QuotaChecker
from vertex_ar.rotation.cache import invalidate_rotation
from vertex_ar.storage.base import StorageError, new_key
from vertex_ar.storage.transaction import StagedWrites
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.trash.operations import trash_content, trash_video

log = structlog.get_logger(__name__)

MAX_VIDEOS_PER_UPLOAD = 10
# Retry-After of a generate-marker refused while the broker is down.
QUEUE_RETRY_SECONDS = 30


async def _size(path: Path) -> int:
    return (await anyio.Path(path).stat()).st_size


@dataclass(frozen=True)
class ContentFilters:
    project_id: int | None = None
    marker_status: MarkerStatus | None = None
    search: str | None = None  # in the title, customer name/email/phone (case-insensitive)
    expires_before: datetime | None = None  # has an expiry date before this moment
    active: bool | None = None


class ContentService:
    def __init__(
        self,
        session: AsyncSession,
        subject: AuthSubject,
        settings: Settings,
        storage: RoutedStorage,
        tasks: TaskQueue,
    ) -> None:
        self.tasks = tasks
        self.session = session
        self.subject = subject
        self.settings = settings
        self.storage = storage
        self.repository = ContentRepository(session, subject)
        self.quotas = QuotaChecker(session, settings)

    async def find(
        self, filters: ContentFilters, page: PageParams
    ) -> tuple[Sequence[ARContent], int]:
        stmt = self.repository.select()
        if filters.project_id is not None:
            stmt = stmt.where(ARContent.project_id == filters.project_id)
        if filters.marker_status is not None:
            stmt = stmt.where(ARContent.marker_status == filters.marker_status)
        if filters.search:
            columns = (
                ARContent.title,
                ARContent.customer_name,
                ARContent.customer_email,
                ARContent.customer_phone,
            )
            stmt = stmt.where(or_(*(c.icontains(filters.search, autoescape=True) for c in columns)))
        if filters.expires_before is not None:
            stmt = stmt.where(ARContent.expires_at < filters.expires_before)
        if filters.active is not None:  # as the viewer sees it: expired is off
            live = and_(
                ARContent.active.is_(True),
                or_(ARContent.expires_at.is_(None), ARContent.expires_at > utc_now()),
            )
            stmt = stmt.where(live if filters.active else not_(live))
        return await self.repository.page(stmt, limit=page.limit, offset=page.offset)

    async def get(self, content_id: int) -> ARContent:
        return await self.repository.get(content_id)

    async def release_connection(self) -> None:
        """Give the database connection back to the pool before a long wait (an upload's body);
        the session takes one again on its next query."""
        await self.session.close()

    async def refuse_when_full(self, content_id: int | None = None) -> None:
        """Before an upload's body is read: a company already at a quota is refused at once
        (a new item for a company user's own company, or one more video for `content_id`)."""
        if content_id is not None:
            content = await self.repository.get(content_id)
            room = Addition(videos=1, bytes=1, content_id=content.id)
            await self.quotas.check(content.company_id, room)
        elif self.subject.company_id is not None:
            await self.quotas.check(self.subject.company_id, Addition(items=1, bytes=1))

    async def create(
        self, fields: ContentFields, portrait: ReceivedFile, videos: list[ReceivedFile]
    ) -> ARContent:
        """Validate the received files, store them, then commit the rows: all or nothing."""
        self.subject.require_editor()
        if len(videos) > MAX_VIDEOS_PER_UPLOAD:
            raise InvalidInput(f"at most {MAX_VIDEOS_PER_UPLOAD} videos per upload")
        project = await ProjectRepository(self.session, self.subject).get_active(fields.project_id)
        image = await anyio.to_thread.run_sync(
            validate_image, portrait.path, "portrait", self.settings.max_image_pixels
        )
        checked = [await self._validate_video(v) for v in videos]
        portrait_bytes = await _size(image.path)
        addition = Addition(
            items=1,
            videos=len(checked),
            bytes=portrait_bytes + sum(upload.size for upload, _ in checked),
        )
        await self.quotas.check(project.company_id, addition)  # before anything is stored
        async with StagedWrites(self.storage) as staged:
            content = ARContent(
                company_id=project.company_id,
                project_id=project.id,
                unique_id=str(uuid.uuid4()),
                title=fields.title,
                customer_name=fields.customer_name,
                customer_email=fields.customer_email,
                customer_phone=fields.customer_phone,
                tracking_smoothing=fields.tracking_smoothing,
                chroma_key_color=fields.chroma_key_color,
                chroma_key_tolerance=(
                    DEFAULT_CHROMA_KEY_TOLERANCE
                    if fields.chroma_key_tolerance is None
                    else fields.chroma_key_tolerance
                ),
                portrait_key=new_key(project.company_id, "portraits", IMAGE_TYPES[image.mime]),
                portrait_mime=image.mime,
                portrait_width=image.width,
                portrait_height=image.height,
                portrait_bytes=portrait_bytes,
                expires_at=await self.repository.in_company_zone(
                    fields.expires_at, project.company_id
                ),
                marker_status=MarkerStatus.pending,
                marker_lease_until=self._queue_lease(),
                videos=[],
            )
            await self._store(staged.put_file, content.portrait_key, image.path)
            for upload, info in checked:
                content.videos.append(await self._store_video(staged, content, upload, info))
            # Again, under the company's lock and in the inserting transaction: concurrent
            # uploads that each fit alone cannot pass the quota together.
            await self.quotas.check(project.company_id, addition, lock=True)
            self.session.add(content)
            await self.session.flush()
            record(self.session, self.subject, "create", kind="content", item_id=content.id,
                   company_id=content.company_id, label=content.title)  # fmt: skip
            await self.session.commit()
        log.info("content.created", content_id=content.id, videos=len(content.videos))
        await self._queue_marker(content)
        await self._queue_renditions(content.videos)
        return content

    async def update(self, content_id: int, data: ContentUpdate) -> ARContent:
        self.subject.require_editor()
        content = await self.repository.get(content_id)
        for field, value in data.model_dump(exclude_unset=True).items():
            if value is None and field in ("title", "active", "chroma_key_tolerance"):
                continue
            if field == "expires_at":
                value = await self.repository.in_company_zone(value, content.company_id)
            setattr(content, field, value)
        record(self.session, self.subject, "update", kind="content", item_id=content.id,
               company_id=content.company_id, label=changed(content.title, data))  # fmt: skip
        await self.session.commit()
        return content

    async def delete(self, content_id: int) -> None:
        """Move the item to the trash: the viewer answers 410 until it is restored; its media
        and analytics stay until the trash is purged."""
        self.subject.require_editor()
        content = await self.repository.get(content_id)
        trash_content(content, self.subject)
        record(self.session, self.subject, "delete", kind="content", item_id=content.id,
               company_id=content.company_id, label=content.title)  # fmt: skip
        await self.session.commit()
        log.info("content.trashed", content_id=content.id)

    async def add_videos(self, content_id: int, videos: list[ReceivedFile]) -> list[Video]:
        self.subject.require_editor()
        if not videos:
            raise InvalidInput("no video file in the request (field 'video')")
        if len(videos) > MAX_VIDEOS_PER_UPLOAD:
            raise InvalidInput(f"at most {MAX_VIDEOS_PER_UPLOAD} videos per upload")
        content = await self.repository.get(content_id)
        await ProjectRepository(self.session, self.subject).get_active(content.project_id)
        checked = [await self._validate_video(v) for v in videos]
        addition = Addition(
            videos=len(checked),
            bytes=sum(upload.size for upload, _ in checked),
            content_id=content.id,
        )
        await self.quotas.check(content.company_id, addition)
        async with StagedWrites(self.storage) as staged:
            added = [await self._store_video(staged, content, p, i) for p, i in checked]
            await self.quotas.check(content.company_id, addition, lock=True)
            content.videos.extend(added)
            await self.session.commit()
        await invalidate_rotation(self.settings, content.id)
        await self._queue_renditions(added)
        return added

    async def replace_portrait(self, content_id: int, portrait: ReceivedFile) -> ARContent:
        """Store a new portrait and queue its marker; the `unique_id` (and so the QR) stays.

        With a marker in place the new portrait waits beside the current one, which keeps serving
        until the compile succeeds (`marker_job` switches them); without one there is nothing to
        keep, so it replaces the portrait at once. A bad image changes nothing (4xx).
        """
        self.subject.require_editor()
        content = await self.repository.get(content_id)
        await ProjectRepository(self.session, self.subject).get_active(content.project_id)
        if content.marker_in_flight(utcnow()):
            raise Conflict(
                "a marker compile of this item is queued or running; replace the portrait when "
                "it has finished",
                details={"marker_status": content.marker_status.value},
            )
        image = await anyio.to_thread.run_sync(
            validate_image, portrait.path, "portrait", self.settings.max_image_pixels
        )
        key = new_key(content.company_id, "portraits", IMAGE_TYPES[image.mime])
        superseded = [k for k in (content.next_portrait_key,) if k]  # a replacement never compiled
        async with StagedWrites(self.storage) as staged:
            await self._store(staged.put_file, key, image.path)
            waiting: tuple[str | None, str | None, int | None, int | None] = (None,) * 4
            if content.marker_key is None:  # nothing serves yet: it is the portrait at once
                superseded.append(content.portrait_key)
                content.portrait_key = key
                content.portrait_mime = image.mime
                content.portrait_width = image.width
                content.portrait_height = image.height
            else:
                waiting = (key, image.mime, image.width, image.height)
            (content.next_portrait_key, content.next_portrait_mime,
             content.next_portrait_width, content.next_portrait_height) = waiting  # fmt: skip
            content.portrait_error = None
            content.marker_status = MarkerStatus.pending
            content.marker_error = None
            content.marker_claim = None  # a frozen worker that wakes up must not store its result
            content.marker_lease_until = self._queue_lease()
            record(self.session, self.subject, "replace-portrait", kind="content",
                   item_id=content.id, company_id=content.company_id,
                   label=content.title)  # fmt: skip
            await self.session.commit()
        for old in superseded:
            await self.storage.delete(old)
        log.info("content.portrait_replaced", content_id=content.id)
        await self._queue_marker(content)
        return content

    async def update_video(self, content_id: int, video_id: int, data: VideoUpdate) -> Video:
        self.subject.require_editor()
        content = await self.repository.get(content_id)
        video = await self.repository.video(content, video_id)
        if "label" in data.model_fields_set:
            video.label = data.label
        await self.session.commit()
        return video

    async def delete_video(self, content_id: int, video_id: int) -> None:
        self.subject.require_editor()
        content = await self.repository.get(content_id)
        video = await self.repository.video(content, video_id)
        trash_video(video, self.subject)
        record(self.session, self.subject, "delete", kind="video", item_id=video.id,
               company_id=content.company_id, label=content.title)  # fmt: skip
        await self.session.commit()
        self.session.expire(content, ["videos"])
        await invalidate_rotation(self.settings, content.id)

    async def requeue_marker(self, content_id: int) -> ARContent:
        """Queue a compile unless one is queued or running (idempotent); a compile whose lease
        lapsed (its worker died) is queued again."""
        self.subject.require_editor()
        content = await self.repository.get(content_id)
        if content.marker_in_flight(utcnow()):
            return content
        content.marker_status = MarkerStatus.pending
        content.marker_error = None
        content.marker_claim = None  # a frozen worker that wakes up must not store its result
        content.marker_lease_until = self._queue_lease()
        await self.session.commit()
        if not await self._queue_marker(content):
            raise ServiceUnavailable(
                "the task queue is unavailable; the compile is queued as soon as it is back",
                code="queue_unavailable",
                headers={"Retry-After": str(QUEUE_RETRY_SECONDS)},
            )
        return content

    def _queue_lease(self) -> datetime:
        return utcnow() + timedelta(seconds=self.settings.marker_queue_seconds)

    async def _validate_video(self, video: ReceivedFile) -> tuple[ReceivedFile, VideoInfo]:
        info = await anyio.to_thread.run_sync(
            validate_video, video.path, video.field, self.settings.max_video_pixels
        )
        return video, info

    async def _store_video(
        self, staged: StagedWrites, content: ARContent, upload: ReceivedFile, info: VideoInfo
    ) -> Video:
        path = upload.path
        file_key = new_key(content.company_id, "videos", VIDEO_TYPES[info.mime])
        thumbnail_key = new_key(content.company_id, "thumbnails", "jpg")
        video = Video(
            file_key=file_key,
            thumbnail_key=thumbnail_key,
            mime=info.mime,
            size_bytes=await _size(path),
            duration_seconds=info.duration_seconds,
            width=info.width,
            height=info.height,
            original_filename=clean_filename(upload.filename),
            codec=info.codec,
            original_playable=info.original_playable,
            status=VideoStatus.processing,
        )
        await self._store(staged.put_file, file_key, path)
        await self._store(staged.put_file, thumbnail_key, info.thumbnail)
        return video

    @staticmethod
    async def _store(put: Callable[[str, Path], Awaitable[str]], key: str, path: Path) -> None:
        try:
            await put(key, path)
        except StorageError as exc:
            raise ServiceUnavailable(f"media storage is unavailable: {exc}") from exc

    async def _queue_renditions(self, videos: Sequence[Video]) -> None:
        """A web rendition of each new video (`content.media_job`, on the `media` queue)."""
        for video in videos:
            try:
                await anyio.to_thread.run_sync(self.tasks.render_video, video.id)
            except Exception as exc:
                log.error("media.enqueue_failed", video_id=video.id, error=str(exc))
                video.status = VideoStatus.failed
                video.status_reason = (
                    f"could not queue the conversion ({exc.__class__.__name__}); "
                    "upload the video again"
                )
                await self.session.commit()

    async def _queue_marker(self, content: ARContent) -> bool:
        """Send the compile; False when the broker cannot be reached. The item then stays
        pending with a lapsed lease: a worker's sweep queues it once the broker answers again."""
        try:
            await anyio.to_thread.run_sync(self.tasks.compile_marker, content.id)
        except Exception as exc:
            log.error("marker.enqueue_failed", content_id=content.id, error=str(exc))
            content.marker_lease_until = utcnow()
            await self.session.commit()
            return False
        return True
