"""Worker heartbeats in the database: visible to every web process, on any machine."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vertex_ar.content.marker_job import requeue_stale_markers
from vertex_ar.core.db import utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.tasks.models import WorkerHeartbeat

log = structlog.get_logger(__name__)


async def beat_once(sessions: async_sessionmaker[AsyncSession], hostname: str) -> None:
    async with sessions() as session:
        await session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.hostname == hostname))
        session.add(WorkerHeartbeat(hostname=hostname, seen_at=utcnow()))
        await session.commit()


async def latest_heartbeat(session: AsyncSession) -> datetime | None:
    seen: datetime | None = await session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    return seen


def is_fresh(seen: datetime | None, settings: Settings) -> bool:
    window = timedelta(seconds=3 * settings.worker_heartbeat_seconds)
    return seen is not None and utcnow() - seen <= window


async def sweep_stale_markers(
    sessions: async_sessionmaker[AsyncSession], tasks: TaskQueue
) -> list[int]:
    """Requeue marker compiles whose lease lapsed: the worker that held them died."""
    try:
        async with sessions() as session:
            return await requeue_stale_markers(session, tasks)
    except Exception as exc:  # the next sweep tries again; health shows what stays stale
        log.warning("marker.sweep_failed", error=str(exc))
        return []


def start_heartbeat_thread(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], hostname: str | None = None
) -> threading.Event:
    """Beat every WORKER_HEARTBEAT_SECONDS until the returned event is set; every
    MARKER_SWEEP_SECONDS, requeue the compiles of workers that died (any live worker does it:
    the requeue is a conditional update, so two workers never requeue one item twice)."""
    stop = threading.Event()
    name = hostname or socket.gethostname()

    async def run() -> None:
        tasks = TaskQueue(settings)
        next_sweep = time.monotonic()
        while not stop.is_set():
            # A missed beat shows up as staleness in the health check.
            with contextlib.suppress(Exception):
                await beat_once(sessions, name)
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + settings.marker_sweep_seconds
                await sweep_stale_markers(sessions, tasks)
            await asyncio.to_thread(stop.wait, settings.worker_heartbeat_seconds)

    threading.Thread(target=asyncio.run, args=(run(),), name="heartbeat", daemon=True).start()
    return stop
