"""Analytics: overview numbers against sessions inserted here, days in the company's time zone,
pagination, tenancy; and a view through the public API that the overview counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.support.api import Api
from tests.support.content import make_content, ready_content
from tests.support.tenants import Tenant
from vertex_ar.analytics.models import ARViewSession

# +05:30: a half-hour zone, so 15-minute bucketing matters at its midnight.
ZONE = "Asia/Kolkata"
DAY = date(2026, 3, 10)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A UTC instant."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def insert(app: Any, rows: list[dict[str, Any]]) -> None:
    async with app.state.database.sessions() as session:
        session.add_all([ARViewSession(**row) for row in rows])
        await session.commit()


@pytest.fixture
async def seeded(app: Any, superadmin: Api, tenant_a: Tenant, tenant_b: Tenant) -> dict[str, Any]:
    """Sessions of two contents of tenant A (company zone Asia/Kolkata) and one of tenant B."""
    await superadmin.patch(f"/api/companies/{tenant_a.company_id}", json={"timezone": ZONE})
    a1 = await make_content(tenant_a, [])
    a2 = await make_content(tenant_a, [])
    b1 = await make_content(tenant_b, [])

    def row(content: dict[str, Any], created: datetime, **values: Any) -> dict[str, Any]:
        base = {"company_id": content["company_id"], "content_id": content["id"],
                "device_type": "mobile", "found": True, "fps": 20.0, "duration_seconds": 10.0,
                "time_to_detection_ms": 1000.0, "created_at": created}  # fmt: skip
        return base | values

    await insert(app, [
        # 10 March in Kolkata: 00:10 local is 18:40 UTC on 9 March.
        row(a1, at(DAY - timedelta(days=1), 18, 40), device_type="tablet", fps=30.0),
        row(a1, at(DAY, 6), duration_seconds=20.0, time_to_detection_ms=3000.0),
        row(a2, at(DAY, 18, 20), found=False, time_to_detection_ms=None, fps=4.0,
            device_type="desktop"),  # 23:50 local, still 10 March
        # 11 March local (18:30 UTC on the 10th is 00:00 on the 11th in Kolkata).
        row(a2, at(DAY, 18, 30), duration_seconds=30.0),
        # Outside the period: 12 March local.
        row(a1, at(DAY + timedelta(days=2), 0)),
        # Another tenant's session on the same day.
        row(b1, at(DAY, 6), device_type="other"),
    ])  # fmt: skip
    return {"a1": a1, "a2": a2, "b1": b1}


async def test_overview_numbers(tenant_a: Tenant, seeded: dict[str, Any]) -> None:
    response = await tenant_a.admin.get(
        "/api/analytics/overview", params={"date_from": "2026-03-10", "date_to": "2026-03-11"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == ZONE
    assert body["views"] == 4
    assert body["views_per_day"] == [{"date": "2026-03-10", "views": 3},
                                     {"date": "2026-03-11", "views": 1}]  # fmt: skip
    assert body["unique_content"] == 2
    assert body["avg_session_seconds"] == pytest.approx((10 + 20 + 10 + 30) / 4)
    assert body["device_split"] == {"mobile": 2, "tablet": 1, "desktop": 1, "other": 0}
    assert body["avg_fps"] == pytest.approx((30 + 20 + 4 + 20) / 4)
    assert body["detection_rate"] == pytest.approx(3 / 4)
    assert body["avg_time_to_detection_ms"] == pytest.approx((1000 + 3000 + 1000) / 3)

    one = await tenant_a.admin.get(
        "/api/analytics/overview",
        params={"date_from": "2026-03-10", "date_to": "2026-03-10",
                "content_id": seeded["a2"]["id"]},
    )  # fmt: skip
    assert one.json()["views"] == 1 and one.json()["detection_rate"] == 0.0
    empty = await tenant_a.admin.get(
        "/api/analytics/overview", params={"date_from": "2025-01-01", "date_to": "2025-01-03"}
    )
    assert empty.json()["views"] == 0
    assert empty.json()["avg_fps"] is None and empty.json()["detection_rate"] is None
    assert [d["views"] for d in empty.json()["views_per_day"]] == [0, 0, 0]
    default = (await tenant_a.admin.get("/api/analytics/overview")).json()
    assert len(default["views_per_day"]) == 30  # the last 30 local days


async def test_startup_medians_per_content(
    app: Any, tenant_a: Tenant, tenant_b: Tenant, seeded: dict[str, Any]
) -> None:
    """Median engine start-up and time to the first detection per content item (sessions whose
    engine never started are left out), on each backend's own median."""
    a1, a2 = seeded["a1"], seeded["a2"]

    def row(content: dict[str, Any], engine: float | None, found: float | None) -> dict[str, Any]:
        return {"company_id": content["company_id"], "content_id": content["id"],
                "device_type": "mobile", "found": found is not None, "duration_seconds": 5.0,
                "time_to_detection_ms": found, "engine_start_ms": engine,
                "created_at": at(DAY, 7)}  # fmt: skip

    await insert(app, [
        row(a1, 900.0, 400.0), row(a1, 3000.0, None), row(a1, 1200.0, 600.0),
        row(a1, 1500.0, 2000.0), row(a1, None, None),  # a fallback: the engine never started
        row(a2, 5000.0, None),
    ])  # fmt: skip
    period = {"date_from": "2026-03-10", "date_to": "2026-03-10"}
    response = await tenant_a.admin.get("/api/analytics/startup", params=period)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["timezone"] == ZONE
    assert body["items"] == [
        {"content_id": a1["id"], "engine_starts": 4, "median_engine_start_ms": 1350.0,
         "detections": 3, "median_time_to_detection_ms": 600.0},
        {"content_id": a2["id"], "engine_starts": 1, "median_engine_start_ms": 5000.0,
         "detections": 0, "median_time_to_detection_ms": None},
    ]  # fmt: skip
    only_a2 = period | {"content_id": a2["id"]}
    one = await tenant_a.admin.get("/api/analytics/startup", params=only_a2)
    assert [item["content_id"] for item in one.json()["items"]] == [a2["id"]]
    # Another tenant sees none of it, and not the content either.
    assert (await tenant_b.admin.get("/api/analytics/startup", params=period)).json()["items"] == []
    other = await tenant_b.admin.get("/api/analytics/startup", params={"content_id": a1["id"]})
    assert other.status_code == 404


