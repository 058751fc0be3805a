"""The worker: its Celery app and the task wrappers (`celery -A vertex_ar.worker worker`).

Each task is a thin wrapper that runs one domain job (`content.marker_job`, or a periodic job of
`tasks.jobs`) in one session, or `backups.service` (its own connections and tools). The web
process sends tasks by name (`tasks.dispatch`) and never imports this module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any, TypeVar

import structlog
from celery import Task
from celery.signals import setup_logging, worker_ready, worker_shutdown
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

import vertex_ar.models  # noqa: F401 - every table mapped before the first flush
from vertex_ar.backups.service import run_backup
from vertex_ar.content import media_job
from vertex_ar.content.marker_job import (
    RETRYABLE,
    claim_next_marker,
    compile_claimed_marker,
    mark_failed,
)
from vertex_ar.core.db import Database
from vertex_ar.core.logging import configure_logging
from vertex_ar.core.settings import get_settings
from vertex_ar.notifications.events import marker_failed, marker_scored_low
from vertex_ar.observability.celery_signals import connect_celery_metrics
from vertex_ar.storage.base import StorageError
from vertex_ar.tasks.config import BACKUP_TASK, create_celery
from vertex_ar.tasks.dispatch import COMPILE_MARKER, POOL_PING, RENDER_VIDEO
from vertex_ar.tasks.heartbeat import record_pool_ping, start_heartbeat_thread
from vertex_ar.tasks.jobs import JOBS, Job
from vertex_ar.viewer.answers import watch_commits

log = structlog.get_logger(__name__)
_heartbeat: dict[str, Any] = {}

MARKER_MAX_RETRIES = 5
MEDIA_MAX_RETRIES = 5
T = TypeVar("T")

celery_app = create_celery(get_settings())
connect_celery_metrics(celery_app)
# The worker's commits (a marker made ready, a rendition made, a job's switch-off) drop the web
# processes' kept viewer answers, like the app's own.
watch_commits(get_settings())


@setup_logging.connect
def _log_like_the_app(**_: Any) -> None:
    """Celery's records in the app's format: with a receiver here, Celery installs no handlers of
    its own and leaves stdout/stderr alone."""
    configure_logging(get_settings())


@cache
def _database() -> Database:
    """This process's engine, made on first use: each prefork child gets its own. Unpooled, so
    that one engine serves every task's event loop (`asyncio.run` per task)."""
    return Database(get_settings().database_url, pooled=False)


def run_job(job: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one job in one session: the task's unit of work."""

    async def in_session() -> T:
        async with _database().sessions() as session:
            return await job(session)

    return asyncio.run(in_session())


@celery_app.task(name=COMPILE_MARKER, bind=True, max_retries=MARKER_MAX_RETRIES)
def compile_marker(self: Task[Any, Any], content_id: int) -> str | None:
    """One turn of the marker queue: compiles the oldest claimable item of the company served
    longest ago (`marker_job.claim_next_marker`); `content_id`, the item whose queuing sent this
    turn, is only logged (its own turn may go to another company's item, and a later one to it)."""
    settings = get_settings()
    try:
        claimed = run_job(lambda session: claim_next_marker(session, settings))
    except OperationalError as exc:
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
    if claimed is None:
        return None  # nothing left to compile: the items this turn stood for were done by others
    picked, claim = claimed
    log.info("marker.turn", queued_for=content_id, compiling=picked)
    try:
        status = run_job(
            lambda session: compile_claimed_marker(
                session,
                settings,
                picked,
                claim,
                marker_failed(settings),
                marker_scored_low(settings),
            )
        )
    except RETRYABLE as exc:
        if self.request.retries >= MARKER_MAX_RETRIES:
            error = f"storage or database unavailable: {exc}"
            told = marker_failed(settings)
            run_job(lambda session: mark_failed(session, picked, error, told))
            raise
        # Exponential backoff: 2, 4, 8, 16, 32 s; the released item is claimable meanwhile.
        raise self.retry(
            args=(picked,), exc=exc, countdown=2 ** (self.request.retries + 1)
        ) from exc
    return None if status is None else status.value


@celery_app.task(name=RENDER_VIDEO, bind=True, max_retries=MEDIA_MAX_RETRIES)
def render_video(self: Task[Any, Any], video_id: int) -> str | None:
    settings = get_settings()
    try:
        status = run_job(lambda session: media_job.render_video(session, settings, video_id))
    except (StorageError, OperationalError) as exc:
        if self.request.retries >= MEDIA_MAX_RETRIES:
            reason = f"storage or database unavailable: {exc}"
            run_job(lambda session: media_job.mark_failed(session, video_id, reason))
            raise
        raise self.retry(exc=exc, countdown=2 ** (self.request.retries + 1)) from exc
    return None if status is None else status.value


def _periodic(job: Job) -> None:
    """The Celery task Beat sends for one of `tasks.jobs.JOBS` (the CLI runs the same code)."""

    def run() -> Any:
        result = run_job(lambda session: job.run(session, get_settings()))
        log.info("job.done", job=job.name, result=result)
        return result

    run.__name__ = job.name.replace("-", "_")
    celery_app.task(name=job.task)(run)


for _job in JOBS.values():
    _periodic(_job)


@celery_app.task(name=POOL_PING)
def pool_ping(hostname: str) -> None:
    """Run by a pool process: tells the health check that `hostname`'s pool takes tasks."""
    run_job(lambda session: record_pool_ping(session, hostname))


@celery_app.task(name=BACKUP_TASK)
def create_backup() -> str:
    """`vertex-ar backup create` on BACKUP_SCHEDULE: the same code, retention included; a failure
    is logged (`backup.failed`, `backups.service.on_backup_failed`) and fails the task."""
    return str(run_backup(get_settings()).path)


@worker_ready.connect
def _start_heartbeat(**_: Any) -> None:
    # An engine of its own: the thread runs its own event loop, apart from the tasks' loops.
    database = Database(get_settings().database_url, pooled=False)
    _heartbeat["stop"] = start_heartbeat_thread(get_settings(), database.sessions)


@worker_shutdown.connect
def _stop_heartbeat(**_: Any) -> None:
    if stop := _heartbeat.get("stop"):
        stop.set()
