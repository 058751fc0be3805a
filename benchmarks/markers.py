"""Compile time and peak memory: our marker compiler vs the official MindAR 1.2.5 compiler.

    .venv/bin/python -m benchmarks.markers [--runs 3] [--official-runs 1] [--official-max-mp 4]

Generated collages of about 0.25, 1, 3 and 12 MP (3:4, fixed seeds) are compiled
  * by ours on the same pixels as the official (``--max-side 0``: no downscaling, ``compat``
    mode: the official file), which is the like-for-like comparison behind the ratio, and with
    the default max side and mode (what production runs, tilted-view keyframes included),
    each in a fresh subprocess per run so that peak RSS (``ru_maxrss``) is per compile;
  * by the official compiler in Node (tfjs CPU backend) via benchmarks/official_mindar.py; its
    time is the compile as timed inside Node (Node start-up excluded), its memory the peak RSS
    of the Node process. It is slow (about a minute for 3 MP), so it runs ``--official-runs``
    times and is skipped above ``--official-max-mp`` (the table says so).
Our time includes decoding the PNG; the official's excludes it. Medians are printed with the
1-minute load average, because other jobs on a shared machine slow both sides; ``cpu ms`` is
our compile's CPU time over all threads, which such load affects much less than wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2

SIZES = [(433, 577), (866, 1155), (1400, 2000), (3000, 4000)]  # ≈ 0.25, 1, 2.8, 12 MP
REPO = Path(__file__).resolve().parent.parent
WORKER = [sys.executable, "-m", "benchmarks.markers", "--worker"]


@dataclass
class Runs:
    ms: list[float]
    cpu_ms: list[float]
    peak_mb: list[float]
    size: int
    mind: bytes

    @property
    def median_ms(self) -> float:
        return statistics.median(self.ms)

    @property
    def median_cpu_ms(self) -> float:
        return statistics.median(self.cpu_ms)

    @property
    def peak(self) -> float:
        return max(self.peak_mb)


def _worker(kind: str, image: Path, out: Path, max_side: int) -> None:
    """One compile in this process; prints {"ms", "cpu_ms", "peak_mb", "bytes"}."""
    cpu_ms = 0.0
    if kind == "ours":
        from vertex_ar.markers.compiler import compile_with_stats

        cpu_started = time.process_time()
        # Like for like with the official compiler in compat mode; production's default otherwise.
        result = compile_with_stats([image], max_side=max_side or None, compat=not max_side)
        cpu_ms = (time.process_time() - cpu_started) * 1000
        out.write_bytes(result.mind)
        ms = result.ms
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    else:
        from benchmarks.official_mindar import compile_official

        official = compile_official([image], out)
        ms = official.ms
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = {"ms": ms, "cpu_ms": cpu_ms, "peak_mb": peak_kb / 1024, "bytes": out.stat().st_size}
    print(json.dumps(report))


def _run(kind: str, image: Path, runs: int, max_side: int, tmp: Path) -> Runs:
    ms, cpu_ms, peaks = [], [], []
    out = tmp / f"{kind}-{max_side}-{image.stem}.mind"
    for _ in range(runs):
        proc = subprocess.run(
            [*WORKER, kind, str(image), str(out), str(max_side)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        if proc.returncode != 0:
            raise RuntimeError(f"{kind} compile of {image.name} failed:\n{proc.stderr[-3000:]}")
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        ms.append(float(report["ms"]))
        cpu_ms.append(float(report["cpu_ms"]))
        peaks.append(float(report["peak_mb"]))
    return Runs(ms=ms, cpu_ms=cpu_ms, peak_mb=peaks, size=out.stat().st_size, mind=out.read_bytes())


def _images(tmp: Path) -> list[Path]:
    from tests.support.samples import collage

    paths = []
    for i, (width, height) in enumerate(SIZES):
        path = tmp / f"collage-{width}x{height}.png"
        rgb = collage(width, height, seed=900 + i)
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of ours per image (median)")
    parser.add_argument("--official-runs", type=int, default=1)
    parser.add_argument(
        "--official-max-mp", type=float, default=4.0, help="skip the official compiler above this"
    )
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, image, out, max_side = args.worker
        _worker(kind, Path(image), Path(out), int(max_side))
        return 0

    from vertex_ar.markers.images import DEFAULT_MAX_SIDE

    header = (
        f"{'image':>11} {'MP':>5} | {'ours ms':>8} {'cpu ms':>7} {'peak MB':>7} | "
        f"{'default ms':>10} {'peak MB':>7} | {'official ms':>11} {'peak MB':>7} | "
        f"{'ratio':>6} | {'same file':>9} | {'load':>4}"
    )
    print(
        f"ours: same pixels as official (no downscale), median of {args.runs}; "
        f"default: max side {DEFAULT_MAX_SIDE}; official: median of {args.official_runs}, "
        "time inside Node"
    )
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="bench-markers-") as tmp_name:
        tmp = Path(tmp_name)
        for image, (width, height) in zip(_images(tmp), SIZES, strict=True):
            mp = width * height / 1e6
            ours = _run("ours", image, args.runs, 0, tmp)
            default = _run("ours", image, args.runs, DEFAULT_MAX_SIDE, tmp)
            load = os.getloadavg()[0]
            if mp <= args.official_max_mp and args.official_runs > 0:
                official = _run("official", image, args.official_runs, 0, tmp)
                official_cols = f"{official.median_ms:>11.0f} {official.peak:>7.0f}"
                ratio = f"{official.median_ms / ours.median_ms:>5.1f}×"
                same = "yes" if official.mind == ours.mind else "no"
            else:
                official_cols = f"{'skipped':>11} {'':>7}"
                ratio = f"{'—':>6}"
                same = "—"
            print(
                f"{width:>5}×{height:<5} {mp:>5.2f} | {ours.median_ms:>8.0f} "
                f"{ours.median_cpu_ms:>7.0f} {ours.peak:>7.0f} | "
                f"{default.median_ms:>10.0f} {default.peak:>7.0f} | {official_cols} | "
                f"{ratio} | {same:>9} | {load:>4.1f}",
                flush=True,
            )
    if args.official_max_mp < SIZES[-1][0] * SIZES[-1][1] / 1e6:
        print(
            f"official skipped above {args.official_max_mp} MP: it takes minutes there "
            "(raise --official-max-mp to run it)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
