"""Expired content reads as expired in the API and the admin list the moment its expiry passes,
as the viewer's 410 does, before the daily job switches the stored flag off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from tests.admin.test_admin_http import _browser, _log_in
from tests.support.content import ready_content, set_content
from tests.support.tenants import Tenant
from vertex_ar.content.models import ARContent
from vertex_ar.core.clock import utc_now


async def test_expiry_shows_at_once(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    tomorrow = (utc_now() + timedelta(days=1)).isoformat()
    content = await ready_content(app, tenant_a, [clips[0]], expires_at=tomorrow, title="Flyer")
    url = f"/api/ar-content/{content['id']}"
    assert (content["active"], content["expired"]) == (True, False)

    # Time passes (as the expiry tests move it: the row's own moment), no daily job runs.
    await set_content(app, content["id"], expires_at=utc_now() - timedelta(minutes=1))
    body = (await tenant_a.admin.get(url)).json()
    assert (body["active"], body["expired"]) == (False, True)
    assert (await client.get(f"/api/ar/{content['unique_id']}/active-video")).status_code == 410
    async with app.state.database.sessions() as session:
        stored = await session.get_one(ARContent, content["id"])
        assert stored.active is True  # the daily job has not run: the API did not wait for it
    listed = (await tenant_a.admin.get("/api/ar-content")).json()["items"]
    assert [(i["id"], i["active"], i["expired"]) for i in listed] == [(content["id"], False, True)]
    async with await _browser(app) as http:
        await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        page = await http.get("/admin/content")
        assert 'class="badge">Expired<' in page.text
        inactive = await http.get("/admin/content", params={"show": "inactive"})
        assert "Flyer" in inactive.text
        expiring = await http.get("/admin/content", params={"show": "expiring"})
        assert "Flyer" not in expiring.text  # already expired, not "expiring soon"

    # Extended again: on at once too (the stored flag was never switched off).
    later = (utc_now() + timedelta(days=3)).isoformat()
    patched = await tenant_a.admin.patch(url, json={"expires_at": later})
    assert (patched.json()["active"], patched.json()["expired"]) == (True, False)
