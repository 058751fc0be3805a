"""Videos through the API: original names and labels, download links, the web rendition made by
the real job (ffmpeg) and reported by active-video, per-content viewer settings, and replacing
the portrait under the same QR code while the old marker keeps serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.media import clips
from tests.support import media
from tests.support.content import client_from, make_content, mark_ready, storage_files
from tests.support.tenants import Tenant
from vertex_ar.media.job import MAX_BITRATE, render_video


async def test_a_video_gets_its_rendition_and_keeps_its_original(
    app: Any, settings: Any, tenant_a: Tenant, tmp_path: Path
) -> None:
    phone = clips.high_bitrate_1080p60(tmp_path / "IMG_0042.MP4", seconds=2.0).read_bytes()
    created = await tenant_a.admin.post(
        "/api/ar-content",
        data={"project_id": str(tenant_a.project_id), "title": "Poster"},
        files=[("portrait", ("p.png", media.textured_image(), "image/png")),
               ("video", ("IMG_0042.MP4", phone, "video/mp4"))],
    )  # fmt: skip
    assert created.status_code == 201, created.text
    content = created.json()
    video = content["videos"][0]
    assert content["viewer_url"] == f"{settings.public_base_url}/ar/{content['unique_id']}"
    assert (video["original_name"], video["label"]) == ("IMG_0042.MP4", "IMG_0042")
    assert video["status"] == "processing" and video["rendition"] is None
    await mark_ready(app, content)  # marker only: the video goes through the real job below
    await _set_processing(app, video["id"])
    async with client_from(app, "198.51.100.7") as visitor:
        waiting = await visitor.get(f"/api/ar/{content['unique_id']}/active-video")
        assert waiting.status_code == 503
        assert waiting.json()["error"]["details"]["reason"] == "video_processing"

        assert await _render(app, settings, video["id"]) == "ready"

        body = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()
        rendition = body["videos"][0]["rendition"]
        assert body["videos"][0]["status"] == "ready"
        assert (rendition["width"], rendition["height"]) == (1280, 720)
        assert 0 < rendition["bitrate"] <= MAX_BITRATE * 1.1 + 128_000  # video cap + sound
        active = (await visitor.get(f"/api/ar/{content['unique_id']}/active-video")).json()
        assert active["mime"] == "video/mp4" and (active["width"], active["height"]) == (1280, 720)
        assert active["rendition_size_bytes"] == rendition["size_bytes"] < len(phone)
        assert active["rendition_bitrate"] == rendition["bitrate"]
        played = await visitor.get(active["url"], headers={"Range": "bytes=0-99"})
        assert played.status_code == 206 and played.content[4:8] == b"ftyp"

    original = await tenant_a.admin.get(video["download_url"])
    assert original.content == phone
    assert "IMG_0042.MP4" in original.headers["content-disposition"]
    web = await tenant_a.admin.get(rendition["download_url"])
    assert web.status_code == 200 and len(web.content) == rendition["size_bytes"]
    assert "IMG_0042-web.mp4" in web.headers["content-disposition"]

    renamed = await tenant_a.admin.patch(
        f"/api/ar-content/{content['id']}/videos/{video['id']}", json={"label": "Spring clip"}
    )
    assert renamed.json()["label"] == "Spring clip"


async def _render(app: Any, settings: Any, video_id: int) -> str | None:
    """The worker's job, run here in one session as the worker runs it."""
    async with app.state.database.sessions() as session:
        status = await render_video(session, settings, video_id)
    return None if status is None else status.value


async def _set_processing(app: Any, video_id: int) -> None:
    from sqlalchemy import update

    from vertex_ar.content.models import Video, VideoStatus

    async with app.state.database.sessions() as session:
        await session.execute(
            update(Video).where(Video.id == video_id).values(status=VideoStatus.processing)
        )
        await session.commit()


async def test_an_unreadable_video_fails_with_a_reason(
    app: Any, settings: Any, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await make_content(tenant_a, clips[:1])
    video_id = content["videos"][0]["id"]
    # Corrupt the stored original behind the API's back: the job must say why it failed.
    key_file = next(p for p in storage_files(settings) if "/videos/" in str(p))
    key_file.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    assert await _render(app, settings, video_id) == "failed"
    body = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()
    assert body["videos"][0]["status"] == "failed"
    assert "reading the video" in body["videos"][0]["status_reason"]


async def test_viewer_settings_reach_the_viewer(
    app: Any, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await make_content(tenant_a, clips[:1])
    await mark_ready(app, content)
    url = f"/api/ar-content/{content['id']}"
    changed = await tenant_a.admin.patch(
        url,
        json={"tracking_responsiveness": 0, "chroma_key_color": "#00ff00",
              "chroma_key_tolerance": 0.4},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    for bad in ({"tracking_responsiveness": 101}, {"chroma_key_color": "green"},
                {"chroma_key_tolerance": 0}):  # fmt: skip
        assert (await tenant_a.admin.patch(url, json=bad)).status_code == 422, bad
    async with client_from(app, "198.51.100.8") as visitor:
        active = (await visitor.get(f"/api/ar/{content['unique_id']}/active-video")).json()
    assert active["chroma_key"] == {"color": "#00ff00", "tolerance": 0.4}
    # The steadiest end is MindAR's documented anti-jitter setting.
    assert active["tracking"] == {"responsiveness": 0, "filter_min_cf": 0.0001,
                                  "filter_beta": 0.001}  # fmt: skip


async def test_replacing_the_portrait_keeps_the_code_and_the_old_marker(
    app: Any, settings: Any, tenant_a: Tenant, tenant_b: Tenant, clips: list[bytes]
) -> None:
    content = await make_content(tenant_a, clips[:1])
    old_marker = await mark_ready(app, content)
    url = f"/api/ar-content/{content['id']}/portrait"
    before = storage_files(settings)
    refused = await tenant_a.admin.put(
        url, files={"portrait": ("p.png", b"not an image at all" * 10, "image/png")}
    )
    assert refused.status_code == 415 and storage_files(settings) == before
    other = await tenant_b.admin.put(
        url, files={"portrait": ("p.png", media.textured_image(300, 400), "image/png")}
    )
    assert other.status_code == 404

    replaced = await tenant_a.admin.put(
        url, files={"portrait": ("p.png", media.textured_image(300, 400, seed=9), "image/png")}
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["unique_id"] == content["unique_id"]
    assert (body["portrait_width"], body["portrait_height"]) == (300, 400)
    assert body["marker_status"] in ("pending", "failed")  # queued (or no broker in this test)
    assert len(storage_files(settings)) == len(before)  # the old portrait went, the new came
    transport = httpx.ASGITransport(app=app, client=("198.51.100.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as visitor:
        active = await visitor.get(f"/api/ar/{content['unique_id']}/active-video")
    assert active.status_code == 200  # the old marker serves until the new one is compiled
    assert old_marker.rsplit("/", 1)[-1] not in active.text  # links are signed, not keys
