"""Trash and restore (issue 12): a deleted project switches its printed codes off (410) until it
is restored, with the same code, video, rotation rule and analytics; tenants see only their own
trash; Beat purges what has been in it longer than TRASH_RETENTION_DAYS, media included."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from tests.support.api import Api, login
from tests.support.content import ready_content, storage_files, storage_path
from tests.support.tenants import Tenant
from vertex_ar.analytics.models import ARViewSession
from vertex_ar.content.models import ARContent, Video
from vertex_ar.core.clock import local_now, utc_now
from vertex_ar.tasks.config import create_celery
from vertex_ar.trash.purge import purge_expired_trash

SESSION = {"device_type": "mobile", "found": True, "fps": 30.0, "duration_seconds": 12.0}


async def _viewer(client: httpx.AsyncClient, unique_id: str) -> tuple[int, dict[str, Any]]:
    """(status of the viewer page, the active-video answer)."""
    page = await client.get(f"/ar/{unique_id}")
    api = await client.get(f"/api/ar/{unique_id}/active-video")
    assert page.status_code == api.status_code, (page.status_code, api.text)
    body: dict[str, Any] = api.json()
    return page.status_code, body


async def _views(admin: Api, content_id: int) -> int:
    overview = await admin.get("/api/analytics/overview", params={"content_id": content_id})
    assert overview.status_code == 200, overview.text
    views: int = overview.json()["views"]
    return views


async def test_deleted_project_switches_the_code_off_until_restored(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    admin = tenant_a.admin
    content = await ready_content(app, tenant_a, [clips[0], clips[1]])
    uid, content_url = content["unique_id"], f"/api/ar-content/{content['id']}"
    v1, v2 = (v["id"] for v in content["videos"])
    today = str(local_now("UTC").date())
    rule = {"type": "daily_cycle", "config": {"video_sequence": [v2, v1], "start_date": today}}
    put = await admin.put(f"{content_url}/rotation-rule", json=rule)
    assert put.status_code == 200, put.text

    status, before = await _viewer(client, uid)
    assert status == 200
    assert before["video_id"] == v2  # the rule's choice, not the first video
    played = await client.get(before["url"])
    assert played.content == clips[1]
    sent = await client.post(f"/api/ar/{uid}/track-session", content=json.dumps(SESSION))
    assert sent.status_code == 204
    assert await _views(admin, content["id"]) == 1

    files_before = set(storage_files(app.state.settings))
    deleted = await admin.delete(f"/api/projects/{tenant_a.project_id}")
    assert deleted.status_code == 204
    status, gone = await _viewer(client, uid)
    assert status == 410
    assert gone["error"]["details"]["reason"] == "inactive"  # "switched off"
    page = await client.get(f"/ar/{uid}")
    assert 'data-state="inactive"' in page.text
    # Out of every list and read; media and analytics rows stay.
    assert (await admin.get(content_url)).status_code == 404
    assert (await admin.get(f"/api/projects/{tenant_a.project_id}")).status_code == 404
    assert (await admin.get("/api/ar-content")).json()["total"] == 0
    assert (await admin.get("/api/projects")).json()["total"] == 0
    assert set(storage_files(app.state.settings)) == files_before  # media stay until purged
    async with app.state.database.sessions() as session:
        kept = await session.scalar(
            select(func.count()).where(ARViewSession.content_id == content["id"])
        )
    assert kept == 1

    trash = (await admin.get("/api/trash")).json()
    assert trash["total"] == 1  # the project; its content went along and is not listed apart
    (item,) = trash["items"]
    assert item["deleted_by_email"] == "admin@alpha-prints.example.com"
    assert (item["kind"], item["id"], item["company_id"]) == (
        "project", tenant_a.project_id, tenant_a.company_id,
    )  # fmt: skip
    deleted_at = item["deleted_at"].replace("Z", "+00:00")
    assert item["purge_after"].startswith(
        (utc_now().fromisoformat(deleted_at) + timedelta(days=30)).date().isoformat()
    )

    # The content alone cannot come back while its project is in the trash: 409 naming it.
    alone = await admin.post(f"/api/trash/content/{content['id']}/restore")
    assert alone.status_code == 409
    assert f"project {tenant_a.project_id}" in alone.json()["error"]["message"]
    assert alone.json()["error"]["details"] == {"project_id": tenant_a.project_id}

    restored = await admin.post(f"/api/trash/project/{tenant_a.project_id}/restore")
    assert restored.status_code == 204, restored.text
    status, after = await _viewer(client, uid)
    assert status == 200
    assert after["unique_id"] == uid
    assert after["video_id"] == v2  # the same rule chooses the same video
    assert (await client.get(after["url"])).content == clips[1]
    assert (await admin.get(f"{content_url}/rotation-rule")).json()["type"] == "daily_cycle"
    assert await _views(admin, content["id"]) == 1  # analytics intact
    assert (await admin.get("/api/trash")).json()["total"] == 0

    again = await admin.post(f"/api/trash/project/{tenant_a.project_id}/restore")
    assert again.status_code == 409
    assert "not in the trash" in again.json()["error"]["message"]
    live = await admin.post(f"/api/trash/content/{content['id']}/restore")
    assert live.status_code == 409
    unknown = await admin.post("/api/trash/content/999999/restore")
    assert unknown.status_code == 404
    bad_kind = await admin.post(f"/api/trash/poster/{content['id']}/restore")
    assert bad_kind.status_code == 422

    audit = (await admin.get("/api/audit")).json()
    actions = [(e["action"], e["item_kind"], e["item_id"]) for e in audit["items"]]
    assert actions[:2] == [
        ("restore", "project", tenant_a.project_id),
        ("delete", "project", tenant_a.project_id),
    ]


async def test_a_deleted_video_leaves_the_rotation_and_comes_back(
    app: Any, client: httpx.AsyncClient, superadmin: Api, tenant_a: Tenant, clips: list[bytes]
) -> None:
    admin = tenant_a.admin
    content = await ready_content(app, tenant_a, [clips[0], clips[1]])
    v1, v2 = (v["id"] for v in content["videos"])
    base = f"/api/ar-content/{content['id']}"
    assert (await _viewer(client, content["unique_id"]))[1]["video_id"] == v1
    assert (await admin.delete(f"{base}/videos/{v1}")).status_code == 204
    assert (await _viewer(client, content["unique_id"]))[1]["video_id"] == v2
    assert [v["id"] for v in (await admin.get(base)).json()["videos"]] == [v2]
    listed = (await admin.get("/api/trash", params={"kind": "video"})).json()["items"]
    assert [(i["kind"], i["id"], i["content_id"]) for i in listed] == [("video", v1, content["id"])]

    # A video of content in the trash waits for its content.
    assert (await admin.delete(base)).status_code == 204
    blocked = await admin.post(f"/api/trash/video/{v1}/restore")
    assert blocked.status_code == 409
    assert f"content {content['id']}" in blocked.json()["error"]["message"]
    assert (await admin.post(f"/api/trash/content/{content['id']}/restore")).status_code == 204
    assert (await admin.post(f"/api/trash/video/{v1}/restore")).status_code == 204
    assert (await _viewer(client, content["unique_id"]))[1]["video_id"] == v1
    assert [v["id"] for v in (await admin.get(base)).json()["videos"]] == [v1, v2]


async def test_tenants_see_and_restore_only_their_own_trash(
    app: Any, superadmin: Api, tenant_a: Tenant, tenant_b: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, [clips[0]])
    video_id = content["videos"][0]["id"]
    assert (await tenant_a.admin.delete(f"/api/ar-content/{content['id']}")).status_code == 204
    assert (await tenant_a.admin.get("/api/trash")).json()["total"] == 1

    b = tenant_b.admin
    assert (await b.get("/api/trash")).json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    filtered = await b.get("/api/trash", params={"company_id": tenant_a.company_id})
    assert filtered.status_code == 404
    assert (await b.post(f"/api/trash/content/{content['id']}/restore")).status_code == 404
    assert (await b.post(f"/api/trash/video/{video_id}/restore")).status_code == 404
    assert (await b.delete(f"/api/trash/content/{content['id']}")).status_code == 403
    assert (await tenant_a.admin.delete(f"/api/trash/content/{content['id']}")).status_code == 403
    a_log = (await tenant_a.admin.get("/api/audit")).json()["items"]
    b_log = (await b.get("/api/audit")).json()["items"]
    assert ("delete", "content", content["id"]) in {
        (e["action"], e["item_kind"], e["item_id"]) for e in a_log
    }
    assert {e["company_id"] for e in a_log} == {tenant_a.company_id}
    assert {e["company_id"] for e in b_log} == {tenant_b.company_id}
    assert "Poster" not in {e["item_label"] for e in b_log}
    foreign = await b.get("/api/audit", params={"company_id": tenant_a.company_id})
    assert foreign.status_code == 404

    # A superadmin sees every tenant's trash, or one company's.
    every = (await superadmin.get("/api/trash")).json()
    assert [(i["kind"], i["id"]) for i in every["items"]] == [("content", content["id"])]
    only_b = await superadmin.get("/api/trash", params={"company_id": tenant_b.company_id})
    assert only_b.json()["total"] == 0
    assert (
        await tenant_a.admin.post(f"/api/trash/content/{content['id']}/restore")
    ).status_code == 204


async def test_company_delete_asks_for_its_name(
    app: Any, client: httpx.AsyncClient, superadmin: Api, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, [clips[0]])
    company = f"/api/companies/{tenant_a.company_id}"
    name = (await superadmin.get(company)).json()["name"]

    missing = await superadmin.delete(company)
    assert missing.status_code == 422
    assert missing.json()["error"]["details"][0]["field"] == "confirm"
    wrong = await superadmin.delete(company, params={"confirm": name + "x"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["details"][0]["field"] == "confirm"
    wrong_body = await superadmin.request("DELETE", company, json={"confirm": name.upper()})
    assert wrong_body.status_code == 422
    assert (await superadmin.get(company)).status_code == 200  # nothing changed
    assert (await _viewer(client, content["unique_id"]))[0] == 200
    assert (await tenant_a.admin.get("/api/ar-content")).status_code == 200

    done = await superadmin.request("DELETE", company, json={"confirm": name})
    assert done.status_code == 204
    assert (await superadmin.get(company)).status_code == 404
    assert (await _viewer(client, content["unique_id"]))[0] == 410
    assert (await tenant_a.admin.get("/api/ar-content")).status_code == 401  # sessions ended
    trash = (await superadmin.get("/api/trash")).json()
    assert [(i["kind"], i["id"]) for i in trash["items"]] == [("company", tenant_a.company_id)]
    # The project inside waits for its company; a company admin may not restore a company.
    blocked = await superadmin.post(f"/api/trash/project/{tenant_a.project_id}/restore")
    assert blocked.status_code == 409
    assert f"company {tenant_a.company_id}" in blocked.json()["error"]["message"]

    back = await superadmin.post(f"/api/trash/company/{tenant_a.company_id}/restore")
    assert back.status_code == 204
    assert (await _viewer(client, content["unique_id"]))[0] == 200
    assert (await superadmin.get(f"/api/ar-content/{content['id']}")).status_code == 200

    # A company without content goes without confirmation.
    empty = await superadmin.post("/api/companies", json={"name": "Empty Co"})
    assert (await superadmin.delete(f"/api/companies/{empty.json()['id']}")).status_code == 204


async def test_beat_purges_after_the_retention_period(
    app: Any, settings: Any, superadmin: Api, tenant_a: Tenant, clips: list[bytes]
) -> None:
    admin = tenant_a.admin
    old = await ready_content(app, tenant_a, [clips[0]])
    recent = await ready_content(app, tenant_a, [clips[1]])
    kept = await ready_content(app, tenant_a, [clips[0]])
    for item in (old, recent):
        assert (await admin.delete(f"/api/ar-content/{item['id']}")).status_code == 204
    files = set(storage_files(settings))
    async with app.state.database.sessions() as session:
        row = await session.get_one(ARContent, old["id"])
        keys = [row.portrait_key, row.marker_key]
        for video in await session.scalars(select(Video).where(Video.content_id == old["id"])):
            keys += [video.file_key, video.thumbnail_key]
    old_files = {storage_path(app, k) for k in keys if k}
    assert len(old_files) == 4  # portrait, marker, video, thumbnail
    assert old_files <= files

    # Time in the trash, as the expiry tests set time: the rows' own moments.
    retention = timedelta(days=settings.trash_retention_days)
    async with app.state.database.sessions() as session:
        for item, age in (
            (old, retention + timedelta(hours=1)),
            (recent, retention - timedelta(hours=1)),
        ):
            await session.execute(
                update(ARContent)
                .where(ARContent.id == item["id"])
                .values(deleted_at=utc_now() - age)
            )
        await session.commit()
        purged = await purge_expired_trash(session, settings)  # Beat's job
    assert purged == 1
    left = set(storage_files(settings))
    assert not (old_files & left)
    assert len(left) == len(files) - len(old_files)
    assert (await superadmin.post(f"/api/trash/content/{old['id']}/restore")).status_code == 404
    trash = (await admin.get("/api/trash")).json()
    assert [i["id"] for i in trash["items"]] == [recent["id"]]
    assert (await admin.post(f"/api/trash/content/{recent['id']}/restore")).status_code == 204
    assert (await admin.get(f"/api/ar-content/{kept['id']}")).status_code == 200
    audit = (await admin.get("/api/audit")).json()["items"]
    purge = next(e for e in audit if e["action"] == "purge")
    assert (purge["item_id"], purge["user_id"]) == (old["id"], None)

    async with app.state.database.sessions() as session:
        assert await purge_expired_trash(session, settings) == 0  # idempotent

    schedule = create_celery(settings).conf.beat_schedule
    assert schedule["purge-trash"]["task"] == "maintenance.purge_trash"


async def test_audit_log_says_who_did_what_and_only_admins_read_it(
    app: Any, superadmin: Api, tenant_a: Tenant, clips: list[bytes]
) -> None:
    admin = tenant_a.admin
    content = await ready_content(app, tenant_a, [clips[0]], title="Logged poster")
    patched = await admin.patch(f"/api/ar-content/{content['id']}", json={"title": "Renamed"})
    assert patched.status_code == 200
    editor = await admin.post(
        "/api/users",
        json={"email": "ed@alpha.example.com", "password": "editor-password", "role": "editor"},
    )
    assert editor.status_code == 201
    assert (await admin.delete(f"/api/ar-content/{content['id']}")).status_code == 204
    me = (await admin.get("/api/auth/me")).json()

    log = (await admin.get("/api/audit")).json()["items"]
    rows = [(e["action"], e["item_kind"], e["item_id"], e["item_label"]) for e in log]
    assert rows[:4] == [
        ("delete", "content", content["id"], "Renamed"),
        ("create", "user", editor.json()["id"], "ed@alpha.example.com (editor)"),
        ("update", "content", content["id"], "Renamed (title)"),
        ("create", "content", content["id"], "Logged poster"),
    ]
    assert {(e["user_id"], e["user_email"]) for e in log[:4]} == {(me["id"], me["email"])}
    assert all(e["created_at"] for e in log)

    # An editor changes content but does not read the log; a superadmin reads every company's.
    editor_api = await login(admin.http, "ed@alpha.example.com", "editor-password")
    assert (await editor_api.get("/api/audit")).status_code == 403
    every = (await superadmin.get("/api/audit", params={"company_id": tenant_a.company_id})).json()
    assert every["items"][0]["item_id"] == content["id"]
