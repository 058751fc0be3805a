"""Compiling one content item's marker: portrait from storage → `.mind` + rating → storage.

Idempotent: a content item whose marker is ready is left alone; a retry after a crash starts over
and replaces whatever an earlier attempt stored.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.connections.routing import storage_for_company
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core.metrics import marker_compile_timer
from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import Storage, new_key
from vertex_ar.storage.transaction import StagedWrites

log = structlog.get_logger(__name__)


class MarkerCompileError(Exception):
    """The portrait cannot be compiled: a final failure, not worth a retry."""


@dataclass(frozen=True)
class CompiledMarker:
    data: bytes
    rating: dict[str, Any]


def compile_portrait(path: Path, max_side: int) -> CompiledMarker:
    try:
        from vertex_ar.markers import compile_with_stats, rate_compiled
    except ImportError as exc:
        raise MarkerCompileError("marker compiler not available") from exc
    try:
        with marker_compile_timer():
            result = compile_with_stats([path], max_side=max_side)
    except (ValueError, OSError) as exc:
        raise MarkerCompileError(f"the portrait could not be compiled: {exc}") from exc
    return CompiledMarker(result.mind, rate_compiled(result.targets[0]))


async def _compile_from_storage(storage: Storage, key: str, max_side: int) -> CompiledMarker:
    with tempfile.TemporaryDirectory(prefix="marker-") as folder:
        portrait = Path(folder) / "portrait"
        await storage.download_to(key, portrait)
        return await anyio.to_thread.run_sync(compile_portrait, portrait, max_side)


async def compile_content_marker(
    session: AsyncSession, settings: Settings, content_id: int
) -> MarkerStatus | None:
    """Compile and store the marker; returns the final status (None if the content is gone).

    Storage and database errors propagate so that the task can retry them.
    """
    content = await session.get(ARContent, content_id)
    if content is None:
        return None
    if content.marker_status is MarkerStatus.ready and content.marker_key:
        return content.marker_status
    content.marker_status = MarkerStatus.processing
    content.marker_error = None
    await session.commit()

    storage = await storage_for_company(session, settings, content.company_id)
    try:
        compiled = await _compile_from_storage(
            storage, content.portrait_key, settings.marker_max_side
        )
    except MarkerCompileError as exc:
        content.marker_status = MarkerStatus.failed
        content.marker_error = str(exc)
        await session.commit()
        log.warning("marker.failed", content_id=content_id, error=str(exc))
        return content.marker_status

    old_key = content.marker_key
    async with StagedWrites(storage) as staged:
        content.marker_key = await staged.put_bytes(
            new_key(content.company_id, "markers", "mind"), compiled.data
        )
        content.marker_quality = compiled.rating
        content.marker_status = MarkerStatus.ready
        await session.commit()
    if old_key:
        await storage.delete(old_key)
    log.info("marker.ready", content_id=content_id, bytes=len(compiled.data))
    return content.marker_status


async def mark_failed(session: AsyncSession, content_id: int, error: str) -> None:
    """Record a final failure after the task's retries are used up."""
    content = await session.get(ARContent, content_id)
    if content is not None and content.marker_status is not MarkerStatus.ready:
        content.marker_status = MarkerStatus.failed
        content.marker_error = error
        await session.commit()
