"""A real worker process: the embedded broker on SQLite, Redis on PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgpack
import pytest

from tests.support.content import create_content, mark_ready
from tests.support.tenants import Tenant
from tests.support.worker import running_worker
from vertex_ar.content.models import ARContent


async def _poll(fn: Any, timeout: float, what: str, log: Path) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if value := await fn():
            return value
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}\n{log.read_text(errors='replace')[-4000:]}")


async def test_marker_compiled_by_worker(
    tenant_a: Tenant, settings: Any, app: Any, tmp_path: Path
) -> None:
    created = await create_content(tenant_a)
    assert created.status_code == 201
    content_id = created.json()["id"]
    assert created.json()["marker_status"] == "pending"
    log = tmp_path / "worker.log"

    async def settled() -> dict[str, Any] | None:
        body = (await tenant_a.admin.get(f"/api/ar-content/{content_id}")).json()
        return body if body["marker_status"] in ("ready", "failed") else None

    with running_worker(settings, log):
        body = await _poll(settled, 180, "the marker to compile", log)

        async def worker_seen() -> bool:
            health = (await tenant_a.admin.http.get("/api/health/status")).json()
            return bool(health["checks"]["worker"]["ok"])

        # The heartbeat thread's first beat may come after a quick compile on a loaded machine.
        await _poll(worker_seen, 60, "the worker's heartbeat in the health check", log)

    assert body["marker_status"] == "ready", body["marker_error"]
    assert body["marker_error"] is None
    assert 0 <= body["marker_quality"]["score"] <= 100
    async with app.state.database.sessions() as session:
        content = await session.get(ARContent, content_id)
        assert content is not None and content.marker_key
    mind = (Path(settings.storage_root) / content.marker_key).read_bytes()
    decoded = msgpack.unpackb(mind)
    assert decoded["v"] == 2
    assert decoded["dataList"][0]["targetImage"] == {"width": 640, "height": 480}


async def test_beat_deactivates_expired_content(
    app: Any, tenant_a: Tenant, settings: Any, tmp_path: Path
) -> None:
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    future = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    expired = (await create_content(tenant_a, expires_at=past)).json()
    current = (await create_content(tenant_a, expires_at=future)).json()
    # The API shows it expired at once; the stored switch is what Beat turns off.
    assert (expired["active"], expired["expired"]) == (False, True)
    log = tmp_path / "worker.log"

    async def deactivated() -> bool:
        async with app.state.database.sessions() as session:
            row = await session.get(ARContent, expired["id"])
            return row is not None and row.active is False

    with running_worker(settings, log, EXPIRY_CHECK_SECONDS="2"):
        await _poll(deactivated, 90, "beat to deactivate expired content", log)
    still = (await tenant_a.admin.get(f"/api/ar-content/{current['id']}")).json()
    assert still["active"] is True


async def test_health_reports_missing_worker(client: Any) -> None:
    response = await client.get("/api/health/status")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True
    assert body["checks"]["storage"]["ok"] is True
    assert body["checks"]["worker"]["ok"] is False


@pytest.mark.parametrize("broken", ["broker", "storage"])
async def test_health_503_when_a_dependency_is_down(
    broken: str, settings: Any, tmp_path: Path
) -> None:
    import httpx

    from vertex_ar.app import create_app

    if broken == "broker":
        settings = settings.model_copy(update={"celery_broker_url": "redis://127.0.0.1:1/0"})
    else:
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("a file where the storage folder should be")
        settings = settings.model_copy(update={"storage_root": blocker / "storage"})
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.get("/api/health/status")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["checks"][broken] == {"ok": False}  # the error text is for a superadmin


async def test_rendition_made_by_worker(
    tenant_a: Tenant, settings: Any, app: Any, tmp_path: Path
) -> None:
    """The `media` queue is served: an HEVC upload gets its H.264 rendition from a real worker."""
    from tests.support import media

    clip = media.hevc(tmp_path / "hevc.mp4")
    created = await create_content(tenant_a, videos=[clip])
    assert created.status_code == 201, created.text
    content_id = created.json()["id"]
    await mark_ready(app, created.json())
    active_url = f"/api/ar/{created.json()['unique_id']}/active-video"
    before = (await tenant_a.admin.http.get(active_url)).json()  # kept by the web process
    assert (before["status"], before["playable"]) == ("processing", False)
    log = tmp_path / "worker.log"

    async def rendered() -> dict[str, Any] | None:
        body = (await tenant_a.admin.get(f"/api/ar-content/{content_id}")).json()
        video: dict[str, Any] = body["videos"][0]
        return video if video["status"] != "processing" else None

    with running_worker(settings, log):
        video = await _poll(rendered, 180, "the rendition", log)
    assert video["status"] == "ready", video["status_reason"]
    assert video["rendition"]["width"] == 320 and video["rendition"]["size_bytes"] > 0
    # The worker's commit told the web process that its kept answer is stale.
    after = (await tenant_a.admin.http.get(active_url)).json()
    assert (after["status"], after["playable"], after["rendition"]) == (
        "ready",
        True,
        video["rendition"],
    )
