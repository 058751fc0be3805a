"""Worker heartbeats in the database: visible to every web process, on any machine."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vertex_ar.core.db import utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.tasks.models import WorkerHeartbeat


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


def start_heartbeat_thread(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], hostname: str | None = None
) -> threading.Event:
    """Beat every WORKER_HEARTBEAT_SECONDS until the returned event is set."""
    stop = threading.Event()
    name = hostname or socket.gethostname()

    async def run() -> None:
        while not stop.is_set():
            # A missed beat shows up as staleness in the health check.
            with contextlib.suppress(Exception):
                await beat_once(sessions, name)
            await asyncio.to_thread(stop.wait, settings.worker_heartbeat_seconds)

    threading.Thread(target=asyncio.run, args=(run(),), name="heartbeat", daemon=True).start()
    return stop
