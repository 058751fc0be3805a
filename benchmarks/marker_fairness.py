"""How long another tenant's first marker waits behind one tenant's backlog.

    .venv/bin/python -m benchmarks.marker_fairness [--backlog 300] [--concurrency 2]

Tenant A queues ``--backlog`` compiles, then tenant B queues one; a real Celery worker (prefork,
``--concurrency`` pool processes, the embedded broker, SQLite) starts on the lot. Printed: B's
wait (its marker ready, from the worker's start), how many of A's compiles ended before it, and
the time A's whole backlog took, which is what B waits with a first-in-first-out queue (its task
is delivered after all of A's). Small portraits (256×192, MARKER_MAX_SIDE=256) keep one compile
short; the 1-minute load average is printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import func, select

import vertex_ar.models  # noqa: F401 - every table mapped before the first flush
from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core import migrate
from vertex_ar.core.db import Database
from vertex_ar.core.processes import start_group, stop_group
from vertex_ar.core.settings import Settings
from vertex_ar.projects.models import Project
from vertex_ar.storage.base import new_key
from vertex_ar.tasks.config import worker_command
from vertex_ar.tasks.dispatch import TaskQueue


def portrait() -> bytes:
    noise = np.random.default_rng(1).integers(0, 255, (24, 32), dtype=np.uint8)
    image = cv2.resize(noise, (256, 192), interpolation=cv2.INTER_NEAREST)
    return bytes(cv2.imencode(".png", image)[1])


async def queue_backlog(settings: Settings, backlog: int) -> tuple[list[int], int]:
    """A's items, then B's one, each with its task sent; (A's ids, B's id)."""
    database = Database(settings.database_url, pooled=False)
    ids: dict[str, list[int]] = {}
    async with database.sessions() as session:
        for name, count in (("A", backlog), ("B", 1)):
            company = Company(name=name, slug=name.lower())
            session.add(company)
            await session.flush()
            key = new_key(company.id, "portraits", "png")
            (settings.storage_root / key).parent.mkdir(parents=True)
            (settings.storage_root / key).write_bytes(portrait())
            project = Project(company_id=company.id, name="P", description="")
            session.add(project)
            await session.flush()
            items = [
                ARContent(company_id=company.id, project_id=project.id,
                          unique_id=str(uuid.uuid4()), title=f"{name}{i}", portrait_key=key,
                          portrait_mime="image/png", portrait_width=256, portrait_height=192,
                          marker_status=MarkerStatus.pending)
                for i in range(count)
            ]  # fmt: skip
            session.add_all(items)
            await session.flush()
            ids[name] = [item.id for item in items]
        await session.commit()
    await database.dispose()
    tasks = TaskQueue(settings)
    for content_id in (*ids["A"], *ids["B"]):
        tasks.compile_marker(content_id)
    return ids["A"], ids["B"][0]


async def ready(settings: Settings, ids: list[int]) -> int:
    database = Database(settings.database_url, pooled=False)
    async with database.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(ARContent)
            .where(ARContent.id.in_(ids), ARContent.marker_status == MarkerStatus.ready)
        )
    await database.dispose()
    return int(count or 0)


async def run(backlog: int, concurrency: int, folder: Path) -> None:
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    migrate.upgrade(url)
    settings = Settings(database_url=url, data_dir=folder / "data",
                        storage_root=folder / "data" / "storage", _env_file=None)  # type: ignore[call-arg]  # fmt: skip
    mine, theirs = await queue_backlog(settings, backlog)
    env = {**os.environ, "DATABASE_URL": url, "DATA_DIR": str(settings.data_dir),
           "STORAGE_ROOT": str(settings.storage_root), "MARKER_MAX_SIDE": "256",
           "LOG_LEVEL": "WARNING"}  # fmt: skip
    command = [sys.executable, "-m", *worker_command("WARNING", "--without-mingle",
               "--without-gossip", concurrency=concurrency)]  # fmt: skip
    with (folder / "worker.log").open("wb") as log:
        started = time.monotonic()
        worker = start_group(command, env=env, stdout=log, stderr=log)
    try:
        b_wait = a_before_b = None
        while (done := await ready(settings, mine)) < backlog:
            if b_wait is None and await ready(settings, [theirs]):
                b_wait, a_before_b = time.monotonic() - started, done
            await asyncio.sleep(0.2)
        drained = time.monotonic() - started
        if b_wait is None:  # B came last
            b_wait, a_before_b = drained, backlog
    finally:
        stop_group(worker, grace_seconds=30)
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}; backlog {backlog}, "
          f"{concurrency} pool processes")  # fmt: skip
    print("| | seconds from the worker's start | A's compiles ended before |")
    print("|---|---|---|")
    print(f"| B's first marker, fair queue | {b_wait:.1f} | {a_before_b} |")
    print(
        f"| B's first marker, FIFO estimate (A's whole backlog first) | {drained:.1f} | {backlog} |"
    )
    print(f"ratio: {drained / b_wait:.0f}×")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fairness-") as folder:
        asyncio.run(run(args.backlog, args.concurrency, Path(folder)))


if __name__ == "__main__":
    main()
