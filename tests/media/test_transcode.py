"""Web renditions made by the real ffmpeg: within the caps, upright, faststart; alpha packed."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.media import clips
from vertex_ar.content.models import AlphaPacking
from vertex_ar.media.transcode import TranscodeError, fit, make_rendition

MAX_SIDE, MAX_BITRATE = 1280, 2_500_000


def _streams(path: Path) -> dict[str, dict[str, Any]]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", str(path)],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return {s["codec_type"]: s for s in json.loads(out)["streams"]}


def _top_level_atoms(path: Path) -> list[bytes]:
    data, atoms, at = path.read_bytes(), [], 0
    while at + 8 <= len(data):
        size = int.from_bytes(data[at : at + 4], "big")
        atoms.append(data[at + 4 : at + 8])
        if size < 8:
            break
        at += size
    return atoms


def _first_frame_gray(path: Path, width: int, height: int) -> np.ndarray[Any, Any]:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-frames:v", "1", "-f", "rawvideo",
         "-pix_fmt", "gray", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.uint8).reshape(height, width)


def _check_web_ready(path: Path) -> dict[str, dict[str, Any]]:
    streams = _streams(path)
    video = streams["video"]
    assert video["codec_name"] == "h264" and video["pix_fmt"] == "yuv420p"
    assert video["profile"] in ("High", "Main", "Constrained Baseline")
    atoms = _top_level_atoms(path)
    assert atoms.index(b"moov") < atoms.index(b"mdat"), atoms  # faststart
    return streams


def test_a_1080p60_phone_video_gets_within_the_caps(tmp_path: Path) -> None:
    source = clips.high_bitrate_1080p60(tmp_path / "phone.mp4")
    rendition = make_rendition(source, tmp_path, max_side=MAX_SIDE, max_bitrate=MAX_BITRATE)
    streams = _check_web_ready(rendition.path)
    video, audio = streams["video"], streams["audio"]
    assert (rendition.width, rendition.height) == (1280, 720)
    assert (video["width"], video["height"]) == (1280, 720)
    assert video["avg_frame_rate"] in ("30/1", "30000/1001")
    assert int(video["bit_rate"]) <= MAX_BITRATE * 1.1
    assert audio["codec_name"] == "aac"
    assert rendition.size < source.stat().st_size / 3
    assert rendition.poster.stat().st_size > 0 and rendition.alpha_packing is None


def test_hevc_with_rotation_comes_out_upright_h264(tmp_path: Path) -> None:
    source = clips.hevc_rotated(tmp_path / "iphone.mp4")
    assert _streams(source)["video"]["codec_name"] == "hevc"
    rendition = make_rendition(source, tmp_path, max_side=MAX_SIDE, max_bitrate=MAX_BITRATE)
    video = _check_web_ready(rendition.path)["video"]
    assert (video["width"], video["height"]) == (360, 640)  # the rotation is in the pixels
    assert "rotation" not in json.dumps(video.get("side_data_list", []))
    assert (rendition.width, rendition.height) == (360, 640)


@pytest.mark.parametrize(
    ("make", "name"), [(clips.webm_alpha, "subject.webm"), (clips.prores_4444, "subject.mov")]
)
def test_alpha_is_packed_side_by_side(tmp_path: Path, make: Any, name: str) -> None:
    source = make(tmp_path / name)
    rendition = make_rendition(source, tmp_path, max_side=MAX_SIDE, max_bitrate=MAX_BITRATE)
    assert rendition.alpha_packing is AlphaPacking.side_by_side
    video = _check_web_ready(rendition.path)["video"]
    width, height = video["width"], video["height"]
    assert width == 2 * rendition.width and height == rendition.height
    frame = _first_frame_gray(rendition.path, width, height)
    alpha = frame[:, width // 2 :]  # right half: the alpha as grey
    half = alpha.shape[1] // 2
    assert alpha[4:-4, 2 : half - 2].mean() > 230  # opaque where the source was opaque
    assert alpha[4:-4, half + 2 : -2].mean() < 25  # transparent where it was transparent


def test_not_a_video_fails_with_a_reason(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 500)
    with pytest.raises(TranscodeError) as caught:
        make_rendition(junk, tmp_path, max_side=MAX_SIDE, max_bitrate=MAX_BITRATE)
    assert "reading the video" in str(caught.value)


@pytest.mark.parametrize(
    ("size", "side", "expected"),
    [((1920, 1080), 1280, (1280, 720)), ((1080, 1920), 1280, (720, 1280)),
     ((640, 360), 1280, (640, 360)), ((1001, 333), 500, (500, 166))],
)  # fmt: skip
def test_fit_keeps_aspect_and_even_sizes(
    size: tuple[int, int], side: int, expected: tuple[int, int]
) -> None:
    assert fit(*size, side) == expected
