"""Making one video's web rendition: original from storage → ffmpeg → rendition + poster.

Idempotent: a video whose rendition is ready is left alone; a retry after a crash starts over.
The original is never changed (it stays for download).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.connections.routing import storage_for_company
from vertex_ar.content.models import ARContent, Video, VideoStatus
from vertex_ar.core.settings import Settings
from vertex_ar.media.transcode import TranscodeError, make_rendition
from vertex_ar.storage.base import new_key
from vertex_ar.storage.transaction import StagedWrites

log = structlog.get_logger(__name__)

MAX_SIDE = 1280  # long side of a rendition, px
MAX_BITRATE = 2_500_000  # bits per second (video), VBV-capped


async def render_video(
    session: AsyncSession, settings: Settings, video_id: int
) -> VideoStatus | None:
    """Make and store the rendition; returns the final status (None if the video is gone).

    Storage and database errors propagate so that the task can retry them.
    """
    video = await session.get(Video, video_id)
    if video is None:
        return None
    if video.status is VideoStatus.ready and video.rendition_key:
        return video.status
    content = await session.get(ARContent, video.content_id)
    assert content is not None  # videos are deleted with their content
    company_id = content.company_id
    video.status = VideoStatus.processing
    video.status_reason = None
    await session.commit()

    storage = await storage_for_company(session, settings, company_id)
    with tempfile.TemporaryDirectory(prefix="rendition-") as tmp:
        folder = Path(tmp)
        original = folder / "original"
        await storage.download_to(video.file_key, original)
        try:
            rendition = await anyio.to_thread.run_sync(
                lambda: make_rendition(original, folder, max_side=MAX_SIDE, max_bitrate=MAX_BITRATE)
            )
        except TranscodeError as exc:
            video.status = VideoStatus.failed
            video.status_reason = str(exc)
            await session.commit()
            log.warning("rendition.failed", video_id=video_id, error=str(exc))
            return video.status
        old_keys = [k for k in (video.rendition_key, video.thumbnail_key) if k]
        async with StagedWrites(storage) as staged:
            video.rendition_key = await staged.put_file(
                new_key(company_id, "renditions", "mp4"), rendition.path
            )
            video.thumbnail_key = await staged.put_file(
                new_key(company_id, "thumbnails", "jpg"), rendition.poster
            )
            video.rendition_size_bytes = rendition.size
            video.rendition_bitrate = rendition.bitrate
            video.rendition_width = rendition.width
            video.rendition_height = rendition.height
            video.alpha_packing = rendition.alpha_packing
            video.status = VideoStatus.ready
            await session.commit()
    for key in old_keys:
        await storage.delete(key)
    log.info(
        "rendition.ready",
        video_id=video_id,
        bytes=rendition.size,
        bitrate=rendition.bitrate,
        alpha=bool(rendition.alpha_packing),
    )
    return video.status


async def mark_failed(session: AsyncSession, video_id: int, reason: str) -> None:
    """Record a final failure after the task's retries are used up."""
    video = await session.get(Video, video_id)
    if video is not None and video.status is not VideoStatus.ready:
        video.status = VideoStatus.failed
        video.status_reason = reason
        await session.commit()
