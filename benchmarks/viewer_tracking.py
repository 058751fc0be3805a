"""Official vs our ``.mind`` files in the real MindAR 1.2.5 viewer: detection and corner error.

For each image, both compilers build a ``.mind``; each pose is rendered once into a fake-camera
feed and shown to the viewer (headless Chromium, MindARThree) with either file, alternating, so
both see the same frames under the same machine load. Prints per-pose and summary tables.

    .venv/bin/python -m benchmarks.viewer_tracking                 # from the repository root
    .venv/bin/python -m benchmarks.viewer_tracking --official-only --poses 4
    .venv/bin/python -m benchmarks.viewer_tracking --image poster.jpg --json out.json

Generated images are random collages with seeds no compiler is tuned on; ``--image`` adds files.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from benchmarks.official_mindar import compile_official_pixels, load_rgba_on_white
from tests.support.collage import random_collage
from tests.support.fake_camera import Pose, write_feed
from tests.support.mindar_browser import MindARHarness, TrackingResult

# (name, width, height, seed): sizes below, at and above our default 1024 px maximum side.
GENERATED = [
    ("collage-700x1000", 700, 1000, 31),
    ("collage-1000x1000", 1000, 1000, 32),
    ("poster-1400x2000", 1400, 2000, 33),
]

POSES = [
    Pose(scale=0.8),
    Pose(scale=0.5, offset=(-100.0, 40.0)),
    Pose(scale=0.3),
    Pose(scale=1.0),
    Pose(scale=0.7, rotation_deg=45.0),
    Pose(scale=0.7, rotation_deg=180.0),
    Pose(scale=0.7, tilt_x_deg=45.0),
    Pose(scale=0.7, tilt_y_deg=-45.0),
    Pose(scale=0.6, rotation_deg=20.0, tilt_x_deg=30.0, tilt_y_deg=20.0, offset=(50.0, -20.0)),
    Pose(scale=0.25, rotation_deg=-30.0, offset=(150.0, 100.0)),
]


@dataclass
class Compiled:
    compiler: str
    mind: bytes
    ms: float


@dataclass
class Row:
    image: str
    pose: str
    compiler: str
    result: TrackingResult


def _rgb_images(extra: list[Path]) -> list[tuple[str, npt.NDArray[np.uint8]]]:
    """(name, RGB (h, w, 3)) for the generated collages and any given files."""
    images = [(name, random_collage(w, h, seed)) for name, w, h, seed in GENERATED]
    images += [(path.name, load_rgba_on_white(path)[..., :3].copy()) for path in extra]
    return images


def _compile_both(rgb: npt.NDArray[np.uint8], workdir: Path, official_only: bool) -> list[Compiled]:
    opaque = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    official = compile_official_pixels([opaque], workdir / "official.mind")
    out = [Compiled("official", official.mind, official.ms)]
    if not official_only:
        from vertex_ar.markers import compile_targets

        started = time.perf_counter()
        mind = compile_targets([rgb])
        out.append(Compiled("ours", mind, (time.perf_counter() - started) * 1000))
    return out


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _summary_line(rows: list[Row]) -> tuple[str, str, str, str]:
    found = [r.result for r in rows if r.result.found]
    errors = [r.corner_error_px for r in found if r.corner_error_px is not None]
    times = [r.ms_to_detection for r in found if r.ms_to_detection is not None]
    return (
        f"{len(found)}/{len(rows)}",
        _fmt(statistics.mean(errors) if errors else None),
        _fmt(max(errors) if errors else None),
        _fmt(statistics.median(times) if times else None, 0),
    )


def _print_tables(rows: list[Row], compiled: dict[str, list[Compiled]]) -> None:
    compilers = sorted({r.compiler for r in rows}, key=lambda c: c != "official")
    print("\nPer pose: found, mean corner error (px), ms from video start to targetFound")
    header = f"{'image':<20} {'pose':<28}" + "".join(
        f" | {c + ' found':>14} {'err':>6} {'ms':>6}" for c in compilers
    )
    print(header)
    print("-" * len(header))
    by_key = {(r.image, r.pose, r.compiler): r.result for r in rows}
    for image, pose in dict.fromkeys((r.image, r.pose) for r in rows):
        line = f"{image:<20} {pose:<28}"
        for compiler in compilers:
            res = by_key.get((image, pose, compiler))
            if res is None:
                line += f" | {'':>14} {'':>6} {'':>6}"
                continue
            mark = "yes" if res.found else ("ERROR" if res.error else "no")
            err, ms = _fmt(res.corner_error_px), _fmt(res.ms_to_detection, 0)
            line += f" | {mark:>14} {err:>6} {ms:>6}"
        print(line)

    print("\nSummary (error over found poses; detection time median)")
    header = (
        f"{'image':<20} {'compiler':<9} {'compile ms':>11} {'ratio':>7} {'found':>7}"
        f" {'mean err':>9} {'max err':>8} {'med ms':>7}"
    )
    print(header)
    print("-" * len(header))
    for image, builds in compiled.items():
        official_ms = builds[0].ms
        for build in builds:
            found, mean_err, max_err, med_ms = _summary_line(
                [r for r in rows if r.image == image and r.compiler == build.compiler]
            )
            ratio = f"{official_ms / build.ms:.1f}x"
            print(
                f"{image:<20} {build.compiler:<9} {build.ms:>11.0f} {ratio:>7} {found:>7}"
                f" {mean_err:>9} {max_err:>8} {med_ms:>7}"
            )
    for compiler in compilers:
        found, mean_err, max_err, med_ms = _summary_line(
            [r for r in rows if r.compiler == compiler]
        )
        blank = ""
        print(
            f"{'ALL':<20} {compiler:<9} {blank:>11} {blank:>7} {found:>7} {mean_err:>9}"
            f" {max_err:>8} {med_ms:>7}"
        )


def run(
    extra_images: list[Path],
    poses: list[Pose],
    official_only: bool,
    timeout_s: float,
    log: Callable[[str], None],
) -> tuple[list[Row], dict[str, list[Compiled]]]:
    rows: list[Row] = []
    compiled: dict[str, list[Compiled]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="viewer-tracking-") as tmp,
        MindARHarness(timeout_s=timeout_s) as harness,
    ):
        workdir = Path(tmp)
        for name, rgb in _rgb_images(extra_images):
            log(f"{name}: compiling ({rgb.shape[1]}x{rgb.shape[0]})")
            builds = _compile_both(rgb, workdir, official_only)
            compiled[name] = builds
            log(
                "  " + ", ".join(f"{b.compiler} {b.ms:.0f} ms, {len(b.mind)} bytes" for b in builds)
            )
            for pose in poses:
                feed = workdir / "feed.y4m"
                truth = write_feed(feed, rgb, pose)
                for build in builds:
                    result = harness.track(build.mind, feed, truth)
                    rows.append(Row(name, pose.label(), build.compiler, result))
                    log(
                        f"  {pose.label():<26} {build.compiler:<9} found={result.found}"
                        f" err={_fmt(result.corner_error_px)} ms={_fmt(result.ms_to_detection, 0)}"
                        + (f" error={result.error}" if result.error else "")
                    )
    return rows, compiled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, action="append", default=[], help="add an image file")
    parser.add_argument("--poses", type=int, default=len(POSES), help="use the first N poses")
    parser.add_argument("--official-only", action="store_true", help="skip our compiler")
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for detection per run"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)

    rows, compiled = run(
        args.image,
        POSES[: args.poses],
        args.official_only,
        args.timeout,
        lambda line: print(line, file=sys.stderr, flush=True),
    )
    _print_tables(rows, compiled)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "compiled": {
                        image: [
                            {"compiler": b.compiler, "ms": b.ms, "bytes": len(b.mind)}
                            for b in builds
                        ]
                        for image, builds in compiled.items()
                    },
                    "runs": [
                        {
                            "image": r.image,
                            "pose": r.pose,
                            "compiler": r.compiler,
                            "found": r.result.found,
                            "corner_error_px": r.result.corner_error_px,
                            "ms_to_detection": r.result.ms_to_detection,
                            "corners": None
                            if r.result.corners is None
                            else r.result.corners.tolist(),
                            "error": r.result.error,
                        }
                        for r in rows
                    ],
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
