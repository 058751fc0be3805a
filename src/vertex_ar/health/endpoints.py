from __future__ import annotations

import time
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from vertex_ar.connections.routing import platform_storage
from vertex_ar.connections.service import backend_health
from vertex_ar.content.marker_job import count_stale_markers
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.tasks.heartbeat import is_fresh, latest_heartbeat

router = APIRouter(prefix="/api/health", tags=["health"])


async def _probe(check: Any) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        await check()
    except Exception as exc:
        return {"ok": False, "error": f"{exc.__class__.__name__}: {exc}"[:300]}
    return {"ok": True, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


@router.get("/status")
async def health_status(
    request: Request, session: SessionDep, settings: SettingsDep
) -> JSONResponse:
    tasks: TaskQueue = request.app.state.tasks

    async def database() -> None:
        await session.execute(text("SELECT 1"))

    async def broker() -> None:
        with anyio.fail_after(5):
            await anyio.to_thread.run_sync(tasks.ping_broker)

    async def storage() -> None:
        await platform_storage(settings).check()

    checks = {
        "database": await _probe(database),
        "broker": await _probe(broker),
        "storage": await _probe(storage),
    }
    checks["storage"]["backend"] = "local"
    # Tenants' own backends (S3, Yandex Disk...): one down degrades, it does not take us down.
    backends = await backend_health(session, settings) if checks["database"]["ok"] else []
    checks["storage_backends"] = {"ok": all(b["ok"] for b in backends), "backends": backends}
    seen = await latest_heartbeat(session) if checks["database"]["ok"] else None
    checks["worker"] = {
        "ok": is_fresh(seen, settings),
        "last_heartbeat": seen.isoformat() if seen else None,
    }
    # A live heartbeat with lapsed compile leases: the worker's pool is stuck or lost its work.
    stale = await count_stale_markers(session) if checks["database"]["ok"] else 0
    checks["markers"] = {"ok": stale == 0, "stale": stale}
    down = [name for name in ("database", "broker", "storage") if not checks[name]["ok"]]
    healthy = all(checks[name]["ok"] for name in ("worker", "storage_backends", "markers"))
    status = "down" if down else ("ok" if healthy else "degraded")
    return JSONResponse({"status": status, "checks": checks}, status_code=503 if down else 200)
