"""/metrics of the real app: route-template labels, business numbers from the database, queue
depth from the broker, several uvicorn workers aggregated."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from prometheus_client.mmap_dict import MmapedDict

from tests.deploy.promtext import samples, total, value
from vertex_ar.analytics.models import ARViewSession
from vertex_ar.app import create_app
from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core import migrate
from vertex_ar.core.settings import Settings
from vertex_ar.observability.middleware import MetricsMiddleware
from vertex_ar.projects.models import Project
from vertex_ar.tasks.models import WorkerHeartbeat

REPO = Path(__file__).parents[2]


@pytest.fixture
async def metrics_client(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield application, http


def test_metrics_are_installed_once(metrics_client: tuple[FastAPI, httpx.AsyncClient]) -> None:
    application, _ = metrics_client
    paths = [r.path_format for r in iter_route_contexts(application.routes)]
    assert paths.count("/metrics") == 1
    classes: list[object] = [m.cls for m in application.user_middleware]
    assert classes.count(MetricsMiddleware) == 1


def _template_with_param(application: FastAPI, prefix: str) -> str:
    for route in iter_route_contexts(application.routes):
        path = route.path_format or ""
        if path.startswith(prefix) and "{" in path and "GET" in (route.methods or ()):
            return path
    raise AssertionError(f"no GET route with a path parameter under {prefix}")


async def test_requests_are_labelled_by_route_template(
    metrics_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    application, http = metrics_client
    template = _template_with_param(application, "/api/companies/")
    # The in-process registry lives as long as the test session: compare before and after.
    before = (await http.get("/metrics")).text
    for company_id in (101, 202, 303):
        response = await http.get(template[: template.index("{")] + str(company_id))
        assert response.status_code == 401  # unauthenticated
    await http.get("/no/such/page")
    text = (await http.get("/metrics")).text

    def delta(name: str, **labels: str) -> float:
        return total(text, name, **labels) - total(before, name, **labels)

    requests, durations = "vertex_ar_http_requests_total", "vertex_ar_http_request_duration_seconds"
    assert delta(requests, method="GET", route=template, status="401") == 3
    assert delta(f"{durations}_count", method="GET", route=template, status="401") == 3
    assert delta(requests, route="<unmatched>", status="404") == 1
    routes = {s.labels.get("route") for s in samples(text) if s.name.startswith("vertex_ar_http")}
    assert not any(r and any(c.isdigit() for c in r.split("{")[0]) for r in routes), routes
    assert "/metrics" not in routes  # scrapes are not counted


async def test_business_numbers_come_from_the_database(
    metrics_client: tuple[FastAPI, httpx.AsyncClient],
) -> None:
    application, http = metrics_client
    now = datetime.now(UTC)
    async with application.state.database.sessions() as session:
        active, inactive = Company(name="A", slug="a"), Company(name="B", slug="b", active=False)
        session.add_all([active, inactive])
        await session.flush()
        project = Project(company_id=active.id, name="P")
        session.add(project)
        await session.flush()
        contents = [
            ARContent(
                company_id=active.id, project_id=project.id, unique_id=f"u{i}", title=f"Words {i}",
                portrait_key=f"{active.id}/portraits/{i}.jpg", portrait_mime="image/jpeg",
                portrait_width=10, portrait_height=10, marker_status=status,
            )
            for i, status in enumerate([MarkerStatus.ready] * 2 + [MarkerStatus.failed])
        ]  # fmt: skip
        session.add_all(contents)
        await session.flush()
        views = [(contents[0], "mobile", now)] * 3 + [(contents[1], "desktop", now)]
        views += [(contents[1], "mobile", now - timedelta(days=3))]  # outside the 24 h window
        session.add_all(
            ARViewSession(company_id=active.id, content_id=c.id, device_type=d, created_at=t)
            for c, d, t in views
        )
        session.add(WorkerHeartbeat(hostname="celery@w1", seen_at=now - timedelta(seconds=7)))
        await session.commit()

    text = (await http.get("/metrics")).text
    assert value(text, "vertex_ar_scrape_source_up", source="database") == 1
    assert value(text, "vertex_ar_companies", active="true") == 1
    assert value(text, "vertex_ar_companies", active="false") == 1
    assert value(text, "vertex_ar_ar_content", marker_status="ready") == 2
    assert value(text, "vertex_ar_ar_content", marker_status="failed") == 1
    assert value(text, "vertex_ar_ar_views_total", device_type="mobile") == 4
    assert value(text, "vertex_ar_ar_views_total", device_type="desktop") == 1
    top = "vertex_ar_ar_content_views_24h"
    assert value(text, top, company_id=str(active.id), unique_id="u0") == 3
    assert value(text, top, company_id=str(active.id), unique_id="u1") == 1
    assert "Words" not in text  # no tenant's titles leave the platform
    seen = value(text, "vertex_ar_celery_worker_heartbeat_timestamp_seconds", hostname="celery@w1")
    assert seen is not None and abs(seen - (now.timestamp() - 7)) < 1
    assert value(text, "vertex_ar_scrape_source_up", source="storage") == 1
    assert (value(text, "vertex_ar_storage_free_bytes") or 0) > 0


async def test_queue_depth_is_read_from_the_broker(
    settings: Settings, metrics_client: tuple[FastAPI, httpx.AsyncClient]
) -> None:
    from vertex_ar.tasks.config import create_celery

    _, http = metrics_client
    before = (await http.get("/metrics")).text
    assert value(before, "vertex_ar_scrape_source_up", source="broker") == 1
    assert value(before, "vertex_ar_celery_queue_length", queue="markers") == 0

    producer = create_celery(settings)
    for _ in range(3):
        producer.send_task("tests.never_consumed", queue="markers")
    producer.send_task("tests.never_consumed", queue="notifications")
    after = (await http.get("/metrics")).text
    assert value(after, "vertex_ar_celery_queue_length", queue="markers") == 3
    assert value(after, "vertex_ar_celery_queue_length", queue="notifications") == 1
    assert value(after, "vertex_ar_celery_queue_length", queue="default") == 0
    if settings.celery_broker_url:
        import redis

        redis.Redis.from_url(settings.celery_broker_url).delete("markers", "notifications")


async def test_metrics_survive_a_dead_broker(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    migrate.upgrade(url)
    settings = Settings(
        env="test", database_url=url, celery_broker_url="redis://127.0.0.1:1/0",
        data_dir=tmp_path, storage_root=tmp_path / "storage",
        _env_file=None,
    )  # fmt: skip
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/metrics")
    assert response.status_code == 200
    assert value(response.text, "vertex_ar_scrape_source_up", source="broker") == 0
    assert value(response.text, "vertex_ar_scrape_source_up", source="database") == 1
    assert value(response.text, "vertex_ar_celery_queue_length", queue="markers") is None


@pytest.mark.parametrize(
    ("client_host", "allowed", "answered"),
    [
        ("203.0.113.9", "127.0.0.0/8,10.0.0.0/8", False),  # the internet
        ("10.1.2.3", "127.0.0.0/8,10.0.0.0/8", True),  # the monitoring network
        ("::ffff:10.1.2.3", "10.0.0.0/8", True),  # the same client on a dual-stack socket
        ("10.1.2.3", "127.0.0.1/32", False),  # an operator who narrowed it
    ],
)
async def test_metrics_answer_the_monitoring_network_only(
    settings: Settings, client_host: str, allowed: str, answered: bool
) -> None:
    settings = settings.model_copy(update={"metrics_allowed_networks": allowed})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, client=(client_host, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/metrics")
    assert response.status_code == (200 if answered else 404)
    assert ("vertex_ar_http_requests_total" in response.text) is answered


def test_metrics_networks_are_checked_at_start() -> None:
    with pytest.raises(ValueError, match="CIDR"):
        Settings(metrics_allowed_networks="10.0.0.0/8,intranet", _env_file=None)  # type: ignore[call-arg]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _processes_counting(directory: Path, route: str) -> set[str]:
    """The per-process sample files holding a request count for `route`."""
    found = set()
    for path in directory.glob("counter_*.db"):
        for key, count, *_ in MmapedDict.read_all_values_from_file(str(path)):  # type: ignore[no-untyped-call]
            if "vertex_ar_http_requests_total" in key and json.dumps(route) in key and count:
                found.add(path.name)
    return found


def test_uvicorn_workers_are_aggregated(tmp_path: Path) -> None:
    """Two uvicorn workers: whichever answers the scrape reports every worker's requests."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    migrate.upgrade(url)
    prom = tmp_path / "prom"
    port = _free_port()
    env: dict[str, Any] = {
        **os.environ, "ENV": "test", "DATABASE_URL": url, "DATA_DIR": str(tmp_path),
        "STORAGE_ROOT": str(tmp_path / "storage"), "PROMETHEUS_MULTIPROC_DIR": str(prom),
        "LOG_LEVEL": "WARNING", "NODE_MODULES_DIR": str(REPO / "node_modules"),
    }  # fmt: skip
    cmd = [
        str(REPO / "deploy" / "docker-entrypoint.sh"), sys.executable, "-m", "uvicorn",
        "--factory", "vertex_ar.app:app", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "2", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # two workers import the app at once on a shared machine
        while True:
            try:
                if httpx.get(f"{base}/docs", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, f"uvicorn exited with {server.returncode}"
            assert time.monotonic() < deadline, "uvicorn did not come up"
            time.sleep(0.3)
        # New connections until both workers have answered (bounded): the kernel picks the worker.
        sent = 0
        while sent < 400 and (sent == 0 or len(_processes_counting(prom, "/openapi.json")) < 2):
            with httpx.Client(base_url=base) as one_connection:
                assert one_connection.get("/openapi.json").status_code == 200
            sent += 1
        assert len(_processes_counting(prom, "/openapi.json")) == 2, f"one worker took {sent}"
        for _ in range(4):
            with httpx.Client(base_url=base) as one_connection:
                text = one_connection.get("/metrics").text
            assert total(text, "vertex_ar_http_requests_total", route="/openapi.json") == sent
    finally:
        server.terminate()
        server.wait(timeout=30)
