"""Worker heartbeats in the database: visible to every web process, on any machine."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vertex_ar.content.marker_job import requeue_stale_markers
from vertex_ar.core.db import utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.tasks.models import WorkerHeartbeat

log = structlog.get_logger(__name__)


async def beat_once(sessions: async_sessionmaker[AsyncSession], hostname: str) -> datetime | None:
    """Record the main process's beat; returns when this worker's pool last ran its ping."""
    async with sessions() as session:
        row = await session.get(WorkerHeartbeat, hostname)
        if row is None:
            row = WorkerHeartbeat(hostname=hostname, seen_at=utcnow())
            session.add(row)
        else:
            row.seen_at = utcnow()
        await session.commit()
        return row.pool_seen_at


async def record_pool_ping(session: AsyncSession, hostname: str) -> None:
    """Run by a pool process: the pool of `hostname`'s worker takes tasks."""
    await session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.hostname == hostname)
        .values(pool_seen_at=utcnow())
    )
    await session.commit()


@dataclass(frozen=True)
class WorkerSeen:
    heartbeat: datetime | None  # the latest beat of any worker's main process
    pool: datetime | None  # the latest ping any worker's pool ran


async def latest_heartbeat(session: AsyncSession) -> WorkerSeen:
    seen = (
        await session.execute(
            select(func.max(WorkerHeartbeat.seen_at), func.max(WorkerHeartbeat.pool_seen_at))
        )
    ).one()
    return WorkerSeen(heartbeat=seen[0], pool=seen[1])


def is_fresh(seen: datetime | None, settings: Settings) -> bool:
    window = timedelta(seconds=3 * settings.worker_heartbeat_seconds)
    return seen is not None and utcnow() - seen <= window


def pool_takes_tasks(seen: datetime | None, settings: Settings) -> bool:
    window = timedelta(seconds=settings.worker_pool_stall_seconds)
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
    """Beat every WORKER_HEARTBEAT_SECONDS until the returned event is set, pinging the pool
    through the queue (its answer tells a stuck pool from a live one); every
    MARKER_SWEEP_SECONDS, requeue the compiles of workers that died (any live worker does it:
    the requeue is a conditional update, so two workers never requeue one item twice)."""
    stop = threading.Event()
    name = hostname or socket.gethostname()

    async def run() -> None:
        tasks = TaskQueue(settings)
        next_sweep = time.monotonic()
        pinged_at: datetime | None = None
        while not stop.is_set():
            # A missed beat shows up as staleness in the health check.
            with contextlib.suppress(Exception):
                answered = await beat_once(sessions, name)
                # One ping in the queue at a time: a new one once the pool ran the last (or it
                # expired unanswered, the pool being stuck).
                if (
                    pinged_at is None
                    or (answered is not None and answered >= pinged_at)
                    or not pool_takes_tasks(pinged_at, settings)
                ):
                    pinged_at = utcnow()
                    await asyncio.to_thread(tasks.ping_pool, name)
            if time.monotonic() >= next_sweep:
                next_sweep = time.monotonic() + settings.marker_sweep_seconds
                await sweep_stale_markers(sessions, tasks)
            await asyncio.to_thread(stop.wait, settings.worker_heartbeat_seconds)

    threading.Thread(target=asyncio.run, args=(run(),), name="heartbeat", daemon=True).start()
    return stop
