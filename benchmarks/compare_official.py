"""Our ``.mind`` files against the official MindAR 1.2.5 compiler's, on the same pixels.

    .venv/bin/python -m benchmarks.compare_official [IMAGE ...]

Without arguments it compares on generated images (a collage, photo-like noise, a half-textured
and a tiled poster, fixed seeds). For each image both compilers see the same pixels (ours with no
downscaling, in ``compat`` mode) and the report gives:
  * whether the files are byte-identical;
  * keyframe sizes and scales (must be equal);
  * matching points: counts per keyframe, and for every official point the nearest of ours of the
    same kind (maxima/minima) on the same keyframe: the share within 1 px and the distribution of
    descriptor Hamming distances (of 666 bits) for those pairs, plus angle differences;
  * tracking points: overlap of our points with the official ones on each tracking keyframe.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from benchmarks.official_mindar import compile_official
from tests.support import samples

from vertex_ar.markers.compiler import compile_with_stats
from vertex_ar.markers.format import decode
from vertex_ar.markers.images import decode_rgb

GENERATED: dict[str, Callable[[], npt.NDArray[np.uint8]]] = {
    "collage": lambda: samples.collage(480, 640, seed=700),
    "photo-like": lambda: samples.noise_blobs(600, 450, seed=701),
    "half-textured": lambda: samples.half_textured(480, 640, seed=702),
    "tiled": lambda: samples.tiled(512, 512, tile=96, seed=703),
}


@dataclass
class PointStats:
    official: int = 0
    ours: int = 0
    paired: int = 0
    identical: int = 0
    hamming: list[int] = field(default_factory=list)
    angle_diff: list[float] = field(default_factory=list)


def _arrays(
    points: list[dict[str, Any]],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint32], npt.NDArray[np.float64]]:
    """Positions (N, 2), descriptors (N, 21) and angles (N,) of point records."""
    if not points:
        return np.zeros((0, 2)), np.zeros((0, 21), dtype=np.uint32), np.zeros(0)
    xy = np.array([(p["x"], p["y"]) for p in points], dtype=np.float64)
    descriptors = np.array([p["descriptors"] for p in points], dtype=np.uint32)
    angles = np.array([p["angle"] for p in points], dtype=np.float64)
    return xy, descriptors, angles


def _compare_points(
    ours: list[dict[str, Any]], theirs: list[dict[str, Any]], stats: PointStats
) -> None:
    stats.official += len(theirs)
    stats.ours += len(ours)
    if not ours or not theirs:
        return
    our_xy, our_desc, our_angle = _arrays(ours)
    their_xy, their_desc, their_angle = _arrays(theirs)
    distance = np.hypot(
        their_xy[:, None, 0] - our_xy[None, :, 0], their_xy[:, None, 1] - our_xy[None, :, 1]
    )  # (official, ours)
    nearest = distance.argmin(axis=1)
    close = distance[np.arange(len(theirs)), nearest] <= 1.0
    for i in np.flatnonzero(close):
        j = nearest[i]
        bits = np.unpackbits((our_desc[j] ^ their_desc[i]).view(np.uint8))
        stats.hamming.append(int(bits.sum()))
        diff = (our_angle[j] - their_angle[i] + np.pi) % (2 * np.pi) - np.pi
        stats.angle_diff.append(abs(float(diff)))
        stats.paired += 1
        stats.identical += int(ours[j] == theirs[i])


def _describe(values: list[int]) -> str:
    if not values:
        return "none"
    arr = np.array(values)
    pct = np.percentile(arr, [50, 90, 99, 100])
    return (
        f"=0: {np.mean(arr == 0):.1%}, ≤10: {np.mean(arr <= 10):.1%}, "
        f"≤50: {np.mean(arr <= 50):.1%}; "
        f"median {pct[0]:.0f}, p90 {pct[1]:.0f}, p99 {pct[2]:.0f}, max {pct[3]:.0f}"
    )


def compare(name: str, rgb: npt.NDArray[np.uint8], tmp: Path) -> bool:
    """Print the comparison for one RGB (H, W, 3) image; True if keyframes and tracking agree."""
    path = tmp / f"{name}.png"
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    official_result = compile_official([path], tmp / f"{name}-official.mind")
    ours_result = compile_with_stats([path], max_side=None, compat=True)
    official = decode(official_result.mind)["dataList"][0]
    ours = decode(ours_result.mind)["dataList"][0]
    height, width = rgb.shape[:2]
    print(f"\n== {name} ({width}×{height}) ==")
    print(
        f"compile: official {official_result.ms:.0f} ms, ours {ours_result.ms:.0f} ms "
        f"({official_result.ms / ours_result.ms:.0f}× faster); "
        f"files {len(official_result.mind)} vs {len(ours_result.mind)} bytes, "
        f"byte-identical: {'yes' if official_result.mind == ours_result.mind else 'no'}"
    )

    sizes_official = [(k["width"], k["height"], k["scale"]) for k in official["matchingData"]]
    sizes_ours = [(k["width"], k["height"], k["scale"]) for k in ours["matchingData"]]
    same_sizes = sizes_official == sizes_ours
    print(
        f"keyframes: {len(sizes_ours)} ours, {len(sizes_official)} official, "
        f"sizes and scales equal: {'yes' if same_sizes else 'NO'}"
    )

    stats = PointStats()
    for kf_ours, kf_official in zip(ours["matchingData"], official["matchingData"], strict=False):
        for kind in ("maximaPoints", "minimaPoints"):
            _compare_points(kf_ours[kind], kf_official[kind], stats)
    print(
        f"matching points: official {stats.official}, ours {stats.ours}; "
        f"official points with one of ours within 1 px: "
        f"{stats.paired / max(1, stats.official):.1%}; identical point records: "
        f"{stats.identical / max(1, stats.official):.1%}"
    )
    print(f"  Hamming distance of pairs (of 666 bits): {_describe(stats.hamming)}")
    if stats.angle_diff:
        angles = np.degrees(np.array(stats.angle_diff))
        print(
            f"  angle difference of pairs: median {np.median(angles):.3f}°, "
            f"p99 {np.percentile(angles, 99):.3f}°, max {angles.max():.3f}°"
        )

    tracking_ok = True
    for index, (frame_ours, frame_official) in enumerate(
        zip(ours["trackingData"], official["trackingData"], strict=True)
    ):
        ours_points = {(p["x"], p["y"]) for p in frame_ours["points"]}
        official_points = {(p["x"], p["y"]) for p in frame_official["points"]}
        overlap = len(ours_points & official_points) / max(1, len(official_points))
        same_order = frame_ours["points"] == frame_official["points"]
        same_pixels = frame_ours["data"] == frame_official["data"]
        tracking_ok &= same_order and same_pixels
        print(
            f"tracking[{index}] {frame_official['width']}×{frame_official['height']}: "
            f"official {len(official_points)} points, ours {len(ours_points)}, overlap "
            f"{overlap:.0%}, same order: {'yes' if same_order else 'no'}, "
            f"same pixels: {'yes' if same_pixels else 'no'}"
        )
    return same_sizes and tracking_ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", type=Path, help="image files (default: generated)")
    args = parser.parse_args(argv)
    if args.images:
        cases = {p.stem: decode_rgb(p) for p in args.images}
    else:
        cases = {name: make() for name, make in GENERATED.items()}
    with tempfile.TemporaryDirectory(prefix="compare-official-") as tmp:
        results = [compare(name, rgb, Path(tmp)) for name, rgb in cases.items()]
    agree = sum(results)
    print(f"\nkeyframe sizes and tracking data equal on {agree} of {len(results)} images")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
