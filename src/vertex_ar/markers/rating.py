"""Trackability rating of a compiled target: 0–100, 0–5 stars and reasons a designer can act on.

Computed from what the viewer will actually use, i.e. the compiled features themselves:

* **features**: distinct matching points (see distinctiveness) on the keyframes a phone sees
  the print at (short side about 180–520 px, a print filling part of a 640×480 frame); the
  detector keeps at most 500 per keyframe (5 in each cell of a 10×10 grid), a well textured
  print comes near that;
* **coverage**: how evenly those distinct points spread over the print (4×4 grid, and halves),
  since a print seen partly or at an angle needs features everywhere;
* **distinctiveness**: the share of points whose FREAK descriptor has a near twin elsewhere on
  the print (Hamming distance below ``TWIN_BITS`` of 666 bits). MindAR's matcher drops a match
  whose best and second-best keypoints are this close (ratio test 0.7), so twins are lost and
  neither count as features nor as coverage; repeated patterns produce them in bulk;
* **tracking**: points on the 128 px tracking keyframe (the one the viewer's tracker follows),
  relative to the most the official selection can place;
* **contrast**: the 5–95 % grey range of the 256 px tracking image.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from vertex_ar.markers.compiler import compile_with_stats
from vertex_ar.markers.images import DEFAULT_MAX_SIDE, ImageSource
from vertex_ar.markers.tracker.extract import TEMPLATE_WIDTH

REFERENCE_SIDES = (180, 520)  # keyframe short sides used for features, coverage and twins
FULL_FEATURES = 250  # points per reference keyframe that count as fully textured
GRID = 4
# Of 666 bits. Repeated structures give near-identical descriptors (median ~5 bits), distinct
# ones are rarely closer than ~50. A twin within 40 bits makes the ratio test (0.7) fail for any
# match worse than ~95 bits, i.e. for most real camera matches.
TWIN_BITS = 40
TWIN_MIN_DISTANCE = 4.0  # px: closer points are the same structure, not a repetition
REPETITIVE_SHARE = 0.3  # share of points with a twin that makes a pattern "repetitive"
FULL_TRACKING_SHARE = 0.3  # tracking points / capacity that counts as fully trackable
FEW_TRACKING_SHARE = 0.15  # below this, warn about jitter
LOW_CONTRAST = 0.25  # 5–95 % grey range below this (of 255) is too flat
WEAK_HALF_SHARE = 0.2  # a half holding less than this share of the points is weak

_WEIGHTS = {"features": 0.4, "coverage": 0.35, "tracking": 0.25}
# Without distinct features nothing matches, however many there are: distinctiveness scales the
# weighted sum down to this floor.
DISTINCT_FLOOR = 0.4

_HALVES = {
    "upper half": (slice(0, GRID // 2), slice(0, GRID)),
    "lower half": (slice(GRID // 2, GRID), slice(0, GRID)),
    "left half": (slice(0, GRID), slice(0, GRID // 2)),
    "right half": (slice(0, GRID), slice(GRID // 2, GRID)),
}
_CELL_NAMES = {
    (0, 0): "upper-left corner",
    (0, GRID - 1): "upper-right corner",
    (GRID - 1, 0): "lower-left corner",
    (GRID - 1, GRID - 1): "lower-right corner",
}


def _reference_keyframes(matching: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    low, high = REFERENCE_SIDES
    # The head-on keyframe of each scale: tilted-view keyframes repeat an earlier one's scale.
    head_on: list[Mapping[str, Any]] = []
    for keyframe in matching:
        if all(keyframe["scale"] != k["scale"] for k in head_on):
            head_on.append(keyframe)
    chosen = [k for k in head_on if low <= min(k["width"], k["height"]) <= high]
    if chosen:
        return chosen
    middle = (low + high) / 2
    return [min(head_on, key=lambda k: abs(min(k["width"], k["height"]) - middle))]


def _hamming(descriptors: npt.NDArray[np.uint32]) -> npt.NDArray[np.float32]:
    """Pairwise Hamming distances of (N, 21) uint32 descriptors, (N, N)."""
    bits = np.unpackbits(descriptors.view(np.uint8), axis=1).astype(np.float32)  # (N, 672)
    ones = bits.sum(axis=1)
    distance: npt.NDArray[np.float32] = ones[:, None] + ones[None, :] - 2 * (bits @ bits.T)
    return distance


def _unique_points(keyframe: Mapping[str, Any]) -> tuple[npt.NDArray[np.float64], int]:
    """Positions normalised to [0, 1) (U, 2) of a keyframe's points without a descriptor twin,
    and the number of points N before removing twins.

    Maxima are only ever matched against maxima and minima against minima, so twins are looked
    for within each kind.
    """
    unique = []
    total = 0
    size = np.array([keyframe["width"], keyframe["height"]], dtype=np.float64)
    for kind in ("maximaPoints", "minimaPoints"):
        points = keyframe[kind]
        total += len(points)
        if not points:
            continue
        xy = np.array([(p["x"], p["y"]) for p in points], dtype=np.float64)  # (n, 2)
        descriptors = np.array([p["descriptors"] for p in points], dtype=np.uint32)  # (n, 21)
        distance = _hamming(descriptors)
        apart = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
        distance[apart < TWIN_MIN_DISTANCE] = np.inf  # itself and the same structure
        unique.append(xy[distance.min(axis=1) >= TWIN_BITS] / size)
    if not unique:
        return np.zeros((0, 2)), total
    return np.clip(np.concatenate(unique), 0.0, 0.999999), total


def _tracking_capacity(frame: Mapping[str, Any]) -> int:
    """Most points the official selection can place on a tracking frame."""
    width, height = frame["width"], frame["height"]
    occupancy = max(1, min(width, height) // 10)
    division = TEMPLATE_WIDTH * 3
    return int(
        (width // occupancy) * (height // occupancy) + (width // division) * (height // division)
    )


def _ramp(value: float, zero: float, full: float) -> float:
    """0 at ``zero``, 1 at ``full``, linear in between and clamped."""
    return float(np.clip((value - zero) / (full - zero), 0.0, 1.0))


def rate_compiled(target: Mapping[str, Any]) -> dict[str, Any]:
    """Rate one compiled target (a ``dataList`` entry, as written or decoded).

    Returns ``{"score": 0–100, "stars": 0–5, "reasons": [str], "codes": [str], "metrics": {…}}``
    (JSON-serialisable); ``codes`` name the reasons for translation, in the same order.
    """
    tracking = target["trackingData"]
    grey = np.frombuffer(tracking[0]["data"], dtype=np.uint8)
    low, high = np.percentile(grey, [5, 95])
    contrast = float(high - low) / 255.0

    references = _reference_keyframes(target["matchingData"])
    unique_counts = []
    twin_shares = []
    grid = np.zeros((GRID, GRID), dtype=np.float64)
    for keyframe in references:
        xy, total_points = _unique_points(keyframe)
        cells = (xy * GRID).astype(np.int64)
        np.add.at(grid, (cells[:, 1], cells[:, 0]), 1.0)
        unique_counts.append(len(xy))
        twin_shares.append(1.0 - len(xy) / total_points if total_points else 0.0)
    features = float(np.median(unique_counts))
    twin_share = float(np.mean(twin_shares))
    total = float(grid.sum())
    expected = total / grid.size
    covered = float(np.mean(grid >= max(2.0, 0.3 * expected))) if total else 0.0

    tracking_points = len(tracking[1]["points"])
    tracking_share = tracking_points / max(1, _tracking_capacity(tracking[1]))

    parts = {
        "features": _ramp(features, 0, FULL_FEATURES),
        "coverage": covered,
        "distinctiveness": 1.0 - _ramp(twin_share, 0.1, 0.6) if features >= 8 else 0.0,
        "tracking": _ramp(tracking_share, 0.0, FULL_TRACKING_SHARE),
    }
    score = 100.0 * sum(_WEIGHTS[k] * parts[k] for k in _WEIGHTS)
    score *= DISTINCT_FLOOR + (1.0 - DISTINCT_FLOOR) * parts["distinctiveness"]
    if contrast < LOW_CONTRAST:
        # Faint prints lose features under real lighting and camera noise.
        score *= _ramp(contrast, 0.0, LOW_CONTRAST)

    reasons: list[tuple[str, str]] = []
    if contrast < LOW_CONTRAST:
        reasons.append(("low_contrast", "too little contrast: use darker darks and lighter lights"))
    if features < 0.3 * FULL_FEATURES:
        reasons.append(
            ("few_features", "too little texture: add detail such as text, edges or patterns")
        )
    weak_halves = []
    if total >= 8:
        for name, (rows, cols) in _HALVES.items():
            if grid[rows, cols].sum() / total < WEAK_HALF_SHARE:
                weak_halves.append(name)
                code = "weak_" + name.replace(" ", "_")
                reasons.append((code, f"low texture in the {name}: add detail there or crop it"))
        if not weak_halves:
            for cell, name in _CELL_NAMES.items():
                if grid[cell] < max(1.0, 0.15 * expected):
                    reasons.append(
                        (
                            "weak_" + name.replace(" ", "_").replace("-", "_"),
                            f"low texture in the {name}",
                        )
                    )
    if twin_share >= REPETITIVE_SHARE:
        reasons.append(
            (
                "repetitive",
                "repetitive pattern: many features look alike, break the repetition",
            )
        )
    if tracking_share < FEW_TRACKING_SHARE:
        reasons.append(
            ("few_tracking_points", "few trackable spots: the image may jitter once found")
        )

    score = round(float(np.clip(score, 0.0, 100.0)), 1)
    return {
        "score": score,
        "stars": round(score / 20),
        "reasons": [message for _, message in reasons],
        "codes": [code for code, _ in reasons],
        "metrics": {
            "contrast": round(contrast, 3),
            "features": round(features, 1),
            "coverage": round(covered, 3),
            "twin_share": round(twin_share, 3),
            "tracking_points": tracking_points,
            "tracking_share": round(tracking_share, 3),
            "grid": grid.astype(int).tolist(),
            "parts": {k: round(v, 3) for k, v in parts.items()},
        },
    }


def rate_target(source: ImageSource, max_side: int | None = DEFAULT_MAX_SIDE) -> dict[str, Any]:
    """Compile one image and rate it; see ``rate_compiled``."""
    result = compile_with_stats(source, max_side=max_side)
    return rate_compiled(result.targets[0])