async def test_tenants_see_only_their_sessions(
    superadmin: Api, tenant_a: Tenant, tenant_b: Tenant, seeded: dict[str, Any]
) -> None:
    period = {"date_from": "2026-03-01", "date_to": "2026-03-31"}
    b = (await tenant_b.admin.get("/api/analytics/overview", params=period)).json()
    assert b["views"] == 1 and b["device_split"]["other"] == 1 and b["timezone"] == "UTC"
    b_sessions = (await tenant_b.admin.get("/api/analytics/sessions")).json()
    assert [s["content_id"] for s in b_sessions["items"]] == [seeded["b1"]["id"]]
    a_content = {"content_id": seeded["a1"]["id"]}
    assert (
        await tenant_b.admin.get("/api/analytics/overview", params=a_content)
    ).status_code == 404
    assert (
        await tenant_b.admin.get("/api/analytics/sessions", params=a_content)
    ).status_code == 404
    other = {"company_id": tenant_a.company_id}
    assert (await tenant_b.admin.get("/api/analytics/overview", params=other)).status_code == 404
    assert (await tenant_b.admin.get("/api/analytics/sessions", params=other)).status_code == 404

    everything = (await superadmin.get("/api/analytics/overview", params=period)).json()
    assert everything["views"] == 6 and everything["timezone"] == "UTC"
    only_a = await superadmin.get("/api/analytics/overview", params=period | other)
    assert only_a.json()["views"] == 5 and only_a.json()["timezone"] == ZONE
    assert (
        await superadmin.get("/api/analytics/overview", params={"company_id": 999999})
    ).status_code == 404
    assert (await tenant_a.admin.http.get("/api/analytics/overview")).status_code == 401


