"""Redis down in production (Redis broker and cache, PostgreSQL): clear answers, no 500s, the
viewer keeps serving, and when Redis is back the queued work is done.

A private redis-server on a free port (append-only file, so its queue survives the restart) is
stopped and started again; the shared Redis of the other tests is never touched.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis
from fastapi import FastAPI

from tests.support.api import login
from tests.support.backends import Backend
from tests.support.content import create_content, mark_ready, set_content
from tests.support.tenants import TENANT_ADMIN_PASSWORD, Tenant, create_superadmin, make_tenant
from tests.support.worker import running_worker
from vertex_ar.content.marker_job import count_stale_markers, requeue_stale_markers
from vertex_ar.content.models import MarkerStatus
from vertex_ar.core.settings import Settings
from vertex_ar.tasks.dispatch import TaskQueue


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivateRedis:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        log = (self.folder / "redis.log").open("ab")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--appendonly", "yes", "--save", "", "--protected-mode", "no"],
            stdout=log, stderr=log,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url(0), socket_connect_timeout=0.5)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.1)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        """SIGTERM: Redis flushes its append-only file and exits, as on a host's shutdown."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@contextmanager
def private_redis(folder: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(folder)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(backend: Backend, tmp_path: Path) -> Iterator[PrivateRedis]:
    if backend.name != "postgresql":
        pytest.skip("production mode: PostgreSQL with a Redis broker and cache")
    folder = tmp_path / "redis"
    folder.mkdir()
    with private_redis(folder) as server:
        yield server


@pytest.fixture
def production(settings: Settings, redis_server: PrivateRedis) -> Settings:
    return settings.model_copy(
        update={"celery_broker_url": redis_server.url(0), "redis_cache_url": redis_server.url(1)}
    )


@pytest.fixture
async def prod_app(production: Settings) -> AsyncIterator[FastAPI]:
    from vertex_ar.app import create_app

    application = create_app(production)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def prod_http(prod_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=prod_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


async def wait_ready(app: FastAPI, tenant: Tenant, ids: list[int], log: Path) -> None:
    deadline = asyncio.get_running_loop().time() + 240
    statuses: dict[int, str] = {}
    while asyncio.get_running_loop().time() < deadline:
        for content_id in ids:
            body = (await tenant.admin.get(f"/api/ar-content/{content_id}")).json()
            statuses[content_id] = body["marker_status"]
        if all(status == "ready" for status in statuses.values()):
            return
        await asyncio.sleep(0.5)
    tail = log.read_text(errors="replace")[-3000:]
    raise AssertionError(f"markers not compiled after Redis came back: {statuses}\n{tail}")


async def test_redis_down_answers_clearly_and_queued_work_continues(
    prod_app: FastAPI,
    prod_http: httpx.AsyncClient,
    production: Settings,
    redis_server: PrivateRedis,
    clips: list[bytes],
    tmp_path: Path,
) -> None:
    root = await create_superadmin(prod_app, prod_http)
    tenant = await make_tenant(root, "Alpha Prints")
    shown = (await create_content(tenant, videos=clips[:1])).json()
    await mark_ready(prod_app, shown)
    page, video = f"/ar/{shown['unique_id']}", f"/api/ar/{shown['unique_id']}/active-video"
    assert (await prod_http.get(video)).status_code == 200
    queued_before = (await create_content(tenant)).json()  # its task waits in Redis
    failed = (await create_content(tenant)).json()
    await set_content(prod_app, failed["id"], marker_status=MarkerStatus.failed)
    email = f"admin@{(await root.get(f'/api/companies/{tenant.company_id}')).json()['slug']}"

    redis_server.stop()
    answers: list[tuple[str, int]] = []

    def seen(what: str, response: httpx.Response) -> httpx.Response:
        answers.append((what, response.status_code))
        return response

    # The viewer serves what the database holds: the page and today's video.
    assert seen("viewer page", await prod_http.get(page)).status_code == 200
    active = seen("active video", await prod_http.get(video))
    assert active.status_code == 200, active.text
    assert active.json()["video_id"] == shown["videos"][0]["id"]
    # Logging in works (its throttle falls back to this process's buckets).
    again = await login(prod_http, f"{email}.example.com", TENANT_ADMIN_PASSWORD)
    assert again.token
    # The health check says the broker is down.
    health = seen("health", await prod_http.get("/api/health/status"))
    assert health.status_code == 503 and health.json()["checks"]["broker"] == {"ok": False}
    # An upload is stored; its marker waits for the queue (pending, not failed).
    during = seen("upload", await create_content(tenant))
    assert during.status_code == 201, during.text
    assert during.json()["marker_status"] == "pending"
    # Queuing a compile needs the broker: a clear 503.
    url = f"/api/ar-content/{failed['id']}/generate-marker"
    url = f"/api/ar-content/{failed['id']}/generate-marker"
    regenerate = seen("generate-marker", await tenant.admin.post(url))
    assert regenerate.status_code == 503, regenerate.text
    assert regenerate.json()["error"]["code"] == "queue_unavailable"
    assert int(regenerate.headers["Retry-After"]) > 0
    # A worker's sweep cannot queue it either, and leaves it for the next sweep (not for an hour).
    async with prod_app.state.database.sessions() as session:
        assert await requeue_stale_markers(session, TaskQueue(production)) == []
        assert await count_stale_markers(session) == 2  # the upload and the refused compile
    assert not [a for a in answers if a[1] >= 500 and a[0] not in ("health", "generate-marker")]

    redis_server.start()
    log = tmp_path / "worker.log"
    with running_worker(production, log, MARKER_SWEEP_SECONDS="1"):
        # Queued before the outage (kept in Redis), made during it, refused during it: all done.
        ids = [queued_before["id"], during.json()["id"], failed["id"]]
        await wait_ready(prod_app, tenant, ids, log)
