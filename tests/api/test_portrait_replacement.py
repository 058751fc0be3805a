"""Replacing the portrait of existing content (`PUT /api/ar-content/{id}/portrait`): the marker is
recompiled, the `unique_id` (so the printed QR) stays, the current marker serves until the new one
is stored, a failure keeps the current pair, and no superseded file is left behind. Videos keep
their cleaned file names and take labels; answers carry the viewer URL and signed links."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from tests.api.test_marker_claims import content_row, queued_markers
from tests.support import media
from tests.support.content import create_content, storage_files, storage_path
from tests.support.tenants import Tenant
from vertex_ar.connections.models import PendingDelete
from vertex_ar.connections.routing import purge_pending_deletes
from vertex_ar.content.marker_job import compile_content_marker
from vertex_ar.content.media import clean_filename
from vertex_ar.content.models import MarkerStatus
from vertex_ar.core.db import utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.viewer.signing import longest_link_seconds


async def _compile(app: FastAPI, content_id: int) -> MarkerStatus | None:
    async with app.state.database.sessions() as session:
        return await compile_content_marker(session, app.state.settings, content_id)


async def _ready(app: FastAPI, tenant: Tenant, clips: list[bytes]) -> dict[str, Any]:
    """Content whose marker the real compiler made (as the worker does)."""
    created = await create_content(tenant, image=media.textured_image(640, 480, seed=1),
                                   videos=clips[:1])  # fmt: skip
    assert created.status_code == 201, created.text
    assert await _compile(app, created.json()["id"]) is MarkerStatus.ready
    response = await tenant.admin.get(f"/api/ar-content/{created.json()['id']}")
    body: dict[str, Any] = response.json()
    return body


async def _viewer_marker(client: httpx.AsyncClient, unique_id: str) -> tuple[bytes, int, int]:
    """What a phone gets now: the marker's bytes and the target's size."""
    answer = await client.get(f"/api/ar/{unique_id}/active-video")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    marker = await client.get(body["marker_url"])
    assert marker.status_code == 200
    return marker.content, body["target_width"], body["target_height"]


def _put(portrait: bytes, name: str = "new.png") -> dict[str, Any]:
    return {"files": [("portrait", (name, portrait, "image/png"))]}


async def test_the_new_portrait_serves_once_its_marker_is_ready(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tenant_a: Tenant,
    clips: list[bytes],
) -> None:  # fmt: skip
    content = await _ready(app, tenant_a, clips)
    url, uid = f"/api/ar-content/{content['id']}", content["unique_id"]
    old_row = await content_row(app, content["id"])
    old_marker = storage_path(app, str(old_row.marker_key)).read_bytes()
    assert await _viewer_marker(client, uid) == (old_marker, 640, 480)
    page_before = (await client.get(f"/api/ar/{uid}/active-video")).json()  # a phone mid-visit
    queued = queued_markers(settings)

    new_portrait = media.textured_image(480, 640, seed=9)
    replaced = await tenant_a.admin.put(f"{url}/portrait", **_put(new_portrait))
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["unique_id"] == uid
    assert body["viewer_url"] == f"{settings.public_base_url}/ar/{uid}"
    assert body["portrait_replacement_pending"] is True
    assert body["marker_status"] == "pending"
    assert (body["portrait_width"], body["portrait_height"]) == (640, 480)  # until it compiles
    assert queued_markers(settings) == queued + 1
    # One compile per item: a second replacement waits for this one.
    busy = await tenant_a.admin.put(f"{url}/portrait", **_put(media.textured_image(seed=3)))
    assert busy.status_code == 409, busy.text
    assert queued_markers(settings) == queued + 1

    # During the recompile the phone still gets the old marker (the compile runs in a thread).
    seen: list[tuple[MarkerStatus, bytes]] = []
    compiling = asyncio.create_task(_compile(app, content["id"]))
    while not compiling.done():
        status = (await content_row(app, content["id"])).marker_status
        answer = (await client.get(f"/api/ar/{uid}/active-video")).json()
        seen.append((status, (await client.get(answer["marker_url"])).content))
        await asyncio.sleep(0.05)
    assert await compiling is MarkerStatus.ready
    assert (MarkerStatus.processing, old_marker) in seen

    row = await content_row(app, content["id"])
    new_marker = storage_path(app, str(row.marker_key)).read_bytes()
    assert new_marker != old_marker
    assert await _viewer_marker(client, uid) == (new_marker, 480, 640)
    after = (await tenant_a.admin.get(url)).json()
    assert after["portrait_replacement_pending"] is False and after["portrait_error"] is None
    assert (after["portrait_width"], after["portrait_height"]) == (480, 640)
    assert after["unique_id"] == uid
    assert (await client.get(after["portrait_url"])).content == new_portrait
    assert (await client.get(after["videos"][0]["url"])).content == clips[0]

    # A page made before the switch still loads the old marker; the superseded files go once
    # the links signed before have expired, by the periodic storage-delete task.
    assert (await client.get(page_before["marker_url"])).content == old_marker
    async with app.state.database.sessions() as session:
        queued_deletes = (await session.scalars(select(PendingDelete))).all()
        assert {d.key for d in queued_deletes} == {old_row.portrait_key, old_row.marker_key}
        grace = longest_link_seconds(settings.media_url_ttl_seconds)
        for delete in queued_deletes:
            assert delete.not_before is not None
            wait = (delete.not_before - utcnow()).total_seconds()
            assert grace - 60 < wait <= grace
        assert await purge_pending_deletes(session, settings) == 0  # not yet
        await session.execute(update(PendingDelete).values(not_before=utcnow()))
        await session.commit()
        assert await purge_pending_deletes(session, settings) == 2
    kept = {str(p.relative_to(settings.storage_root)) for p in storage_files(settings)}
    assert len(kept) == 4 and {row.portrait_key, row.marker_key} < kept  # + video and its still
    assert (await client.get(page_before["marker_url"])).status_code == 404


async def test_a_bad_image_is_refused_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tenant_a: Tenant,
    tenant_b: Tenant, clips: list[bytes],
) -> None:  # fmt: skip
    content = await _ready(app, tenant_a, clips)
    url = f"/api/ar-content/{content['id']}/portrait"
    before = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()
    files, queued = storage_files(settings), queued_markers(settings)
    viewer = await _viewer_marker(client, content["unique_id"])
    truncated = media.textured_image(seed=4)[:2000]
    for attempt, status in (
        (_put(b"this is not an image"), 415),
        (_put(truncated), 422),
        ({"files": [("video", ("c.mp4", clips[0], "video/mp4"))]}, 422),  # wrong field
        ({"data": {"title": "x"}}, 415),  # not a multipart form
        ({"files": [("portrait", ("a.png", media.textured_image(), "image/png")),
                    ("portrait", ("b.png", media.textured_image(), "image/png"))]}, 422),
    ):  # fmt: skip
        response = await tenant_a.admin.put(url, **attempt)
        assert response.status_code == status, (status, response.text)
        assert response.json()["error"]["message"]
    other = await tenant_b.admin.put(url, **_put(media.textured_image()))
    assert other.status_code == 404  # another tenant's item
    after = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()
    for volatile in ("portrait_url", "links_expire_at", "videos"):
        before.pop(volatile), after.pop(volatile)
    assert after == before
    assert storage_files(settings) == files
    assert queued_markers(settings) == queued
    assert await _viewer_marker(client, content["unique_id"]) == viewer


async def test_a_portrait_that_cannot_compile_leaves_the_current_pair(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, tenant_a: Tenant,
    clips: list[bytes],
) -> None:  # fmt: skip
    content = await _ready(app, tenant_a, clips)
    uid = content["unique_id"]
    viewer, files = await _viewer_marker(client, uid), storage_files(settings)
    # A valid image, too small to be a target: the upload takes it, the compiler does not.
    tiny = media.textured_image(64, 64, seed=2)
    replaced = await tenant_a.admin.put(f"/api/ar-content/{content['id']}/portrait", **_put(tiny))
    assert replaced.status_code == 200, replaced.text
    assert len(storage_files(settings)) == len(files) + 1  # the replacement waits beside
    assert await _compile(app, content["id"]) is MarkerStatus.ready
    after = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()
    assert after["marker_status"] == "ready"
    assert after["portrait_replacement_pending"] is False
    assert "128 px" in after["portrait_error"]
    assert (after["portrait_width"], after["portrait_height"]) == (640, 480)
    assert await _viewer_marker(client, uid) == viewer
    assert storage_files(settings) == files  # the replacement's file is deleted


async def test_content_without_a_marker_takes_the_new_portrait_at_once(
    app: FastAPI, settings: Settings, tenant_a: Tenant
) -> None:
    created = (await create_content(tenant_a, image=media.textured_image(64, 64))).json()
    assert await _compile(app, created["id"]) is MarkerStatus.failed  # too small
    url = f"/api/ar-content/{created['id']}"
    replaced = await tenant_a.admin.put(
        f"{url}/portrait", **_put(media.textured_image(480, 640, seed=5))
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["portrait_width"] == 480
    assert replaced.json()["portrait_replacement_pending"] is False
    assert len(storage_files(settings)) == 1  # the old portrait went
    assert await _compile(app, created["id"]) is MarkerStatus.ready
    assert len(storage_files(settings)) == 2


async def test_videos_keep_cleaned_names_and_take_labels(
    client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant, clips: list[bytes]
) -> None:
    created = await create_content(tenant_a)
    assert created.status_code == 201
    content_id = created.json()["id"]
    names = ["C:\\Users\\ana\\Summer clip.mp4", "../../e\u0301te\u0301.mp4", "...", "x" * 300]
    added = await tenant_a.admin.post(
        f"/api/ar-content/{content_id}/videos",
        files=[("video", (name, clips[0], "video/mp4")) for name in names],
    )
    assert added.status_code == 201, added.text
    videos = added.json()
    assert [v["original_filename"] for v in videos[:3]] == ["Summer clip.mp4", "\u00e9t\u00e9.mp4",
                                                            None]  # fmt: skip
    assert len(videos[3]["original_filename"]) == 255
    assert all(v["label"] is None for v in videos)
    for video in videos:
        download = await client.get(video["url"])
        assert download.status_code == 200 and download.content == clips[0]
        still = await client.get(video["thumbnail_url"])
        assert still.headers["content-type"] == "image/jpeg"

    url = f"/api/ar-content/{content_id}/videos/{videos[0]['id']}"
    labelled = await tenant_a.admin.patch(url, json={"label": "Morning cut"})
    assert labelled.status_code == 200, labelled.text
    assert labelled.json()["label"] == "Morning cut"
    assert labelled.json()["original_filename"] == "Summer clip.mp4"
    assert (await tenant_a.admin.patch(url, json={"label": "x" * 201})).status_code == 422
    assert (await tenant_b.admin.patch(url, json={"label": "theirs"})).status_code == 404
    content = (await tenant_a.admin.get(f"/api/ar-content/{content_id}")).json()
    assert content["videos"][0]["label"] == "Morning cut"
    cleared = await tenant_a.admin.patch(url, json={"label": None})
    assert cleared.json()["label"] is None


def test_file_names_are_cleaned() -> None:
    assert clean_filename("a\x00b\x07c\u202e.mp4") == "abc.mp4"  # controls, bidi override
    assert clean_filename(" /tmp/\n ") is None
    assert clean_filename(".hidden.mov") == "hidden.mov"
    long = clean_filename("y" * 400 + ".webm")
    assert long is not None and len(long) == 255 and long.endswith("y.webm")
