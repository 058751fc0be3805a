"""Inputs that used to answer 500 (issue 10) answer a 4xx that names the problem."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.backends import Backend
from tests.support.content import client_from, create_content, ready_content
from tests.support.tenants import Tenant
from vertex_ar.core.settings import Settings


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31"), (None, "0001-01-01")],
)
async def test_analytics_ranges_at_the_calendars_edges(
    superadmin: Any, tenant_a: Tenant, date_from: str | None, date_to: str
) -> None:
    params = {"date_to": date_to, **({"date_from": date_from} if date_from else {})}
    response = await tenant_a.admin.get("/api/analytics/overview", params=params)
    assert response.status_code == 422, response.text
    assert "date" in response.json()["error"]["message"]


async def test_range_header_with_thousands_of_digits(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips)
    async with client_from(app, "198.51.100.20") as viewer:
        url = (await viewer.get(f"/api/ar/{content['unique_id']}/active-video")).json()["url"]
        huge = "9" * 5000
        past_the_end = await viewer.get(url, headers={"Range": f"bytes={huge}-"})
        assert past_the_end.status_code == 416
        suffix = await viewer.get(url, headers={"Range": f"bytes=-{huge}"})
        assert suffix.status_code == 206
        assert suffix.content == clips[0]
        open_end = await viewer.get(url, headers={"Range": f"bytes=0-{huge}"})
        assert open_end.status_code == 206
        assert open_end.content == clips[0]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("2030-06-01T00:00:00", "2030-05-31T21:00:00Z"),  # naive: the company's clock (UTC+3)
        ("2030-06-01", "2030-05-31T21:00:00Z"),  # a date: its start in the company's zone
        ("2030-06-01T00:00:00+00:00", "2030-06-01T00:00:00Z"),  # explicit: as given
    ],
)
async def test_expires_at_without_a_time_zone_is_the_companys_time(
    superadmin: Any, tenant_a: Tenant, mp4_bytes: bytes, given: str, stored: str
) -> None:
    moved = await superadmin.patch(
        f"/api/companies/{tenant_a.company_id}", json={"timezone": "Europe/Moscow"}
    )
    assert moved.status_code == 200
    created = await create_content(tenant_a, videos=[mp4_bytes], expires_at=given)
    assert created.status_code == 201, created.text
    assert created.json()["expires_at"].replace(".000000", "") == stored
    patched = await tenant_a.admin.patch(
        f"/api/ar-content/{created.json()['id']}", json={"expires_at": given}
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["expires_at"] == stored


async def test_malformed_json_names_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/login", content=b'{"email": "a@example.com", "password": ', headers={
            "content-type": "application/json"}
    )  # fmt: skip
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "JSON" in message
    assert "body" in message


@pytest.fixture
def short_busy_timeout(settings: Settings) -> Settings:
    settings.sqlite_busy_timeout_seconds = 0.5  # the default waits 10 s for the lock first
    return settings


async def test_a_locked_sqlite_database_answers_503_with_retry_after(
    backend: Backend, short_busy_timeout: Settings, superadmin: Any, tenant_a: Tenant
) -> None:
    """Another process (a backup, a migration, a sqlite3 shell) holds the write lock: a write
    answers 503 with Retry-After, not a 500; it works again once the lock is gone."""
    if backend.name != "sqlite":
        pytest.skip("SQLite's database-wide lock")
    holder = sqlite3.connect(backend.database_url.split(":///", 1)[1], isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        locked = await superadmin.patch(
            f"/api/companies/{tenant_a.company_id}", json={"name": "Renamed"}
        )
        assert locked.status_code == 503, locked.text
        assert locked.headers["Retry-After"] == "1"
        assert locked.json()["error"]["code"] == "database_busy"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    again = await superadmin.patch(
        f"/api/companies/{tenant_a.company_id}", json={"name": "Renamed"}
    )
    assert again.status_code == 200, again.text
