"""A real worker's whole process tree killed with SIGKILL mid-compile: the item does not stay
`processing` forever. Health reports it while no worker runs; the next worker's lease sweep
requeues it and compiles it; one `.mind` is stored."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.support import media
from tests.support.api import Api
from tests.support.content import create_content
from tests.support.tenants import Tenant
from tests.support.worker import poll, running_worker, worker_env
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core.processes import group_members, start_group
from vertex_ar.core.settings import Settings
from vertex_ar.tasks.config import worker_command

LEASE_SECONDS = "4"


async def row(app: FastAPI, content_id: int) -> ARContent:
    async with app.state.database.sessions() as session:
        content = await session.get(ARContent, content_id)
        assert content is not None
        return content


async def test_a_worker_killed_mid_compile_loses_nothing(
    app: FastAPI, settings: Settings, tenant_a: Tenant, superadmin: Api, tmp_path: Path
) -> None:
    # Large and compiled at full size: the compile runs for seconds, long enough to be killed in.
    portrait = media.textured_image(2800, 2100, fmt="JPEG")
    created = await create_content(tenant_a, image=portrait)
    assert created.status_code == 201, created.text
    content_id = created.json()["id"]

    first_log = tmp_path / "killed-worker.log"
    command = [sys.executable, "-m", *worker_command("INFO", "--without-mingle",
               "--without-gossip", concurrency=1)]  # fmt: skip
    env = worker_env(settings, MARKER_MAX_SIDE="2800", MARKER_LEASE_SECONDS=LEASE_SECONDS)
    with first_log.open("wb") as out:
        worker = start_group(command, env=env, stdout=out, stderr=out)
    try:

        async def compiling() -> bool:
            content = await row(app, content_id)
            return content.marker_status is MarkerStatus.processing and bool(content.marker_claim)

        await poll(compiling, 180, "the compile to start", first_log)
        members = group_members(worker.pid)
        assert len(members) >= 2, members  # the main process and its pool child
        os.killpg(worker.pid, signal.SIGKILL)  # every process of the worker, no cleanup
        worker.wait(timeout=30)

        async def all_gone() -> bool:
            return not group_members(worker.pid)

        await poll(all_gone, 30, "the killed processes to go", first_log)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert (await row(app, content_id)).marker_status is MarkerStatus.processing

    # No worker: the lease lapses and health says so (the stale compile, the silent worker).
    async def reported() -> dict[str, Any] | None:
        health = (await superadmin.get("/api/health/status")).json()
        stale = health["checks"]["markers"]["stale"] == 1
        return health if stale and not health["checks"]["worker"]["ok"] else None

    health = await poll(reported, 60, "health to report the stale compile", first_log)
    assert health["status"] == "degraded"

    second_log = tmp_path / "next-worker.log"
    with running_worker(settings, second_log, MARKER_SWEEP_SECONDS="1"):

        async def ready() -> bool:
            return (await row(app, content_id)).marker_status is MarkerStatus.ready

        await poll(ready, 240, "the next worker to requeue and compile it", second_log)
    content = await row(app, content_id)
    assert content.marker_claim is None and content.marker_lease_until is None
    markers = sorted(Path(settings.storage_root).rglob("*.mind"))
    assert [p.relative_to(settings.storage_root).as_posix() for p in markers] == [
        content.marker_key
    ]
    health = (await superadmin.get("/api/health/status")).json()
    assert health["checks"]["markers"] == {"ok": True, "stale": 0}
