"""Web renditions: conversion speed and sizes for a few generated inputs.

    .venv/bin/python -m benchmarks.media [--seconds 5] [--runs 3]

Each input is made with ffmpeg's test sources (a moving pattern plus film grain, so that the
encoder has real work), then converted by `content.renditions.make_rendition` with the default
caps (MEDIA_MAX_SIDE 1280, MEDIA_MAX_BITRATE 2.5 Mbit/s, MEDIA_MAX_FPS 30). Speed is the clip's
duration over the wall time of the conversion and its poster (× real time; above 1 is faster
than playing it). The baseline in the same run is x264's `medium` preset on the same input: the
ratio says what the `veryfast` preset buys and what it costs in size. Medians of ``--runs``; the
1-minute load average is printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from vertex_ar.content.renditions import X264_PRESET, Rendition, RenditionCaps, make_rendition
from vertex_ar.core.settings import Settings

BASELINE_PRESET = "medium"
GRAIN = "noise=alls=12:allf=t"


@dataclass(frozen=True)
class Input:
    name: str
    filename: str
    source: str  # lavfi graph, `{s}` the duration
    codec: list[str]  # the encoder's arguments (AAC sound unless they say otherwise)


_HEVC = ["-c:v", "libx265", "-preset", "ultrafast", "-tag:v", "hvc1", "-b:v", "8M"]
_VP9 = ["-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-b:v", "2M", "-deadline", "realtime"]
INPUTS = (
    Input(
        "1080p60 H.264 20 Mbit/s + AAC",
        "hd60.mp4",
        f"testsrc2=size=1920x1080:rate=60:duration={{s}},{GRAIN}",
        ["-c:v", "libx264", "-preset", "ultrafast", "-b:v", "20M", "-pix_fmt", "yuv420p"],
    ),
    Input(
        "1080p30 HEVC + AAC (iPhone-like)",
        "hevc.mp4",
        f"testsrc2=size=1920x1080:rate=30:duration={{s}},{GRAIN}",
        [*_HEVC, "-x265-params", "log-level=error"],
    ),
    Input(
        "720p30 VP9 with alpha + Opus (WebM)",
        "alpha.webm",
        "testsrc2=size=1280x720:rate=30:duration={s},format=yuva420p,"
        "geq=lum='lum(X,Y)':cb='cb(X,Y)':cr='cr(X,Y)':a='if(lt(X,640),255,0)'",
        [*_VP9, "-cpu-used", "8", "-c:a", "libopus"],
    ),
    Input(
        "720p25 ProRes 4444 with alpha + AAC (MOV)",
        "prores.mov",
        "testsrc2=size=1280x720:rate=25:duration={s},format=yuva444p10le",
        ["-c:v", "prores_ks", "-profile:v", "4444", "-pix_fmt", "yuva444p10le"],
    ),
)


def make_input(spec: Input, folder: Path, seconds: float) -> Path:
    path = folder / spec.filename
    audio = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         spec.source.replace("{s}", str(seconds)), *audio, "-c:a", "aac", *spec.codec,
         "-shortest", str(path)],
        check=True,
    )  # fmt: skip
    return path


def timed(path: Path, caps: RenditionCaps, runs: int) -> tuple[float, Rendition]:
    times, result = [], None
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-media-") as folder:
            start = time.perf_counter()
            result = make_rendition(path, Path(folder), caps)
            times.append(time.perf_counter() - start)
    assert result is not None
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    caps = RenditionCaps(
        max_side=settings.media_max_side,
        max_bitrate=settings.media_max_bitrate,
        max_fps=settings.media_max_fps,
        timeout_seconds=settings.media_timeout_seconds,
    )
    baseline = RenditionCaps(**{**caps.__dict__, "preset": BASELINE_PRESET})
    print(f"load average (1 min) {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs; "
          f"{args.seconds:g} s clips, median of {args.runs} runs")  # fmt: skip
    header = (
        f"| input | input MB | input Mbit/s | rendition | {X264_PRESET} × real time "
        f"| rendition MB (Mbit/s) | {BASELINE_PRESET} × real time | {BASELINE_PRESET} MB "
        "| speed ratio | size vs input |"
    )
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    with tempfile.TemporaryDirectory(prefix="bench-inputs-") as folder:
        for spec in INPUTS:
            path = make_input(spec, Path(folder), args.seconds)
            size = path.stat().st_size
            fast_s, fast = timed(path, caps, args.runs)
            slow_s, slow = timed(path, baseline, args.runs)
            duration = fast.duration or args.seconds
            print(
                f"| {spec.name} | {size / 1e6:.1f} | {size * 8 / args.seconds / 1e6:.1f} "
                f"| {fast.width}×{fast.height} {fast.layout} | {duration / fast_s:.2f} "
                f"| {fast.size_bytes / 1e6:.2f} ({fast.bitrate / 1e6:.2f}) "
                f"| {duration / slow_s:.2f} | {slow.size_bytes / 1e6:.2f} "
                f"| {slow_s / fast_s:.1f}× | {fast.size_bytes / size:.1%} |"
            )


if __name__ == "__main__":
    main()
