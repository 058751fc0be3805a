"""PUT/GET/DELETE /api/ar-content/{id}/rotation-rule: validation, tenancy, the company's day,
and a cache that follows rule and video changes (Redis on the PostgreSQL + Redis run)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.support.api import Api
from tests.support.content import ready_content
from tests.support.tenants import Tenant
from vertex_ar.core.clock import local_now
from vertex_ar.rotation.models import VideoRotationRule
from vertex_ar.rotation.resolver import RotationPlan, resolve_video
from vertex_ar.rotation.service import todays_video


def _today(timezone: str = "UTC") -> date:
    return local_now(timezone).date()


async def _playing(client: httpx.AsyncClient, content: dict[str, Any]) -> int:
    response = await client.get(f"/api/ar/{content['unique_id']}/active-video")
    assert response.status_code == 200, response.text
    video_id: int = response.json()["video_id"]
    return video_id


@pytest.fixture
async def three(app: Any, tenant_a: Tenant, clips: list[bytes]) -> dict[str, Any]:
    """Ready content with three videos."""
    return await ready_content(app, tenant_a, [clips[0], clips[1], clips[0]])


async def test_each_rule_type_picks_todays_video(
    client: httpx.AsyncClient, tenant_a: Tenant, three: dict[str, Any]
) -> None:
    v1, v2, v3 = (v["id"] for v in three["videos"])
    url = f"/api/ar-content/{three['id']}/rotation-rule"
    admin = tenant_a.admin
    assert (await admin.get(url)).status_code == 404  # no rule yet
    assert await _playing(client, three) == v1  # without a rule: the first video
    today = _today()

    two_days_ago = str(today - timedelta(2))
    cycle = {
        "type": "daily_cycle",
        "config": {"video_sequence": [v1, v2, v3], "start_date": two_days_ago},
    }
    put = await admin.put(url, json=cycle)
    assert put.status_code == 200, put.text
    assert put.json()["today"] == {"date": str(today), "timezone": "UTC", "video_id": v3}
    assert await _playing(client, three) == v3
    got = (await admin.get(url)).json()
    assert got["type"] == "daily_cycle"
    assert got["config"] == {
        "video_sequence": [v1, v2, v3],
        "start_date": str(today - timedelta(2)),
    }

    dated = {"type": "date_specific", "default_video_id": v3,
             "config": {"schedules": [{"start_date": str(today), "end_date": str(today),
                                       "video_id": v2}]}}  # fmt: skip
    assert (await admin.put(url, json=dated)).json()["today"]["video_id"] == v2
    assert await _playing(client, three) == v2
    dated["config"]["schedules"][0]["start_date"] = str(today + timedelta(1))  # type: ignore[index]
    dated["config"]["schedules"][0]["end_date"] = str(today + timedelta(5))  # type: ignore[index]
    assert (await admin.put(url, json=dated)).json()["today"]["video_id"] == v3  # the default
    assert await _playing(client, three) == v3

    pool = {"type": "random_daily", "config": {"video_pool": [v1, v2, v3]}}
    picked = (await admin.put(url, json=pool)).json()["today"]["video_id"]
    assert picked == resolve_video(
        RotationPlan(pool=(v1, v2, v3)), {v1, v2, v3}, three["id"], today
    )
    assert await _playing(client, three) == picked

    # Sections combine in the resolution order: a holiday schedule over a daily cycle.
    combined = {"type": "daily_cycle",
                "config": {"video_sequence": [v1], "start_date": str(today - timedelta(9)),
                           "schedules": [{"start_date": str(today), "end_date": str(today),
                                          "video_id": v3}]}}  # fmt: skip
    assert (await admin.put(url, json=combined)).json()["today"]["video_id"] == v3

    assert (await admin.delete(url)).status_code == 204
    assert (await admin.get(url)).status_code == 404
    assert await _playing(client, three) == v1
    assert (await admin.delete(url)).status_code == 404


async def test_invalid_rules_are_refused(
    app: Any, tenant_a: Tenant, three: dict[str, Any], clips: list[bytes]
) -> None:
    v1, v2, _ = (v["id"] for v in three["videos"])
    other = await ready_content(app, tenant_a, [clips[0]])
    foreign = other["videos"][0]["id"]
    url = f"/api/ar-content/{three['id']}/rotation-rule"
    today = str(_today())
    bad: dict[str, dict[str, Any]] = {
        "another content's video": {"type": "random_daily",
                                    "config": {"video_pool": [v1, foreign]}},
        "unknown default": {"type": "random_daily", "config": {"video_pool": [v1]},
                            "default_video_id": 999_999},
        "section missing for the type": {"type": "daily_cycle", "config": {"video_pool": [v1]}},
        "cycle without start": {"type": "daily_cycle", "config": {"video_sequence": [v1]}},
        "empty sequence": {"type": "daily_cycle",
                           "config": {"video_sequence": [], "start_date": today}},
        "end before start": {"type": "date_specific", "config": {"schedules": [
            {"start_date": today, "end_date": "2000-01-01", "video_id": v2}]}},
        "bad date": {"type": "daily_cycle",
                     "config": {"video_sequence": [v1], "start_date": "2026-02-30"}},
        "unknown type": {"type": "weekly", "config": {"video_pool": [v1]}},
        "unknown config key": {"type": "random_daily",
                               "config": {"video_pool": [v1], "weights": [1]}},
        "negative id": {"type": "random_daily", "config": {"video_pool": [-1]}},
    }  # fmt: skip
    for case, body in bad.items():
        response = await tenant_a.admin.put(url, json=body)
        assert response.status_code == 422, (case, response.text)
        assert response.json()["error"]["code"] == "invalid_input"
    foreign_case = await tenant_a.admin.put(url, json=bad["another content's video"])
    assert foreign_case.json()["error"]["details"]["unknown_video_ids"] == [foreign]
    assert (await tenant_a.admin.get(url)).status_code == 404  # nothing was stored


async def test_another_tenants_rule_is_404(
    tenant_a: Tenant, tenant_b: Tenant, three: dict[str, Any]
) -> None:
    url = f"/api/ar-content/{three['id']}/rotation-rule"
    body = {"type": "random_daily", "config": {"video_pool": [three["videos"][0]["id"]]}}
    assert (await tenant_a.admin.put(url, json=body)).status_code == 200
    assert (await tenant_b.admin.get(url)).status_code == 404
    assert (await tenant_b.admin.put(url, json=body)).status_code == 404
    assert (await tenant_b.admin.delete(url)).status_code == 404
    assert (await tenant_a.admin.get(url)).status_code == 200
    assert (await tenant_a.admin.http.get(url)).status_code == 401


async def test_the_day_is_the_companys(
    app: Any, client: httpx.AsyncClient, superadmin: Api, tenant_a: Tenant, clips: list[bytes]
) -> None:
    """UTC+14 and UTC-11 are always on different dates (25 h apart): the same two-video cycle
    plays its second video on Kiritimati's date and its first (or, before the start, the
    fallback first) on Pago Pago's."""
    content = await ready_content(app, tenant_a, clips)
    v1, v2 = (v["id"] for v in content["videos"])
    url = f"/api/ar-content/{content['id']}/rotation-rule"
    company = f"/api/companies/{tenant_a.company_id}"
    ahead = _today("Pacific/Kiritimati")
    start = str(ahead - timedelta(days=1))
    body = {"type": "daily_cycle", "config": {"video_sequence": [v1, v2], "start_date": start}}

    assert (
        await superadmin.patch(company, json={"timezone": "Pacific/Kiritimati"})
    ).status_code == 200
    today = (await tenant_a.admin.put(url, json=body)).json()["today"]
    assert today == {"date": str(ahead), "timezone": "Pacific/Kiritimati", "video_id": v2}
    assert await _playing(client, content) == v2

    assert (
        await superadmin.patch(company, json={"timezone": "Pacific/Pago_Pago"})
    ).status_code == 200
    await tenant_a.admin.put(url, json=body)  # a rule change forgets the cached choice
    behind = _today("Pacific/Pago_Pago")
    assert behind < ahead
    today = (await tenant_a.admin.get(url)).json()["today"]
    assert today == {"date": str(behind), "timezone": "Pacific/Pago_Pago", "video_id": v1}
    assert await _playing(client, content) == v1


