"""View sessions from the page: validation, which content may be counted, rate limits."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import redis

from tests.support.content import client_from, ready_content
from tests.support.tenants import Tenant
from vertex_ar.app import create_app

GOOD = {
    "device_type": "mobile",
    "found": True,
    "time_to_detection_ms": 850.5,
    "fps": 24.2,
    "duration_seconds": 31.0,
}


async def test_a_session_is_recorded_from_a_beacon(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips)
    url = f"/api/ar/{content['unique_id']}/track-session"
    # sendBeacon with a string body sends text/plain; the JSON inside is what counts.
    sent = await client.post(
        url,
        content=json.dumps(GOOD),
        headers={"Content-Type": "text/plain;charset=UTF-8", "User-Agent": "Mozilla/5.0 (iPhone)"},
    )
    assert sent.status_code == 204, sent.text
    # WebGL lost after the engine started: its start-up time still counts.
    lost = {"device_type": "desktop", "found": False, "fps": 3.5, "duration_seconds": 4,
            "mode": "fallback-webgl-lost", "engine_start_ms": 2400.5}  # fmt: skip
    assert (await client.post(url, json=lost)).status_code == 204

    listed = (await tenant_a.admin.get("/api/analytics/sessions")).json()
    assert listed["total"] == 2
    newest, oldest = listed["items"]
    assert newest["found"] is False and newest["time_to_detection_ms"] is None
    assert (newest["mode"], oldest["mode"]) == ("fallback-webgl-lost", None)  # None: not sent
    assert (newest["engine_start_ms"], oldest["engine_start_ms"]) == (2400.5, None)
    assert oldest["content_id"] == content["id"]
    assert oldest["company_id"] == tenant_a.company_id
    assert oldest["user_agent"] == "Mozilla/5.0 (iPhone)"
    assert (oldest["device_type"], oldest["fps"], oldest["time_to_detection_ms"]) == (
        "mobile", 24.2, 850.5,
    )  # fmt: skip


async def test_many_phones_behind_one_address_are_counted(
    app: Any, tenant_a: Tenant, clips: list[bytes]
) -> None:
    """A venue's Wi-Fi or a carrier NAT: 40 visits from one address within seconds, each with
    its own visit id, are all counted (the per-address bucket used to drop all but 5)."""
    content = await ready_content(app, tenant_a, clips)
    url = f"/api/ar/{content['unique_id']}/track-session"
    async with client_from(app, "198.51.100.50") as venue:
        sent = [
            (await venue.post(url, json={**GOOD, "visit_id": f"visit{n:04d}phone"})).status_code
            for n in range(40)
        ]
    assert sent == [204] * 40
    assert (await tenant_a.admin.get("/api/analytics/sessions")).json()["total"] == 40


async def test_a_visit_is_counted_once(app: Any, tenant_a: Tenant, clips: list[bytes]) -> None:
    """A page's report sent again (a retried beacon, a replay) does not count twice."""
    content = await ready_content(app, tenant_a, clips)
    url = f"/api/ar/{content['unique_id']}/track-session"
    visit = {**GOOD, "visit_id": "0f3c9a7b2d4e4f1a8b6c5d7e9f0a1b2c"}
    async with client_from(app, "198.51.100.51") as phone:
        sent = [(await phone.post(url, json=visit)).status_code for _ in range(3)]
        other = await phone.post(url, json={**visit, "visit_id": "another-visit-0001"})
    assert sent == [204, 204, 204]
    assert other.status_code == 204
    assert (await tenant_a.admin.get("/api/analytics/sessions")).json()["total"] == 2
    bad_id = await phone_post(app, url, {**GOOD, "visit_id": "x" * 65})
    assert bad_id.status_code == 422


async def phone_post(app: Any, url: str, body: dict[str, Any]) -> httpx.Response:
    async with client_from(app, "198.51.100.52") as phone:
        return await phone.post(url, json=body)


