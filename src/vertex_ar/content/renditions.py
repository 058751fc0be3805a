"""Web renditions of uploaded videos: ffmpeg (libx264) makes an MP4 every phone browser plays.

H.264 High profile, level 4.0, yuv420p, AAC, `+faststart` (the index before the media, so a phone
starts playing after the first bytes): what iOS Safari and Android Chrome decode in hardware. The
long side, the frame rate and the bitrate are capped; rotation metadata is applied by ffmpeg's
autorotate. A video with alpha (VP9 alpha in WebM, ProRes 4444, PNG or other alpha codecs in
MOV) is packed side by side: colour in the left half, alpha as grey in the right half, one H.264
stream that the viewer's shader turns back into transparency.

Why the ffmpeg program rather than PyAV (which probes here): the filter graph that rotates,
scales, caps the frame rate, extracts the alpha and stacks the halves is one argument; the
Debian build links the system libx264; and a transcode runs as a child process that a timeout
can kill without taking the worker down with it. Everything here is blocking.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from vertex_ar.core.processes import start_group, stop_group

PLAIN = "plain"
ALPHA_SIDE_BY_SIDE = "alpha-side-by-side"
AUDIO_BITRATE = 128_000
X264_PRESET = "veryfast"  # benchmarks/media.py: the speed a 2-core worker needs
H264_PROFILE, H264_LEVEL = "high", "4.0"
VBV_INITIAL_FULLNESS = 0.3
POSTER_QUALITY = 3  # ffmpeg's JPEG scale: 2 (best) .. 31
# Packed alpha frames hold two halves: each half is kept within the area of a 16:9 frame at the
# cap, so that the packed frame stays within level 4.0's 8192 macroblocks.
_ALPHA_AREA_RATIO = 9 / 16
_ERROR_LIMIT = 400  # characters of ffmpeg's error output kept as the reason
_LOG_PREFIX = re.compile(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*")


class RenditionError(Exception):
    """The video cannot be converted (a corrupt stream, an unsupported codec): final."""


@dataclass(frozen=True)
class RenditionCaps:
    max_side: int
    max_bitrate: int  # bits per second, audio included
    max_fps: int
    timeout_seconds: float
    ffmpeg: str = "ffmpeg"
    preset: str = X264_PRESET  # benchmarks/media.py compares another


@dataclass(frozen=True)
class SourceInfo:
    codec: str
    pix_fmt: str | None
    fps: Fraction | None
    has_audio: bool
    has_alpha: bool
    duration: float | None


@dataclass(frozen=True)
class Rendition:
    video: Path
    poster: Path
    layout: str
    width: int
    height: int
    bitrate: int  # bits per second, over the whole file
    size_bytes: int
    duration: float | None


def _pix_fmt_has_alpha(name: str | None) -> bool:
    if not name:
        return False
    try:
        fmt = av.VideoFormat(name)
    except ValueError:
        return False
    # yuva*, rgba/argb/..., gbrap* have four components; ya8/ya16 (grey + alpha) two.
    return not fmt.has_palette and len(fmt.components) in (2, 4)


def probe(path: Path) -> SourceInfo:
    """What the conversion needs to know; RenditionError if the file has no readable video."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise RenditionError("the file has no video stream")
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            pix_fmt = stream.codec_context.format.name if stream.codec_context.format else None
            # WebM keeps VP8/VP9 alpha beside the frames; the tag says it is there.
            webm_alpha = stream.metadata.get("alpha_mode") == "1" and codec in ("vp8", "vp9")
            duration = None
            if stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            elif container.duration is not None:
                duration = container.duration / 1_000_000
            rate = stream.average_rate or stream.base_rate
            return SourceInfo(
                codec=codec,
                pix_fmt=pix_fmt,
                fps=Fraction(rate) if rate else None,
                has_audio=bool(container.streams.audio),
                has_alpha=webm_alpha or _pix_fmt_has_alpha(pix_fmt),
                duration=duration,
            )
    except av.FFmpegError as exc:
        raise RenditionError(f"the video cannot be read ({exc})") from exc


def _scale(caps: RenditionCaps, alpha: bool) -> str:
    """Fit in a max_side square (and, for a packed half, a 16:9 frame's area); never enlarge."""
    side = caps.max_side
    width, height = f"min({side},iw)", f"min({side},ih)"
    if alpha:
        area = int(side * side * _ALPHA_AREA_RATIO)
        width, height = f"min({width},sqrt({area}*iw/ih))", f"min({height},sqrt({area}*ih/iw))"
    return (
        f"scale=w='{width}':h='{height}':force_original_aspect_ratio=decrease:force_divisible_by=2"
    )