async def test_choice_follows_video_changes(
    client: httpx.AsyncClient, tenant_a: Tenant, three: dict[str, Any]
) -> None:
    """Deleting a video of the cycle shortens it, and today's video changes at once (the cached
    choice is invalidated by the content service)."""
    v1, v2, v3 = (v["id"] for v in three["videos"])
    url = f"/api/ar-content/{three['id']}/rotation-rule"
    start = _today() - timedelta(days=2)
    body = {
        "type": "daily_cycle",
        "config": {"video_sequence": [v1, v2, v3], "start_date": str(start)},
    }
    assert (await tenant_a.admin.put(url, json=body)).json()["today"]["video_id"] == v3
    assert await _playing(client, three) == v3  # cached now (with Redis)
    deleted = await tenant_a.admin.delete(f"/api/ar-content/{three['id']}/videos/{v1}")
    assert deleted.status_code == 204
    # The cycle is now [v2, v3]; day 2 of it is v2.
    assert await _playing(client, three) == v2
    # The stale id in the rule is skipped, not served.
    assert (await tenant_a.admin.get(url)).json()["today"]["video_id"] == v2


async def test_the_cache_is_used_and_rule_changes_reach_it(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, three: dict[str, Any]
) -> None:
    if not app.state.settings.redis_cache_url:
        pytest.skip("no REDIS_CACHE_URL on this backend: nothing is cached")
    v1, v2, _ = (v["id"] for v in three["videos"])
    url = f"/api/ar-content/{three['id']}/rotation-rule"
    body = {"type": "random_daily", "config": {"video_pool": [v2]}}
    assert (await tenant_a.admin.put(url, json=body)).status_code == 200
    assert await _playing(client, three) == v2
    # The choice is kept in Redis: a planted one for the same day and inputs is what is chosen...
    cache = app.state.rotation_cache

    async def chosen() -> int | None:
        async with app.state.database.sessions() as session:
            video = await todays_video(session, cache, three["id"], "UTC")
        return video.id if video else None

    days = f"vertex_ar:rotation:{three['id']}:days"
    (field,) = await cache.client.hkeys(days)
    await cache.client.hset(days, field, str(v1))
    assert await chosen() == v1
    await cache.client.hset(days, field, str(v2))
    assert await chosen() == v2
    # ...a rule changed behind the service's back is not answered from the old choice...
    async with app.state.database.sessions() as session:
        await session.execute(
            update(VideoRotationRule)
            .where(VideoRotationRule.content_id == three["id"])
            .values(config={"video_pool": [v1]})
        )
        await session.commit()
    assert await chosen() == v1
    assert await _playing(client, three) == v1
    # ...and a change through the API invalidates it.
    assert (await tenant_a.admin.put(url, json=body)).status_code == 200
    assert await _playing(client, three) == v2
    assert (
        await tenant_a.admin.put(url, json={**body, "config": {"video_pool": [v1]}})
    ).status_code == 200
    assert await _playing(client, three) == v1


async def test_concurrent_first_rules_all_succeed(
    client: httpx.AsyncClient, tenant_a: Tenant, three: dict[str, Any]
) -> None:
    """Several editors saving the first rule at once: every save answers 200 (the last one wins),
    never a 500 from the one-rule-per-content constraint."""
    import asyncio

    url = f"/api/ar-content/{three['id']}/rotation-rule"
    ids = [v["id"] for v in three["videos"]]
    bodies = [
        {"type": "random_daily", "config": {"video_pool": [ids[i % len(ids)]]}} for i in range(8)
    ]
    answers = await asyncio.gather(*(tenant_a.admin.put(url, json=body) for body in bodies))
    assert [a.status_code for a in answers] == [200] * len(bodies), [a.text for a in answers]
    saved = (await tenant_a.admin.get(url)).json()
    (chosen,) = saved["config"]["video_pool"]
    assert await _playing(client, three) == chosen
