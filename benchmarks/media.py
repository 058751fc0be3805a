"""Web renditions: transcode speed (× real time) and sizes, per kind of upload.

Each source is made with ffmpeg's test sources (what phones and editors produce), then turned
into its rendition by the same function the worker runs (`vertex_ar.media.transcode`). The
baseline, measured in the same run on the same file, is a plain ffmpeg H.264 re-encode at the
same size with no caps (CRF 23, source frame rate, no VBV): what the caps buy in bytes.

    .venv/bin/python -m benchmarks.media                  # from the repository root
    .venv/bin/python -m benchmarks.media --runs 3 --seconds 10
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.media import clips

from vertex_ar.media.job import MAX_BITRATE, MAX_SIDE
from vertex_ar.media.transcode import make_rendition, probe

SOURCES: list[tuple[str, Callable[[Path, float], Path], str]] = [
    ("1080p60 H.264 20 Mbit/s", clips.high_bitrate_1080p60, "phone.mp4"),
    ("HEVC 640x360, rotated", clips.hevc_rotated, "iphone.mp4"),
    ("VP9 alpha 96x160", lambda p, s: clips.webm_alpha(p, seconds=s), "alpha.webm"),
    ("ProRes 4444 320x240", clips.prores_4444, "alpha.mov"),
]


def _baseline(source: Path, folder: Path, width: int, height: int) -> int:
    out = folder / "baseline.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source),
         "-vf", f"scale={width}:{height}", "-c:v", "libx264", "-preset", "veryfast",
         "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", str(out)],
        check=True,
    )  # fmt: skip
    return out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each source")
    args = parser.parse_args()
    print(f"\nWeb renditions ({args.runs} run(s), medians; sources {args.seconds:g} s long)\n")
    print(
        "| source | source MB | rendition | rendition MB | bitrate kbit/s | × real time | "
        "uncapped re-encode MB | size vs uncapped |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for label, make, name in SOURCES:
        with tempfile.TemporaryDirectory(prefix="media-bench-") as tmp:
            folder = Path(tmp)
            source = make(folder / name, args.seconds)
            duration = probe(source).duration or args.seconds
            speeds, sizes, baselines = [], [], []
            rendition = None
            for _ in range(args.runs):
                out = folder / "out"
                out.mkdir(exist_ok=True)
                started = time.perf_counter()
                rendition = make_rendition(source, out, max_side=MAX_SIDE, max_bitrate=MAX_BITRATE)
                speeds.append(duration / (time.perf_counter() - started))
                sizes.append(rendition.size)
                packed = 2 if rendition.alpha_packing else 1
                baselines.append(_baseline(source, out, rendition.width * packed, rendition.height))
            assert rendition is not None
            size, base = statistics.median(sizes), statistics.median(baselines)
            shape = f"{rendition.width}x{rendition.height}" + (
                " +alpha" if rendition.alpha_packing else ""
            )
            print(
                f"| {label} | {source.stat().st_size / 1e6:.2f} | {shape} | {size / 1e6:.2f} | "
                f"{rendition.bitrate / 1000:.0f} | {statistics.median(speeds):.2f}x | "
                f"{base / 1e6:.2f} | {size / base:.2f} |"
            )


if __name__ == "__main__":
    main()
