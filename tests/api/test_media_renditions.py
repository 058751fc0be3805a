"""Web renditions (issue 13): every uploaded video gets an H.264/AAC MP4 within the caps, made by
the media job with real ffmpeg on generated clips; the viewer's active-video JSON says what to
play. The job runs in-process here (the worker's task wrapper calls the same function;
tests/api/test_worker.py runs a real worker)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi import FastAPI

from tests.api.test_queues import _queue_depths
from tests.support import media
from tests.support.content import make_content, mark_ready, storage_files, storage_path
from tests.support.tenants import Tenant
from vertex_ar.content.media_job import render_video
from vertex_ar.content.models import Video, VideoStatus
from vertex_ar.core.settings import Settings


@pytest.fixture(scope="module")
def clip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("renditions")


async def _render(app: FastAPI, video_id: int) -> VideoStatus | None:
    async with app.state.database.sessions() as session:
        return await render_video(session, app.state.settings, video_id)


async def _video_row(app: FastAPI, video_id: int) -> Video:
    async with app.state.database.sessions() as session:
        video = await session.get(Video, video_id)
        assert video is not None
        return video


def _probe(path: Path) -> dict[str, Any]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        audio = container.streams.audio[0].codec_context.name if container.streams.audio else None
        return {
            "codec": stream.codec_context.name,
            "profile": stream.codec_context.profile,
            "pix_fmt": stream.codec_context.format.name,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "fps": Fraction(stream.average_rate) if stream.average_rate else None,
            "audio": audio,
            "bitrate": path.stat().st_size * 8 / (container.duration / 1_000_000),
        }


def _is_faststart(path: Path) -> bool:
    atoms = media.top_level_atoms(path.read_bytes())
    return "moov" in atoms and "mdat" in atoms and atoms.index("moov") < atoms.index("mdat")


async def _upload(tenant: Tenant, app: FastAPI, clip: bytes) -> tuple[dict[str, Any], int]:
    content = await make_content(tenant, [clip])
    await mark_ready(app, content)
    return content, content["videos"][0]["id"]


async def _active(tenant: Tenant, content: dict[str, Any]) -> dict[str, Any]:
    response = await tenant.admin.http.get(f"/api/ar/{content['unique_id']}/active-video")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_1080p60_high_bitrate_upload_gets_a_rendition_within_the_caps(
    app: FastAPI, settings: Settings, tenant_a: Tenant, clip_folder: Path
) -> None:
    clip = media.hd60_high_bitrate(clip_folder / "hd60.mp4")
    assert len(clip) * 8 > 3 * settings.media_max_bitrate  # 1 s: well above the cap
    content, video_id = await _upload(tenant_a, app, clip)
    video = content["videos"][0]
    assert (video["status"], video["rendition"], video["codec"]) == ("processing", None, "h264")
    assert _queue_depths(settings)["media"] == 1

    before = await _active(tenant_a, content)  # H.264 yuv420p: the upload plays meanwhile
    assert (before["status"], before["playable"], before["mime"]) == (
        "processing",
        True,
        "video/mp4",
    )
    assert (before["width"], before["height"], before["rendition"]) == (1920, 1080, None)

    assert await _render(app, video_id) is VideoStatus.ready
    row = await _video_row(app, video_id)
    assert row.rendition_key is not None and row.poster_key is not None
    rendition = storage_path(app, row.rendition_key)
    probed = _probe(rendition)
    assert probed["codec"] == "h264" and probed["profile"] == "High"
    assert probed["pix_fmt"] == "yuv420p"
    assert (probed["width"], probed["height"]) == (1280, 720)  # long side capped, aspect kept
    assert probed["fps"] == settings.media_max_fps
    assert probed["audio"] == "aac"
    assert probed["bitrate"] <= settings.media_max_bitrate
    assert _is_faststart(rendition)
    with av.open(str(storage_path(app, row.poster_key))) as poster:
        assert poster.streams.video[0].codec_context.name == "mjpeg"

    after = await _active(tenant_a, content)
    assert (after["status"], after["playable"], after["layout"]) == ("ready", True, "plain")
    assert after["url"] != before["url"] and after["mime"] == "video/mp4"
    assert (after["width"], after["height"]) == (1280, 720)
    assert after["rendition"] == {
        "width": 1280,
        "height": 720,
        "bitrate": row.rendition_bitrate,
        "size_bytes": rendition.stat().st_size,
    }
    assert 0 < after["rendition"]["bitrate"] <= settings.media_max_bitrate
    assert after["poster_url"] not in (None, after["poster"])
    served = await tenant_a.admin.http.get(after["url"])
    assert served.status_code == 200 and served.content == rendition.read_bytes()
    # The upload is kept as it came, for download.
    listed = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()["videos"][0]
    assert (listed["size_bytes"], listed["status"]) == (len(clip), "ready")
    assert listed["rendition"] == after["rendition"]


async def test_an_hevc_upload_is_converted_to_h264_and_rotation_applied(
    app: FastAPI, tenant_a: Tenant, clip_folder: Path
) -> None:
    clip = media.hevc(clip_folder / "hevc.mp4", size="320x240", rotate=90)
    content, video_id = await _upload(tenant_a, app, clip)
    assert content["videos"][0]["codec"] == "hevc"
    before = await _active(tenant_a, content)
    assert (before["status"], before["playable"]) == ("processing", False)
    page = await tenant_a.admin.http.get(f"/ar/{content['unique_id']}")
    assert page.status_code == 503 and "being prepared for phones" in page.text

    assert await _render(app, video_id) is VideoStatus.ready
    row = await _video_row(app, video_id)
    assert row.rendition_key is not None
    probed = _probe(storage_path(app, row.rendition_key))
    assert (probed["codec"], probed["pix_fmt"]) == ("h264", "yuv420p")
    assert (probed["width"], probed["height"]) == (240, 320)  # turned upright; not enlarged
    after = await _active(tenant_a, content)
    assert (after["playable"], after["width"], after["height"]) == (True, 240, 320)
    page = await tenant_a.admin.http.get(f"/ar/{content['unique_id']}")
    assert page.status_code == 200


@pytest.mark.parametrize("kind", ["webm-vp9-alpha", "mov-png-alpha"])
async def test_a_video_with_alpha_is_packed_side_by_side(
    kind: str, app: FastAPI, tenant_a: Tenant, clip_folder: Path
) -> None:
    if kind == "webm-vp9-alpha":
        clip = media.vp9_alpha(clip_folder / "alpha.webm", size=(320, 240))
    else:
        clip = media.png_alpha_mov(clip_folder / "alpha.mov", size=(320, 240))
    content, video_id = await _upload(tenant_a, app, clip)
    before = await _active(tenant_a, content)
    assert (before["playable"], before["layout"]) == (False, "plain")

    assert await _render(app, video_id) is VideoStatus.ready
    row = await _video_row(app, video_id)
    assert row.rendition_key is not None
    rendition = storage_path(app, row.rendition_key)
    probed = _probe(rendition)
    assert (probed["codec"], probed["pix_fmt"]) == ("h264", "yuv420p")
    assert (probed["width"], probed["height"]) == (640, 240)  # colour | alpha
    with av.open(str(rendition)) as container:
        frame = next(container.decode(video=0)).to_ndarray(format="gray")
    alpha = frame[:, 320:].astype(float)
    # The source: left half of the picture opaque, right half transparent.
    assert alpha[:, 20:140].mean() > 235 and alpha[:, 180:300].mean() < 20
    colour = frame[:, :320].astype(float)
    assert colour[:, 20:140].std() > 10  # the test pattern, not a flat alpha plane

    after = await _active(tenant_a, content)
    assert after["layout"] == "alpha-side-by-side"
    assert (after["width"], after["height"], after["playable"]) == (640, 240, True)
    listed = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()
    assert listed["videos"][0]["layout"] == "alpha-side-by-side"


async def test_a_corrupt_stream_fails_with_a_reason_and_leaves_no_files(
    app: FastAPI, settings: Settings, tenant_a: Tenant, clip_folder: Path
) -> None:
    clip = media.corrupt_after_start(clip_folder / "corrupt.mp4")
    content, video_id = await _upload(tenant_a, app, clip)
    files_before = set(storage_files(settings))

    assert await _render(app, video_id) is VideoStatus.failed
    listed = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()["videos"][0]
    assert listed["status"] == "failed"
    assert listed["status_reason"].startswith("conversion failed: ")
    assert "NAL" in listed["status_reason"] or "corrupt" in listed["status_reason"].lower()
    assert listed["rendition"] is None
    assert set(storage_files(settings)) == files_before  # nothing stored for it
    assert await _render(app, video_id) is None  # a redelivery does nothing

    after = await _active(tenant_a, content)  # the upload is H.264: it still plays
    assert (after["status"], after["playable"], after["rendition"]) == ("failed", True, None)


async def test_a_purged_video_takes_its_rendition_and_poster_along(
    app: FastAPI, settings: Settings, tenant_a: Tenant, superadmin: Any, clip_folder: Path
) -> None:
    clip = media.video(clip_folder / "small.mp4", seconds=1.0, size="160x120")
    content, video_id = await _upload(tenant_a, app, clip)
    assert await _render(app, video_id) is VideoStatus.ready
    row = await _video_row(app, video_id)
    keys = [row.file_key, row.thumbnail_key, row.rendition_key, row.poster_key]
    assert all(key and storage_path(app, key).is_file() for key in keys)

    url = f"/api/ar-content/{content['id']}/videos/{video_id}"
    assert (await tenant_a.admin.delete(url)).status_code == 204
    assert all(key and storage_path(app, key).is_file() for key in keys)  # restorable
    assert (await superadmin.delete(f"/api/trash/video/{video_id}")).status_code == 204
    assert not any(key and storage_path(app, key).exists() for key in keys)


async def test_a_rendition_finished_after_its_video_was_purged_is_not_kept(
    app: FastAPI, settings: Settings, tenant_a: Tenant, superadmin: Any, clip_folder: Path
) -> None:
    """The job found the row waiting, converted, then the row was gone: its files go again."""
    clip = media.video(clip_folder / "gone.mp4", seconds=1.0, size="160x120")
    content, video_id = await _upload(tenant_a, app, clip)
    url = f"/api/ar-content/{content['id']}/videos/{video_id}"
    assert (await tenant_a.admin.delete(url)).status_code == 204
    files_before = set(storage_files(settings))

    from vertex_ar.content import media_job

    real = media_job._render

    async def purge_meanwhile(*args: Any) -> Any:
        made = await real(*args)
        assert (await superadmin.delete(f"/api/trash/video/{video_id}")).status_code == 204
        return made

    media_job._render = purge_meanwhile  # type: ignore[assignment]
    try:
        assert await _render(app, video_id) is None
    finally:
        media_job._render = real  # type: ignore[assignment]
    left = set(storage_files(settings)) - files_before
    assert not left  # no rendition or poster without a row
    assert not any("renditions" in str(p) or "posters" in str(p) for p in storage_files(settings))


async def test_chroma_key_is_set_on_create_and_patch_and_reaches_the_viewer(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await make_content(tenant_a, [clips[0]], chroma_key_color="#00FF00")
    assert (content["chroma_key_color"], content["chroma_key_tolerance"]) == ("#00ff00", 0.3)
    await mark_ready(app, content)
    assert (await _active(tenant_a, content))["chroma_key"] == {
        "color": "#00ff00",
        "tolerance": 0.3,
    }

    url = f"/api/ar-content/{content['id']}"
    patched = await tenant_a.admin.patch(url, json={"chroma_key_tolerance": 0.55})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["chroma_key_color"], patched.json()["chroma_key_tolerance"]) == (
        "#00ff00",
        0.55,
    )
    assert (await _active(tenant_a, content))["chroma_key"] == {
        "color": "#00ff00",
        "tolerance": 0.55,
    }

    for bad in ({"chroma_key_color": "green"}, {"chroma_key_tolerance": 1.5}):
        refused = await tenant_a.admin.patch(url, json=bad)
        assert refused.status_code == 422, refused.text
        assert next(iter(bad)) in refused.text
    off = await tenant_a.admin.patch(url, json={"chroma_key_color": None})
    assert off.json()["chroma_key_color"] is None
    assert (await _active(tenant_a, content))["chroma_key"] is None


async def test_a_bad_chroma_key_on_create_is_refused_before_anything_is_stored(
    settings: Settings, tenant_a: Tenant, clips: list[bytes]
) -> None:
    from tests.support.content import create_content

    refused = await create_content(tenant_a, videos=[clips[0]], chroma_key_color="#12345")
    assert refused.status_code == 422 and "chroma_key_color" in refused.text
    assert storage_files(settings) == []


def test_the_alpha_pattern_is_what_the_test_thinks(clip_folder: Path) -> None:
    """The alpha test's source really has an opaque left half and a transparent right half."""
    path = clip_folder / "check-alpha.webm"
    media.vp9_alpha(path, size=(320, 240))
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        decoder = av.CodecContext.create("libvpx-vp9", "r")
        for packet in container.demux(stream):
            frames = decoder.decode(packet)
            if frames:
                alpha = frames[0].to_ndarray(format="rgba")[:, :, 3]
                break
    assert np.all(alpha[:, :150] > 240) and np.all(alpha[:, 170:] < 15)


def test_a_conversion_past_the_timeout_is_stopped_and_fails(clip_folder: Path) -> None:
    from vertex_ar.content.renditions import RenditionCaps, RenditionError, make_rendition

    source = clip_folder / "slow.mp4"
    media.hd60_high_bitrate(source, seconds=2.0)  # seconds of work on this machine
    caps = RenditionCaps(max_side=1280, max_bitrate=2_500_000, max_fps=30, timeout_seconds=0.3)
    out = clip_folder / "slow-out"
    out.mkdir()
    with pytest.raises(RenditionError, match=r"conversion took longer than 0\.3 s"):
        make_rendition(source, out, caps)
    leftover = [p for p in Path("/proc").glob("[0-9]*") if _runs_ffmpeg_on(p, source)]
    assert leftover == []  # the ffmpeg child was stopped, not left running


def _runs_ffmpeg_on(proc: Path, source: Path) -> bool:
    try:
        cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        stat = (proc / "stat").read_text()
    except OSError:
        return False
    zombie = stat.rsplit(")", 1)[1].split()[0] == "Z"
    return not zombie and str(source).encode() in cmdline and b"ffmpeg" in cmdline[0]
