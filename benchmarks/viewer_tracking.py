"""Official vs our ``.mind`` files in the real MindAR 1.2.5 viewer, on easy and hard poses.

For each target, the official compiler (Node) and ours (default mode) build a ``.mind``; each
pose (geometry and camera look: dim, blur, motion blur, glare) is rendered once into a
fake-camera feed and shown to the stock viewer (headless Chromium, MindARThree) with either file,
alternating, so both see the same frames under the same machine load. It also checks that our
``--compat`` output is the official file byte for byte. Prints per-pose and summary tables:
found, mean corner error (px), frames the viewer processed up to its first match, file size and
the time to fetch and decode the file with MindAR's own decoder.

    .venv/bin/python -m benchmarks.viewer_tracking                 # held-out targets, all poses
    .venv/bin/python -m benchmarks.viewer_tracking --set tuning --pose tx55 --pose tx65
    .venv/bin/python -m benchmarks.viewer_tracking --image poster.jpg --json out.json
    .venv/bin/python -m benchmarks.viewer_tracking --tables-from out.json   # print them again

Targets are generated (photo-like, illustration, text-heavy, low-texture) from seeds: the
``tuning`` set is what the compiler was developed on, the ``held-out`` set (the default and the
README's table) was never looked at before the measured run. ``--image`` adds files.
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
from tests.support import samples
from tests.support.collage import random_collage
from tests.support.fake_camera import Look, Pose, write_feed
from tests.support.mindar_browser import MindARHarness, TrackingResult

from vertex_ar.markers import compile_targets

RGB = npt.NDArray[np.uint8]
Generator = Callable[[int, int, int], RGB]

KINDS: dict[str, Generator] = {
    "photo": samples.photo_like,
    "illustration": random_collage,
    "text": samples.text_page,
    "low-texture": samples.sparse_shapes,
}
# (kind, width, height, seed); all within our default 1024 px maximum side, so both compilers
# see the same pixels.
TARGET_SETS: dict[str, list[tuple[str, int, int, int]]] = {
    "tuning": [
        ("photo", 600, 800, 101),
        ("illustration", 640, 800, 102),
        ("text", 600, 800, 103),
        ("low-texture", 700, 700, 104),
    ],
    "held-out": [
        ("photo", 720, 960, 9001),
        ("illustration", 700, 1000, 9003),
        ("text", 640, 900, 9004),
        ("low-texture", 800, 800, 9005),
    ],
}


@dataclass(frozen=True)
class Case:
    """One camera situation: ``name`` (the table's), geometry, look, and whether it is hard."""

    name: str
    pose: Pose
    look: Look | None = None
    hard: bool = True


CASES = [
    Case("front", Pose(scale=0.8), hard=False),
    Case("rotated", Pose(scale=0.7, rotation_deg=45.0, offset=(20.0, -10.0)), hard=False),
    Case("tx35", Pose(scale=0.7, tilt_x_deg=35.0), hard=False),
    Case("tx45", Pose(scale=0.7, tilt_x_deg=45.0)),
    Case("tx55", Pose(scale=0.7, tilt_x_deg=55.0)),
    Case("tx65", Pose(scale=0.75, tilt_x_deg=65.0)),
    Case("ty55", Pose(scale=0.7, tilt_y_deg=-55.0, rotation_deg=10.0)),
    Case("far25", Pose(scale=0.25, offset=(30.0, 20.0))),
    Case("far15", Pose(scale=0.15, offset=(-20.0, 10.0))),
    Case("dim", Pose(scale=0.6, rotation_deg=-15.0), Look(brightness=0.3)),
    Case("blur", Pose(scale=0.6, rotation_deg=15.0), Look(blur_sigma=2.0)),
    Case("motion", Pose(scale=0.6), Look(motion_px=12.0, motion_deg=20.0)),
    Case("glare", Pose(scale=0.7, rotation_deg=5.0), Look(glare=200.0)),
]

COMPILERS = ("official", "ours")


@dataclass
class Compiled:
    """One compiler's file for one target; ``mind`` is empty when read back from ``--json``."""

    compiler: str
    size: int
    ms: float
    mind: bytes = b""


@dataclass
class Row:
    target: str
    case: Case
    compiler: str
    result: TrackingResult


def _targets(set_name: str, extra: list[Path]) -> list[tuple[str, RGB]]:
    """(name, RGB (h, w, 3)) for the chosen generated set and any given files."""
    images = [
        (f"{kind}-{seed}", KINDS[kind](width, height, seed))
        for kind, width, height, seed in TARGET_SETS[set_name]
    ]
    images += [(path.name, load_rgba_on_white(path)[..., :3].copy()) for path in extra]
    return images


def _compile_both(rgb: RGB, workdir: Path, log: Callable[[str], None]) -> list[Compiled]:
    opaque = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
    official = compile_official_pixels([opaque], workdir / "official.mind")
    started = time.perf_counter()
    ours = compile_targets([rgb])
    ours_ms = (time.perf_counter() - started) * 1000
    same = compile_targets([rgb], compat=True) == official.mind
    log(f"  --compat output is the official file: {'yes' if same else 'NO'}")
    return [
        Compiled("official", len(official.mind), official.ms, official.mind),
        Compiled("ours", len(ours), ours_ms, ours),
    ]


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _mean(values: list[float]) -> float | None:
    return statistics.mean(values) if values else None


def _print_tables(rows: list[Row], compiled: dict[str, list[Compiled]]) -> None:
    results = {(r.target, r.case.name, r.compiler): r.result for r in rows}
    targets = list(compiled)
    cases = list(dict.fromkeys(r.case.name for r in rows))
    hard = {r.case.name for r in rows if r.case.hard}

    print("\nFound per pose (official / ours), over targets")
    print(f"{'pose':<9} {'hard':<5} {'official':>9} {'ours':>6}  targets found by one file only")
    for case in cases:
        found = {
            c: [t for t in targets if (res := results.get((t, case, c))) and res.found]
            for c in COMPILERS
        }
        only = [f"+{t}" for t in found["ours"] if t not in found["official"]]
        only += [f"-{t}" for t in found["official"] if t not in found["ours"]]
        print(
            f"{case:<9} {'yes' if case in hard else 'no':<5} {len(found['official']):>5}/"
            f"{len(targets):<3} {len(found['ours']):>2}/{len(targets):<3}  {' '.join(only)}"
        )

    print("\nSummary per compiler")
    header = (
        f"{'compiler':<9} {'easy found':>10} {'hard found':>10} {'err mean':>8} {'median':>6}"
        f" {'frames':>7} {'ms found':>9} {'size KB':>8} {'load ms':>8} {'compile ms':>10}"
    )
    print(header)
    print("-" * len(header))
    both = [
        (t, case)
        for t in targets
        for case in cases
        if all((res := results.get((t, case, c))) and res.found for c in COMPILERS)
    ]
    for index, compiler in enumerate(COMPILERS):
        mine = [r for r in rows if r.compiler == compiler]
        easy = [r for r in mine if not r.case.hard]
        hard_rows = [r for r in mine if r.case.hard]
        errors = [
            e for t, case in both if (e := results[(t, case, compiler)].corner_error_px) is not None
        ]
        frames = [
            float(f) for t, case in both if (f := results[(t, case, compiler)].frames_to_match)
        ]
        ms = [
            m for t, case in both if (m := results[(t, case, compiler)].ms_to_detection) is not None
        ]
        loads = [m for r in mine if (m := r.result.file_load_ms) is not None]
        sizes = [builds[index].size for builds in compiled.values()]
        compile_ms = [builds[index].ms for builds in compiled.values()]
        print(
            f"{compiler:<9} {sum(r.result.found for r in easy):>6}/{len(easy):<3}"
            f" {sum(r.result.found for r in hard_rows):>6}/{len(hard_rows):<3}"
            f" {_fmt(_mean(errors)):>8} {_fmt(_median(errors)):>6}"
            f" {_fmt(_median(frames), 1):>7} {_fmt(_median(ms), 0):>9}"
            f" {_fmt(_mean([size / 1000 for size in sizes]), 0):>8} {_fmt(_median(loads), 0):>8}"
            f" {_fmt(_median(compile_ms), 0):>10}"
        )
    print(
        f"(err, frames and ms over the {len(both)} target-poses both found; size and compile ms"
        " per target, load = fetch + MindAR's decoder, median)"
    )

    print("\nPer target: size KB official / ours, found official / ours")
    for target in targets:
        official, ours = compiled[target]
        count = {
            c: sum(bool((res := results.get((target, case, c))) and res.found) for case in cases)
            for c in COMPILERS
        }
        print(
            f"{target:<22} {official.size / 1000:>7.0f} {ours.size / 1000:>7.0f}"
            f" ({ours.size / official.size:.2f}x)"
            f"   {count['official']:>2} / {count['ours']:>2} of {len(cases)}"
        )


def run(
    targets: list[tuple[str, RGB]],
    cases: list[Case],
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
        for name, rgb in targets:
            log(f"{name}: compiling ({rgb.shape[1]}x{rgb.shape[0]})")
            builds = _compile_both(rgb, workdir, log)
            compiled[name] = builds
            log("  " + ", ".join(f"{b.compiler} {b.ms:.0f} ms, {b.size} bytes" for b in builds))
            for case in cases:
                feed = workdir / "feed.y4m"
                truth = write_feed(feed, rgb, case.pose, look=case.look)
                for build in builds:
                    result = harness.track(build.mind, feed, truth)
                    rows.append(Row(name, case, build.compiler, result))
                    log(
                        f"  {case.name:<8} {build.compiler:<9} found={result.found}"
                        f" err={_fmt(result.corner_error_px)} frames={result.frames_to_match}"
                        f" ms={_fmt(result.ms_to_detection, 0)}"
                        + (f" error={result.error}" if result.error else "")
                    )
    return rows, compiled


def _load(path: Path) -> tuple[list[Row], dict[str, list[Compiled]]]:
    """Rows and builds of a ``--json`` file (sizes and times; no files, corners or logs)."""
    saved = json.loads(path.read_text())
    cases = {c.name: c for c in CASES}
    compiled = {
        target: [Compiled(b["compiler"], b["bytes"], b["ms"]) for b in builds]
        for target, builds in saved["compiled"].items()
    }
    rows = [
        Row(
            run["target"],
            cases[run["pose"]],
            run["compiler"],
            TrackingResult(
                found=run["found"],
                ms_to_detection=run["ms_to_detection"],
                startup_ms=None,
                corners=None,
                corner_error_px=run["corner_error_px"],
                samples=0,
                lost_count=0,
                frames_to_match=run["frames_to_match"],
                file_load_ms=run["file_load_ms"],
                error=run["error"],
            ),
        )
        for run in saved["runs"]
    ]
    return rows, compiled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--set", choices=sorted(TARGET_SETS), default="held-out")
    parser.add_argument("--kind", action="append", choices=sorted(KINDS), help="only these kinds")
    parser.add_argument("--image", type=Path, action="append", default=[], help="add an image file")
    parser.add_argument(
        "--pose", action="append", choices=[c.name for c in CASES], help="only these poses"
    )
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds to wait for detection per run"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--tables-from", type=Path, metavar="JSON", help="print the tables of a saved --json run"
    )
    args = parser.parse_args(argv)
    if args.tables_from:
        _print_tables(*_load(args.tables_from))
        return 0

    targets = [
        (name, rgb)
        for name, rgb in _targets(args.set, args.image)
        if not args.kind or name.rsplit("-", 1)[0] in args.kind
    ]
    cases = [c for c in CASES if not args.pose or c.name in args.pose]
    rows, compiled = run(
        targets, cases, args.timeout, lambda line: print(line, file=sys.stderr, flush=True)
    )
    _print_tables(rows, compiled)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "compiled": {
                        target: [
                            {"compiler": b.compiler, "ms": b.ms, "bytes": b.size} for b in builds
                        ]
                        for target, builds in compiled.items()
                    },
                    "runs": [
                        {
                            "target": r.target,
                            "pose": r.case.name,
                            "hard": r.case.hard,
                            "compiler": r.compiler,
                            "found": r.result.found,
                            "corner_error_px": r.result.corner_error_px,
                            "frames_to_match": r.result.frames_to_match,
                            "ms_to_detection": r.result.ms_to_detection,
                            "file_load_ms": r.result.file_load_ms,
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
