"""A worker whose pool is stuck while its main process still beats is reported by the health
check: the pool child of a real prefork worker is stopped (SIGSTOP), then let go (SIGCONT)."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from tests.support.api import Api
from tests.support.worker import poll, worker_env
from vertex_ar.core.processes import group_members, start_group, stop_group
from vertex_ar.core.settings import Settings
from vertex_ar.tasks.config import worker_command


async def test_health_reports_a_worker_whose_pool_takes_no_task(
    settings: Settings, superadmin: Api, tmp_path: Path
) -> None:
    settings.worker_pool_stall_seconds = 4  # the app's health check and the worker alike
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", *worker_command("INFO", "--without-mingle",
               "--without-gossip", concurrency=1)]  # fmt: skip
    env = worker_env(settings, WORKER_POOL_STALL_SECONDS="4")
    with log.open("wb") as out:
        worker = start_group(command, env=env, stdout=out, stderr=out)
    try:

        async def worker_check(ok: bool) -> dict[str, Any] | None:
            health = (await superadmin.get("/api/health/status")).json()
            check: dict[str, Any] = health["checks"]["worker"]
            return check if check["ok"] is ok else None

        await poll(lambda: worker_check(True), 120, "the worker and its pool in health", log)
        pool = [pid for pid in group_members(worker.pid) if pid != worker.pid]
        assert len(pool) == 1, pool
        os.kill(pool[0], signal.SIGSTOP)  # hung: takes no task; the main process still beats
        try:
            stuck = await poll(lambda: worker_check(False), 60, "health to see the stuck pool", log)
            assert stuck["pool_ok"] is False
            assert stuck["last_heartbeat"] is not None  # the main process is alive and beating
        finally:
            os.kill(pool[0], signal.SIGCONT)
        back = await poll(lambda: worker_check(True), 60, "health to see the pool again", log)
        assert back["pool_ok"] is True
    finally:
        stop_group(worker, grace_seconds=30)
