"""The platform's health: each dependency probed, and an overall status of ok / degraded / down.

Anonymous callers (load balancers, the compose health check) see the status and one ok flag per
check; backend names and error texts, which name internal hosts and buckets, are for a superadmin.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.connections.routing import platform_storage
from vertex_ar.connections.service import backend_health
from vertex_ar.content.marker_job import count_stale_markers
from vertex_ar.core.settings import Settings
from vertex_ar.health.probes import CachedProbe
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.tasks.heartbeat import WorkerSeen, is_fresh, latest_heartbeat, pool_takes_tasks

Check = dict[str, Any]
# Without these the platform cannot serve at all: the answer is 503.
VITAL = ("database", "broker", "storage")


async def _probe(check: Callable[[], Awaitable[object]]) -> Check:
    started = time.perf_counter()
    try:
        await check()
    except Exception as exc:
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


async def _storage_checks(session: AsyncSession, settings: Settings, with_backends: bool) -> Check:
    """The platform's disk and every tenant backend in use: writes a probe object into each."""
    storage = await _probe(platform_storage(settings).check)
    storage["backend"] = "local"
    # Tenants' own backends (S3, Yandex Disk...): one down degrades, it does not take us down.
    backends = await backend_health(session, settings) if with_backends else []
    return {
        "storage": storage,
        "storage_backends": {"ok": all(b["ok"] for b in backends), "backends": backends},
    }


async def platform_health(
    session: AsyncSession,
    settings: Settings,
    tasks: TaskQueue,
    storage_probe: CachedProbe[Check],
    *,
    detailed: bool,
) -> tuple[str, Check]:
    """(status, checks); ``detailed`` runs the storage probes afresh and keeps every detail."""

    async def database() -> None:
        await session.execute(text("SELECT 1"))

    async def broker() -> None:
        with anyio.fail_after(5):
            await anyio.to_thread.run_sync(tasks.ping_broker)

    checks: Check = {"database": await _probe(database), "broker": await _probe(broker)}
    database_ok = checks["database"]["ok"]
    if database_ok:
        checks |= await storage_probe.read(
            lambda: _storage_checks(session, settings, with_backends=True), fresh=detailed
        )
    else:  # nothing to cache: the tenants' backends are unknown without the database
        checks |= await _storage_checks(session, settings, with_backends=False)
    seen = await latest_heartbeat(session) if database_ok else WorkerSeen(None, None)
    # The main process beats from a thread of its own: it also beats while its pool is stuck,
    # so the pool's answer to the pings counts too.
    pool_ok = pool_takes_tasks(seen.pool, settings)
    checks["worker"] = {
        "ok": is_fresh(seen.heartbeat, settings) and pool_ok,
        "last_heartbeat": seen.heartbeat.isoformat() if seen.heartbeat else None,
        "pool_ok": pool_ok,
        "pool_last_ping": seen.pool.isoformat() if seen.pool else None,
    }
    # A live heartbeat with lapsed compile leases: the worker's pool is stuck or lost its work.
    stale = await count_stale_markers(session) if database_ok else 0
    checks["markers"] = {"ok": stale == 0, "stale": stale}

    down = any(not checks[name]["ok"] for name in VITAL)
    healthy = all(check["ok"] for check in checks.values())
    status = "down" if down else ("ok" if healthy else "degraded")
    if not detailed:
        checks = {name: {"ok": check["ok"]} for name, check in checks.items()}
    return status, checks
