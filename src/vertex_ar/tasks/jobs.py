"""Celery task definitions: thin wrappers that run the async services."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from celery import Task
from celery.signals import worker_ready, worker_shutdown
from sqlalchemy.exc import OperationalError

from vertex_ar.connections.routing import purge_pending_deletes
from vertex_ar.content.expiry import deactivate_expired
from vertex_ar.content.marker_job import compile_content_marker, mark_failed
from vertex_ar.core.db import Database
from vertex_ar.core.logging import configure_logging
from vertex_ar.core.settings import Settings, get_settings
from vertex_ar.storage.base import StorageError
from vertex_ar.tasks.celery_app import celery_app
from vertex_ar.tasks.dispatch import COMPILE_MARKER
from vertex_ar.tasks.heartbeat import start_heartbeat_thread

log = structlog.get_logger(__name__)
_heartbeat: dict[str, Any] = {}

MARKER_MAX_RETRIES = 5


@celery_app.task(name=COMPILE_MARKER, bind=True, max_retries=MARKER_MAX_RETRIES)
def compile_marker(self: Task[Any, Any], content_id: int) -> str | None:
    settings = get_settings()
    try:
        status = asyncio.run(compile_content_marker(settings, content_id))
    except (StorageError, OperationalError) as exc:
        if self.request.retries >= MARKER_MAX_RETRIES:
            asyncio.run(
                mark_failed(settings, content_id, f"storage or database unavailable: {exc}")
            )
            raise
        # Exponential backoff: 2, 4, 8, 16, 32 s.
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
    return None if status is None else status.value


@celery_app.task(name="maintenance.deactivate_expired")
def deactivate_expired_content() -> int:
    count = asyncio.run(deactivate_expired(get_settings()))
    log.info("content.expired_deactivated", count=count)
    return count


@celery_app.task(name="maintenance.purge_storage_deletes")
def purge_storage_deletes() -> int:
    """Deletes that failed while a storage backend was down (see connections.routing)."""
    return asyncio.run(_purge_storage_deletes(get_settings()))


async def _purge_storage_deletes(settings: Settings) -> int:
    database = Database(settings.database_url, pooled=False)
    try:
        async with database.sessions() as session:
            return await purge_pending_deletes(session, settings)
    finally:
        await database.dispose()


@worker_ready.connect
def _start_heartbeat(**_: Any) -> None:
    configure_logging(get_settings())
    _heartbeat["stop"] = start_heartbeat_thread(get_settings())


@worker_shutdown.connect
def _stop_heartbeat(**_: Any) -> None:
    if stop := _heartbeat.get("stop"):
        stop.set()
