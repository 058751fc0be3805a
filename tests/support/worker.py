"""A real Celery worker (with beat) in a subprocess, configured like the test's app."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vertex_ar.core.processes import start_group, stop_group
from vertex_ar.tasks.config import worker_command


def worker_env(settings: Any, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "ENV": "test",
        "DATABASE_URL": settings.database_url,
        "CELERY_BROKER_URL": settings.celery_broker_url,
        "REDIS_CACHE_URL": settings.redis_cache_url,  # as deployed: the same cache as the app
        "DATA_DIR": str(settings.data_dir),
        "STORAGE_ROOT": str(settings.storage_root),
        "WORKER_HEARTBEAT_SECONDS": "1",
    }
    env.update(extra)
    return env


@contextmanager
def running_worker(settings: Any, log: Path, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    options = ("--beat", "--without-mingle", "--without-gossip", "--pool=solo")
    command = [sys.executable, "-m", *worker_command("INFO", *options, concurrency=1)]
    with log.open("wb") as out:
        proc = start_group(command, env=worker_env(settings, **extra), stdout=out, stderr=out)
        try:
            yield proc
        finally:
            stop_group(proc, grace_seconds=30)  # the embedded beat too, not only the main process


def wait_for(predicate: Any, timeout: float, what: str, log: Path | None = None) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")


async def poll(fn: Any, timeout: float, what: str, log: Path) -> Any:
    """Await ``fn()`` until it returns something true; the worker's log tail on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if value := await fn():
            return value
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}\n{log.read_text(errors='replace')[-3000:]}")