def video_filter(source: SourceInfo, caps: RenditionCaps) -> str:
    """The filter graph from input 0 to the label [v] (after ffmpeg's autorotate)."""
    steps = []
    if source.fps is not None and source.fps > caps.max_fps:
        steps.append(f"fps={caps.max_fps}")
    steps.append(_scale(caps, source.has_alpha))
    head = ",".join(steps)
    if not source.has_alpha:
        return f"[0:v:0]{head},format=yuv420p[v]"
    return (
        f"[0:v:0]{head},format=yuva420p,split[colour][mask];"
        "[mask]alphaextract,format=yuv420p[alpha];[colour]format=yuv420p[rgb];"
        "[rgb][alpha]hstack=inputs=2,format=yuv420p[v]"
    )


def transcode_command(
    source_path: Path, source: SourceInfo, output: Path, caps: RenditionCaps
) -> list[str]:
    video_bitrate = max(caps.max_bitrate - (AUDIO_BITRATE if source.has_audio else 0), 100_000)
    decoder = []
    if source.has_alpha and source.codec in ("vp8", "vp9"):
        # The native VP8/VP9 decoders drop the alpha that WebM carries beside the frames.
        decoder = ["-c:v", "libvpx-vp9" if source.codec == "vp9" else "libvpx"]
    audio = ["-map", "0:a:0", "-c:a", "aac", "-b:a", str(AUDIO_BITRATE), "-ac", "2"]
    return [
        caps.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-xerror", "-y",
        *decoder, "-i", str(source_path),
        "-filter_complex", video_filter(source, caps), "-map", "[v]",
        "-c:v", "libx264", "-preset", caps.preset, "-profile:v", H264_PROFILE,
        "-level:v", H264_LEVEL, "-pix_fmt", "yuv420p", "-crf", "23",
        # A capped CRF: quality-driven, never above the cap over any one second; the decoder's
        # buffer starts 30% full, so a short clip cannot front-load its bits beyond the cap.
        "-maxrate", str(video_bitrate), "-bufsize", str(video_bitrate),
        "-x264-params", f"vbv-init={VBV_INITIAL_FULLNESS}",
        *(audio if source.has_audio else ["-an"]),
        "-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4", str(output),
    ]  # fmt: skip


def poster_command(
    rendition: Path, layout: str, at_seconds: float, output: Path, caps: RenditionCaps
) -> list[str]:
    crop = ["-vf", "crop=iw/2:ih:0:0"] if layout == ALPHA_SIDE_BY_SIDE else []
    return [
        caps.ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-ss", f"{at_seconds:.3f}", "-i", str(rendition), *crop,
        "-frames:v", "1", "-q:v", str(POSTER_QUALITY), str(output),
    ]  # fmt: skip


def _run(command: list[str], timeout: float, what: str) -> None:
    """Run ffmpeg as a child that dies with the worker (a killed worker leaves no conversion
    running); past `timeout` it is stopped."""
    try:
        child = start_group(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except FileNotFoundError as exc:
        raise RenditionError(f"{what}: ffmpeg is not installed ({command[0]})") from exc
    try:
        _, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        stop_group(child, grace_seconds=5)
        raise RenditionError(f"{what} took longer than {timeout:g} s") from exc
    if child.returncode != 0:
        said = _first_errors(stderr.decode(errors="replace"))
        raise RenditionError(f"{what} failed: {said or f'exit status {child.returncode}'}")


def _first_errors(stderr: str) -> str:
    """ffmpeg's first distinct error lines, without its `[h264 @ 0x55...]` prefixes."""
    lines: list[str] = []
    for line in stderr.splitlines():
        text = _LOG_PREFIX.sub("", line).strip()
        if text and text not in lines:
            lines.append(text)
    return "; ".join(lines[:3])[:_ERROR_LIMIT]


def _measure(path: Path) -> tuple[int, int, float | None]:
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            duration = container.duration / 1_000_000 if container.duration else None
            return stream.codec_context.width, stream.codec_context.height, duration
    except (av.FFmpegError, IndexError) as exc:
        raise RenditionError(f"the rendition cannot be read back ({exc})") from exc


def make_rendition(source_path: Path, folder: Path, caps: RenditionCaps) -> Rendition:
    """Convert `source_path` into `folder`/rendition.mp4 and poster.jpg; RenditionError if the
    video cannot be converted (files left in `folder` are the caller's to remove)."""
    source = probe(source_path)
    output, poster = folder / "rendition.mp4", folder / "poster.jpg"
    layout = ALPHA_SIDE_BY_SIDE if source.has_alpha else PLAIN
    _run(transcode_command(source_path, source, output, caps), caps.timeout_seconds, "conversion")
    width, height, duration = _measure(output)
    at = min(1.0, duration / 4) if duration else 0.0
    _run(poster_command(output, layout, at, poster, caps), caps.timeout_seconds, "poster frame")
    if not poster.is_file():
        raise RenditionError("the rendition has no frame for a poster")
    size = output.stat().st_size
    bitrate = round(size * 8 / duration) if duration else 0
    return Rendition(output, poster, layout, width, height, bitrate, size, duration)