async def test_sessions_are_paginated_newest_first(
    tenant_a: Tenant, seeded: dict[str, Any]
) -> None:
    first = (await tenant_a.admin.get("/api/analytics/sessions", params={"limit": 2})).json()
    assert first["total"] == 5 and first["limit"] == 2 and len(first["items"]) == 2
    rest = (await tenant_a.admin.get("/api/analytics/sessions",
                                     params={"limit": 2, "offset": 2})).json()  # fmt: skip
    times = [s["created_at"] for s in first["items"] + rest["items"]]
    assert times == sorted(times, reverse=True)
    assert len({s["id"] for s in first["items"] + rest["items"]}) == 4
    window = await tenant_a.admin.get(
        "/api/analytics/sessions",
        params={"since": "2026-03-10T00:00:00Z", "until": "2026-03-10T18:30:00Z"},
    )
    assert window.json()["total"] == 2  # 06:00 and 18:20 UTC on 10 March
    for params in ({"limit": 0}, {"limit": 1000}, {"offset": -1}):
        assert (
            await tenant_a.admin.get("/api/analytics/sessions", params=params)
        ).status_code == 422


async def test_bad_periods(tenant_a: Tenant) -> None:
    url = "/api/analytics/overview"
    reversed_period = {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    assert (await tenant_a.admin.get(url, params=reversed_period)).status_code == 422
    too_long = {"date_from": "2024-01-01", "date_to": "2025-06-01"}
    assert (await tenant_a.admin.get(url, params=too_long)).status_code == 422
    assert (await tenant_a.admin.get(url, params={"date_from": "yesterday"})).status_code == 422


async def test_a_view_through_the_viewer_is_counted(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips)
    session = {"device_type": "mobile", "found": True, "time_to_detection_ms": 1200,
               "fps": 28, "duration_seconds": 30}  # fmt: skip
    sent = await client.post(f"/api/ar/{content['unique_id']}/track-session", json=session)
    assert sent.status_code == 204
    overview = (await tenant_a.admin.get("/api/analytics/overview")).json()
    assert overview["views"] == 1
    assert overview["views_per_day"][-1]["views"] == 1  # today, the last day of the period
    assert overview["device_split"]["mobile"] == 1


async def test_breakdown_ranks_content_and_projects(
    app: Any, tenant_a: Tenant, tenant_b: Tenant, seeded: dict[str, Any]
) -> None:
    """Top content and views per project of the period, in the company's days; other tenants'
    sessions and sessions outside the period count nowhere."""
    project = await tenant_a.admin.post("/api/projects", json={"name": "Autumn"})
    assert project.status_code == 201, project.text
    a3 = await make_content(tenant_a, [], project_id=str(project.json()["id"]))
    await insert(app, [
        {"company_id": a3["company_id"], "content_id": a3["id"], "device_type": "mobile",
         "found": found, "created_at": at(DAY, 8)}
        for found in (True, False, False)
    ])  # fmt: skip
    period = {"date_from": "2026-03-10", "date_to": "2026-03-11"}
    response = await tenant_a.admin.get("/api/analytics/breakdown", params=period)
    assert response.status_code == 200, response.text
    body = response.json()
    a1, a2 = seeded["a1"], seeded["a2"]
    assert [(c["content_id"], c["views"]) for c in body["top_content"]] == [
        (a3["id"], 3), (a1["id"], 2), (a2["id"], 2)
    ]  # fmt: skip
    assert body["top_content"][0]["title"] == a3["title"]
    assert body["top_content"][0]["detection_rate"] == pytest.approx(1 / 3)
    assert [(p["project_id"], p["views"], p["content_viewed"]) for p in body["projects"]] == [
        (tenant_a.project_id, 4, 2), (project.json()["id"], 3, 1)
    ]  # fmt: skip
    other = (await tenant_b.admin.get("/api/analytics/breakdown", params=period)).json()
    assert [c["content_id"] for c in other["top_content"]] == [seeded["b1"]["id"]]
    bad = await tenant_a.admin.get(
        "/api/analytics/breakdown", params={"date_from": "2026-03-12", "date_to": "2026-03-10"}
    )
    assert bad.status_code == 422