async def test_invalid_sessions_are_refused(app: Any, tenant_a: Tenant, clips: list[bytes]) -> None:
    content = await ready_content(app, tenant_a, clips)
    url = f"/api/ar/{content['unique_id']}/track-session"
    bad: list[Any] = [
        {**GOOD, "device_type": "toaster"},
        {**GOOD, "fps": -1},
        {**GOOD, "engine_start_ms": -1},
        {**GOOD, "engine_start_ms": 4_000_000},
        {**GOOD, "fps": 1000},
        {**GOOD, "duration_seconds": 90_000},
        {k: v for k, v in GOOD.items() if k != "duration_seconds"},
        {**GOOD, "company_id": 999},  # no extra fields
        {**GOOD, "found": False},  # a detection time without a find
        {**GOOD, "fps": "fast"},
        {**GOOD, "mode": "fallback-sideways"},
        b"{not json",
        b"",
        b"[1, 2]",
        json.dumps({**GOOD, "fps": float("nan")}).encode(),  # Python writes NaN; JSON has none
    ]
    # Each from its own address: the session bucket (5) would otherwise answer 429 first.
    for i, payload in enumerate(bad):
        async with client_from(app, f"192.0.2.{i + 1}") as visitor:
            if isinstance(payload, bytes):
                response = await visitor.post(url, content=payload)
            else:
                response = await visitor.post(url, json=payload)
        assert response.status_code == 422, (payload, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    async with client_from(app, "192.0.2.200") as visitor:
        huge = json.dumps({**GOOD, "pad": "x" * 5000})
        assert (await visitor.post(url, content=huge)).status_code == 413
    assert (await tenant_a.admin.get("/api/analytics/sessions")).json()["total"] == 0


async def test_sessions_only_for_content_that_may_be_shown(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    unknown = "/api/ar/0b7d3c8e-0000-4000-8000-000000000000/track-session"
    assert (await client.post(unknown, json=GOOD)).status_code == 404
    content = await ready_content(app, tenant_a, clips)
    await tenant_a.admin.patch(f"/api/ar-content/{content['id']}", json={"active": False})
    gone = await client.post(f"/api/ar/{content['unique_id']}/track-session", json=GOOD)
    assert gone.status_code == 410
    assert (await tenant_a.admin.get("/api/analytics/sessions")).json()["total"] == 0


@pytest.fixture
async def strict_app(settings: Any) -> AsyncIterator[Any]:
    """The app with small buckets: 3 lookups (then 1/min), 2 sessions, 4 media requests."""
    strict = settings.model_copy(
        update={
            "viewer_rate_burst": 3, "viewer_rate_per_minute": 1,
            "session_rate_burst": 2, "session_rate_per_minute": 1,
            "media_rate_burst": 4, "media_rate_per_minute": 1,
        }
    )  # fmt: skip
    application = create_app(strict)
    async with application.router.lifespan_context(application):
        yield application


async def test_rate_limits_per_ip(strict_app: Any, tenant_a: Tenant, clips: list[bytes]) -> None:
    """In-process buckets on SQLite, Redis buckets on the PostgreSQL + Redis run."""
    content = await ready_content(strict_app, tenant_a, clips)
    uid = content["unique_id"]
    visitor = client_from(strict_app, "203.0.113.7")
    other = client_from(strict_app, "198.51.100.1")
    async with visitor, other:
        statuses = [
            (await visitor.get(f"/api/ar/{uid}/active-video")).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        limited = await visitor.get(f"/api/ar/{uid}/active-video")
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= limited.json()["error"]["details"]["retry_after_seconds"] <= 60
        assert limited.headers["retry-after"] == str(
            limited.json()["error"]["details"]["retry_after_seconds"]
        )
        page = await visitor.get(f"/ar/{uid}")  # the page shares the lookup bucket
        assert page.status_code == 429 and "Too many requests" in page.text
        assert (await other.get(f"/api/ar/{uid}/active-video")).status_code == 200

        url = f"/api/ar/{uid}/track-session"
        sessions = [(await visitor.post(url, json=GOOD)).status_code for _ in range(3)]
        assert sessions == [204, 204, 429]

        link = (await other.get(f"/api/ar/{uid}/active-video")).json()["url"]
        media = [(await other.get(link, headers={"Range": "bytes=0-9"})).status_code
                 for _ in range(5)]  # fmt: skip
        assert media == [206, 206, 206, 206, 429]

    cache_url = strict_app.state.settings.redis_cache_url
    if cache_url:  # the buckets really are in Redis, where every web process sees them
        client = redis.Redis.from_url(cache_url)
        assert client.exists("vertex_ar:ratelimit:viewer:203.0.113.7")
        assert client.exists("vertex_ar:ratelimit:session:203.0.113.7")
        client.close()


async def test_a_beacon_cut_off_mid_body_is_not_a_server_error(
    app: Any, tenant_a: Tenant, clips: list[bytes]
) -> None:
    """A page closed while its beacon was on the way: the body stops and the client is gone."""
    content = await ready_content(app, tenant_a, clips)
    path = f"/api/ar/{content['unique_id']}/track-session"
    body = json.dumps(GOOD).encode()
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": body[:10], "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "client": ("127.0.0.1", 50000), "server": ("testserver", 80),
        "headers": [(b"host", b"testserver"), (b"content-type", b"text/plain;charset=UTF-8"),
                    (b"content-length", str(len(body)).encode())],
    }  # fmt: skip
    await app(scope, receive, send)
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    assert start["status"] == 400
