"""Making one video's web rendition: original from storage → ffmpeg → rendition + poster → storage.

Idempotent: a video that is no longer `processing` (ready, failed) or already has a rendition is
left alone. The result is recorded only if the row is still waiting for it; when it is not (the
video was purged meanwhile, or another delivery finished first) the files just stored are
deleted again, so a rendition never outlives its row. The video's status says how it ended:
`ready`, or `failed` with the reason (a corrupt stream, an unsupported codec).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import anyio
import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.connections.routing import storage_for_company
from vertex_ar.content.models import ARContent, Video, VideoLayout, VideoStatus
from vertex_ar.content.renditions import Rendition, RenditionCaps, RenditionError, make_rendition
from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import Storage, new_key
from vertex_ar.storage.transaction import StagedWrites

log = structlog.get_logger(__name__)


class RenditionDiscarded(Exception):
    """The row no longer waits for this rendition: the files stored for it go again."""


def caps_of(settings: Settings) -> RenditionCaps:
    return RenditionCaps(
        max_side=settings.media_max_side,
        max_bitrate=settings.media_max_bitrate,
        max_fps=settings.media_max_fps,
        timeout_seconds=settings.media_timeout_seconds,
    )


def _waiting(video_id: int) -> Any:
    return (
        (Video.id == video_id)
        & (Video.status == VideoStatus.processing)
        & Video.rendition_key.is_(None)
    )


async def _render(storage: Storage, key: str, caps: RenditionCaps, folder: Path) -> Rendition:
    source = folder / "original"
    await storage.download_to(key, source)
    return await anyio.to_thread.run_sync(make_rendition, source, folder, caps)


async def render_video(
    session: AsyncSession, settings: Settings, video_id: int
) -> VideoStatus | None:
    """Make and store the rendition; returns the final status, or None when there was nothing
    to do. Storage and database errors propagate so that the task can retry them."""
    row = (
        await session.execute(
            select(Video.file_key, ARContent.company_id)
            .join(ARContent, ARContent.id == Video.content_id)
            .where(_waiting(video_id))
        )
    ).one_or_none()
    if row is None:
        return None
    file_key, company_id = row
    storage = await storage_for_company(session, settings, company_id)
    await session.commit()  # no transaction held open through the conversion
    with tempfile.TemporaryDirectory(prefix="rendition-") as folder:
        try:
            rendition = await _render(storage, file_key, caps_of(settings), Path(folder))
        except RenditionError as exc:
            return await _fail(session, video_id, str(exc))
        try:
            async with StagedWrites(storage) as staged:
                rendition_key = await staged.put_file(
                    new_key(company_id, "renditions", "mp4"), rendition.video
                )
                poster_key = await staged.put_file(
                    new_key(company_id, "posters", "jpg"), rendition.poster
                )
                await _finish(
                    session,
                    video_id,
                    status=VideoStatus.ready,
                    status_reason=None,
                    layout=VideoLayout(rendition.layout),
                    rendition_key=rendition_key,
                    rendition_width=rendition.width,
                    rendition_height=rendition.height,
                    rendition_bitrate=rendition.bitrate,
                    rendition_size_bytes=rendition.size_bytes,
                    poster_key=poster_key,
                )
        except RenditionDiscarded:
            log.info("media.rendition_discarded", video_id=video_id)
            return None
    log.info(
        "media.rendition_ready",
        video_id=video_id,
        width=rendition.width,
        height=rendition.height,
        bitrate=rendition.bitrate,
        layout=rendition.layout,
    )
    return VideoStatus.ready


async def _finish(session: AsyncSession, video_id: int, **values: Any) -> None:
    result = await session.execute(
        update(Video)
        .where(_waiting(video_id))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if int(getattr(result, "rowcount", 0) or 0) != 1:
        await session.rollback()
        raise RenditionDiscarded
    await session.commit()


async def _fail(session: AsyncSession, video_id: int, reason: str) -> VideoStatus | None:
    try:
        await _finish(session, video_id, status=VideoStatus.failed, status_reason=reason)
    except RenditionDiscarded:
        return None
    log.warning("media.rendition_failed", video_id=video_id, reason=reason)
    return VideoStatus.failed


async def mark_failed(session: AsyncSession, video_id: int, reason: str) -> None:
    """Record a final failure after the task's retries are used up (or it could not be queued)."""
    await _fail(session, video_id, reason)
