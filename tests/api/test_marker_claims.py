"""Marker compiles: one in flight per content item, claimed with a lease that a dead worker loses,
never an orphan `.mind`; generate-marker idempotent and rate-limited per company."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI

from tests.api.test_queues import _queue_depths
from tests.support import media
from tests.support.api import Api
from tests.support.content import create_content, set_content
from tests.support.tenants import Tenant
from vertex_ar.content.marker_job import compile_content_marker, requeue_stale_markers
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core.db import Database, utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.tasks.heartbeat import start_heartbeat_thread


def queued_markers(settings: Settings) -> int:
    return _queue_depths(settings)["markers"]


def marker_files(settings: Settings) -> list[Path]:
    return sorted(Path(settings.storage_root).rglob("*.mind"))


async def content_row(app: FastAPI, content_id: int) -> ARContent:
    async with app.state.database.sessions() as session:
        content = await session.get(ARContent, content_id)
        assert content is not None
        return content


async def test_generate_marker_is_idempotent_while_one_is_in_flight(
    settings: Settings, tenant_a: Tenant
) -> None:
    content = (await create_content(tenant_a)).json()
    assert queued_markers(settings) == 1
    url = f"/api/ar-content/{content['id']}/generate-marker"
    for _ in range(5):
        again = await tenant_a.admin.post(url)
        assert again.status_code == 200, again.text
        assert again.json()["marker_status"] == "pending"
    assert queued_markers(settings) == 1  # still the one compile queued at creation


async def test_generate_marker_requeues_a_stale_compile_only(
    app: FastAPI, settings: Settings, tenant_a: Tenant
) -> None:
    content = (await create_content(tenant_a)).json()
    url = f"/api/ar-content/{content['id']}/generate-marker"
    await set_content(
        app,
        content["id"],
        marker_status=MarkerStatus.processing,
        marker_lease_until=utcnow() + timedelta(minutes=1),
    )
    live = await tenant_a.admin.post(url)
    assert live.json()["marker_status"] == "processing"
    assert queued_markers(settings) == 1

    # The worker holding it died: its lease ran out.
    await set_content(app, content["id"], marker_lease_until=utcnow() - timedelta(seconds=1))
    stale = await tenant_a.admin.post(url)
    assert stale.status_code == 200
    assert stale.json()["marker_status"] == "pending"
    assert queued_markers(settings) == 2


async def test_stale_compiles_are_requeued_and_reported(
    app: FastAPI, settings: Settings, tenant_a: Tenant, superadmin: Api
) -> None:
    stuck = (await create_content(tenant_a)).json()
    running = (await create_content(tenant_a)).json()
    await set_content(
        app,
        stuck["id"],
        marker_status=MarkerStatus.processing,
        marker_lease_until=utcnow() - timedelta(seconds=1),
    )
    await set_content(
        app,
        running["id"],
        marker_status=MarkerStatus.processing,
        marker_lease_until=utcnow() + timedelta(minutes=1),
    )
    health = (await superadmin.get("/api/health/status")).json()
    assert health["checks"]["markers"] == {"ok": False, "stale": 1}, health
    assert health["status"] != "ok"

    before = queued_markers(settings)
    async with app.state.database.sessions() as session:
        requeued = await requeue_stale_markers(session, TaskQueue(settings))
    assert requeued == [stuck["id"]]
    assert queued_markers(settings) == before + 1
    assert (await content_row(app, stuck["id"])).marker_status is MarkerStatus.pending
    assert (await content_row(app, running["id"])).marker_status is MarkerStatus.processing
    health = (await superadmin.get("/api/health/status")).json()
    assert health["checks"]["markers"] == {"ok": True, "stale": 0}


@pytest.fixture
def fast_sweep(settings: Settings) -> Settings:
    settings.marker_sweep_seconds = 1
    settings.worker_heartbeat_seconds = 1
    return settings


async def test_a_live_worker_requeues_the_compile_of_a_dead_one(
    fast_sweep: Settings, app: FastAPI, tenant_a: Tenant, superadmin: Api
) -> None:
    """The worker's heartbeat thread sweeps: an item left `processing` by a killed worker goes
    back to the queue within a sweep, and health turns ok again."""
    content = (await create_content(tenant_a)).json()
    await set_content(
        app,
        content["id"],
        marker_status=MarkerStatus.processing,
        marker_claim="killed-worker",
        marker_lease_until=utcnow() - timedelta(seconds=1),
    )
    before = queued_markers(fast_sweep)
    database = Database(fast_sweep.database_url, pooled=False)  # the thread has its own loop
    stop = start_heartbeat_thread(fast_sweep, database.sessions, hostname="sweeper")
    try:
        # The sweep commits `pending`, then publishes: wait for both (a loaded machine may
        # run the test between the two).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            row = await content_row(app, content["id"])
            if row.marker_status is MarkerStatus.pending and queued_markers(fast_sweep) > before:
                break
            await asyncio.sleep(0.1)
    finally:
        stop.set()
    row = await content_row(app, content["id"])
    assert row.marker_status is MarkerStatus.pending
    assert row.marker_claim is None
    assert queued_markers(fast_sweep) == before + 1
    health = (await superadmin.get("/api/health/status")).json()
    assert health["checks"]["markers"] == {"ok": True, "stale": 0}


async def test_two_compiles_of_one_item_leave_one_marker(
    app: FastAPI, settings: Settings, tenant_a: Tenant
) -> None:
    """Two deliveries of one compile (a requeue and the broker's redelivery) run at once: one
    compiles, the other sees the live claim and stops; one `.mind` is stored, none orphaned."""
    content = (await create_content(tenant_a)).json()

    async def compile_once() -> MarkerStatus | None:
        async with app.state.database.sessions() as session:
            return await compile_content_marker(session, settings, content["id"])

    results = await asyncio.gather(compile_once(), compile_once())
    assert MarkerStatus.ready in results
    row = await content_row(app, content["id"])
    assert row.marker_status is MarkerStatus.ready
    assert row.marker_lease_until is None
    files = marker_files(settings)
    assert [f.relative_to(settings.storage_root).as_posix() for f in files] == [row.marker_key]


async def test_a_compile_that_lost_its_claim_stores_nothing(
    app: FastAPI, settings: Settings, tenant_a: Tenant
) -> None:
    """A worker whose claim was taken over while it computed (its lease ran out, another worker
    requeued the item) must not store its result: no marker key set, no file left behind."""
    content = (await create_content(tenant_a, image=media.textured_image(1600, 1200))).json()

    async def compile_once() -> MarkerStatus | None:
        async with app.state.database.sessions() as session:
            return await compile_content_marker(session, settings, content["id"])

    compiling = asyncio.create_task(compile_once())
    deadline = time.monotonic() + 120  # a loaded machine may take long to start the compile
    while (await content_row(app, content["id"])).marker_status is not MarkerStatus.processing:
        assert not compiling.done(), "the compile ended before it was seen running"
        assert time.monotonic() < deadline, "the compile never started"
        await asyncio.sleep(0.02)
    await set_content(app, content["id"], marker_claim="another-worker")
    assert await compiling is None
    row = await content_row(app, content["id"])
    assert row.marker_key is None
    assert row.marker_claim == "another-worker"
    assert marker_files(settings) == []


@pytest.fixture
def small_marker_burst(settings: Settings) -> Settings:
    settings.marker_rate_burst = 3
    settings.marker_rate_per_minute = 1
    return settings


async def test_generate_marker_is_rate_limited_per_company(
    small_marker_burst: Settings, app: FastAPI, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    mine = (await create_content(tenant_a)).json()
    theirs = (await create_content(tenant_b)).json()
    await set_content(app, mine["id"], marker_status=MarkerStatus.failed)
    answers = [
        (await tenant_a.admin.post(f"/api/ar-content/{mine['id']}/generate-marker")).status_code
        for _ in range(4)
    ]
    assert answers == [200, 200, 200, 429]
    limited = await tenant_a.admin.post(f"/api/ar-content/{mine['id']}/generate-marker")
    assert int(limited.headers["Retry-After"]) > 0
    other = await tenant_b.admin.post(f"/api/ar-content/{theirs['id']}/generate-marker")
    assert other.status_code == 200
