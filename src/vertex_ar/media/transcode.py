"""ffmpeg/ffprobe: probe an upload and make its web rendition and poster.

Why the ffmpeg command line (Debian's package) and not PyAV: it runs each job in its own
process (a decoder that crashes or balloons on a hostile file takes the job down, not the
worker), its libx264 gives High-profile H.264 with VBV rate control that every iOS Safari
plays, `-movflags +faststart` puts the index first so playback starts on the first bytes, and
the filter graph (autorotate, scale, alphaextract, hstack) does the whole job in one pass.
Blocking: callers run it in a worker thread.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from vertex_ar.content.models import AlphaPacking

# Pixel formats that carry alpha (ProRes 4444: yuva444p1xle; PNG/QuickTime RLE: rgba/argb).
_ALPHA_FORMATS = ("yuva", "rgba", "argb", "bgra", "abgr", "gbrap", "ya8", "ya16", "pal8")
AUDIO_BITRATE = "128k"
POSTER_SIDE = 640
# Side-by-side doubles the width: each half stays within what older iPhones decode (2048 px).
PACKED_HALF_SIDE = 1024
TIMEOUT_SECONDS = 3600


class TranscodeError(Exception):
    """The file cannot be made into a rendition (the reason is for people)."""


@dataclass(frozen=True)
class Probe:
    codec: str
    pix_fmt: str
    width: int  # as displayed (rotation applied)
    height: int
    fps: float
    duration: float | None
    has_audio: bool
    has_alpha: bool
    vp9_alpha: bool  # VP9 keeps alpha in a side stream only libvpx decodes


@dataclass(frozen=True)
class Rendition:
    path: Path
    poster: Path
    width: int  # of the colour picture (packed files are twice as wide)
    height: int
    bitrate: int
    size: int
    alpha_packing: AlphaPacking | None


def _run(command: list[str], what: str) -> subprocess.CompletedProcess[bytes]:
    try:
        # A fixed argv, no shell; the paths are our own temp files.
        result = subprocess.run(  # noqa: S603
            command, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except FileNotFoundError as exc:
        raise TranscodeError(f"{command[0]} is not installed on the worker") from exc
    except subprocess.TimeoutExpired as exc:
        raise TranscodeError(f"{what} took longer than {TIMEOUT_SECONDS} s") from exc
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise TranscodeError(f"{what} failed: {' / '.join(tail)[:500]}")
    return result


def _rotation(stream: dict[str, object]) -> int:
    for side in stream.get("side_data_list", []) or []:  # type: ignore[attr-defined]
        if isinstance(side, dict) and "rotation" in side:
            return int(float(side["rotation"]))
    tags = stream.get("tags") or {}
    return int(float(tags.get("rotate", 0))) if isinstance(tags, dict) else 0


def probe(path: Path) -> Probe:
    result = _run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_streams", "-show_format",
         str(path)],
        "reading the video",
    )  # fmt: skip
    info = json.loads(result.stdout)
    streams = info.get("streams", [])
    video = next((s for s in streams if s.get("codec_type") == "video"), None)
    if video is None:
        raise TranscodeError("the file has no video stream")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if not width or not height:
        raise TranscodeError("the video has no picture size")
    if _rotation(video) % 180:
        width, height = height, width
    num, _, den = str(video.get("avg_frame_rate") or "0/1").partition("/")
    fps = float(num) / float(den or 1) if float(den or 1) else 0.0
    duration = info.get("format", {}).get("duration")
    pix_fmt = str(video.get("pix_fmt") or "")
    tags = {k.lower(): str(v) for k, v in (video.get("tags") or {}).items()}
    vp9_alpha = video.get("codec_name") == "vp9" and tags.get("alpha_mode") == "1"
    return Probe(
        codec=str(video.get("codec_name")),
        pix_fmt=pix_fmt,
        width=width,
        height=height,
        fps=fps,
        duration=float(duration) if duration else None,
        has_audio=any(s.get("codec_type") == "audio" for s in streams),
        has_alpha=vp9_alpha or pix_fmt.startswith(_ALPHA_FORMATS),
        vp9_alpha=vp9_alpha,
    )


def fit(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size within max_side on the long side, aspect kept, both even (H.264 4:2:0)."""
    scale = min(1.0, max_side / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def make_rendition(
    source: Path, folder: Path, *, max_side: int, max_bitrate: int, max_fps: int = 30
) -> Rendition:
    """H.264 (yuv420p, High) + AAC in MP4 with faststart: within max_side and max_bitrate, the
    rotation applied; a video with alpha becomes colour | alpha side by side."""
    info = probe(source)
    packed = info.has_alpha
    width, height = fit(
        info.width, info.height, min(max_side, PACKED_HALF_SIDE) if packed else max_side
    )
    scale = f"scale={width}:{height}:flags=lanczos"
    if packed:
        graph = (
            f"[0:v]{scale},format=rgba,split[c][a];[a]alphaextract,format=yuv420p[alpha];"
            "[c]format=yuv420p[colour];[colour][alpha]hstack=inputs=2,setsar=1[v]"
        )
    else:
        graph = f"[0:v]{scale},format=yuv420p,setsar=1[v]"
    output = folder / "rendition.mp4"
    rate = max_bitrate // 1000
    command = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
    if info.vp9_alpha:
        command += ["-c:v", "libvpx-vp9"]  # the native decoder drops the alpha side stream
    command += ["-i", str(source), "-filter_complex", graph, "-map", "[v]"]
    if info.fps > max_fps:
        command += ["-fpsmax", str(max_fps)]
    command += [
        "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-pix_fmt", "yuv420p",
        "-crf", "23", "-maxrate", f"{rate}k", "-bufsize", f"{rate * 2}k",
        "-g", str(2 * max_fps), "-map_metadata", "-1",
    ]  # fmt: skip
    if info.has_audio:
        command += ["-map", "0:a:0", "-c:a", "aac", "-b:a", AUDIO_BITRATE, "-ac", "2"]
    command += ["-movflags", "+faststart", str(output)]
    _run(command, "converting the video")

    poster = folder / "poster.jpg"
    poster_w, poster_h = fit(width * (2 if packed else 1), height, POSTER_SIDE)
    _run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(output), "-frames:v", "1",
         "-vf", f"scale={poster_w}:{poster_h}", "-q:v", "4", str(poster)],
        "making the poster",
    )  # fmt: skip
    made = json.loads(
        _run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", str(output)],
            "reading the rendition",
        ).stdout
    )["format"]
    return Rendition(
        path=output,
        poster=poster,
        width=width,
        height=height,
        bitrate=int(float(made.get("bit_rate") or 0)),
        size=output.stat().st_size,
        alpha_packing=AlphaPacking.side_by_side if packed else None,
    )
