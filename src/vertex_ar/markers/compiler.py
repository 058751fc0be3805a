"""Compile target images into one MindAR ``.mind`` file.

Per target (as MindAR 1.2.5's ``compiler-base.js``): official greyscale, then the matching pyramid
(DoG/FREAK points and cluster trees per keyframe) and the two tracking keyframes, exported as one
``dataList`` entry. By default the matching pyramid is followed by keyframes from tilted views
(``tilted_views``), which the stock viewer uses like any other; ``compat=True`` writes exactly the
official compiler's bytes. Keyframes are independent, so they run on a small thread pool: the
heavy work is in numpy/OpenCV, which release the GIL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vertex_ar.markers import format as mind_format
from vertex_ar.markers.image_list import ScaledImage, matching_images, tracking_images
from vertex_ar.markers.images import DEFAULT_MAX_SIDE, GreyImage, ImageSource, prepare_target
from vertex_ar.markers.matching.keyframe import matching_keyframe
from vertex_ar.markers.tilted_views import TILT, tilted_keyframe, tilted_scales
from vertex_ar.markers.tracker.extract import tracking_frame

# Two cores is the deployment norm; more threads only add contention for memory bandwidth.
DEFAULT_WORKERS = min(2, os.cpu_count() or 1)


@dataclass(frozen=True)
class CompileResult:
    """A compiled ``.mind`` with what the CLI and the rating need.

    ``targets`` are the dataList entries as written (Python values, ``data`` as bytes).
    """

    mind: bytes
    ms: float
    targets: list[dict[str, Any]] = field(repr=False)

    @property
    def keyframes(self) -> int:
        """Matching keyframes over all targets."""
        return sum(len(t["matchingData"]) for t in self.targets)

    @property
    def points(self) -> int:
        """Matching feature points (maxima and minima) over all keyframes of all targets."""
        return sum(
            len(k["maximaPoints"]) + len(k["minimaPoints"])
            for t in self.targets
            for k in t["matchingData"]
        )

    @property
    def tracking_points(self) -> int:
        """Tracking points over both tracking keyframes of all targets."""
        return sum(len(f["points"]) for t in self.targets for f in t["trackingData"])

    def summary(self) -> dict[str, int | float]:
        """The CLI's JSON line: ``{ms, bytes, targets, keyframes, points}``."""
        return {
            "ms": round(self.ms, 1),
            "bytes": len(self.mind),
            "targets": len(self.targets),
            "keyframes": self.keyframes,
            "points": self.points,
        }


def _as_list(images: ImageSource | Sequence[ImageSource]) -> list[ImageSource]:
    if isinstance(images, str | bytes | os.PathLike | np.ndarray):
        return [images]
    return list(images)


# Per-pixel cost of a tracking frame relative to a matching keyframe, for scheduling only:
# tracking correlates hundreds of offsets per pixel.
_TRACKING_COST = 10.0
# The detector holds ~30 bytes per pixel of float pyramids while it runs (~400 MB peak for a 12 MP
# keyframe); keyframes this large run one after another so two never overlap.
LARGE_KEYFRAME_PIXELS = 4_000_000


@dataclass(frozen=True)
class _Job:
    cost: float
    pixels: int
    run: Callable[[], dict[str, Any]]


def _run_jobs(jobs: list[_Job], workers: int) -> list[dict[str, Any]]:
    """Run every job on ``workers`` threads, costliest first; results in job order."""
    results: list[dict[str, Any]] = [{} for _ in jobs]

    def run(indexes: list[int]) -> None:
        for j in indexes:
            results[j] = jobs[j].run()

    order = sorted(range(len(jobs)), key=lambda j: -jobs[j].cost)
    large = [j for j in order if jobs[j].pixels >= LARGE_KEYFRAME_PIXELS]
    small = [j for j in order if jobs[j].pixels < LARGE_KEYFRAME_PIXELS]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        # Large keyframes form one sequential task; the other threads take the small ones.
        futures = [pool.submit(run, large)] if large else []
        futures += [pool.submit(run, [j]) for j in small]
        for future in futures:
            future.result()
    return results


def compile_grey_targets(
    targets: Sequence[GreyImage], workers: int = DEFAULT_WORKERS, compat: bool = False
) -> list[dict[str, Any]]:
    """dataList entries for greyscale targets, each (H, W) uint8 at its final size.

    ``compat``: only the official keyframes (the official compiler's bytes).
    """
    jobs: list[_Job] = []
    layout: list[tuple[int, int]] = []  # (matching keyframes, tracking frames) per target
    for grey in targets:
        matching = matching_images(grey)
        tilted = [] if compat else tilted_scales(matching)
        tracking = tracking_images(grey)
        layout.append((len(matching) + 2 * len(tilted), len(tracking)))
        jobs.extend(_Job(float(m.data.size), m.data.size, _matching_job(m)) for m in matching)
        jobs.extend(
            _Job(m.data.size / TILT, m.data.size, _tilted_job(m, axis))
            for axis in (1, 0)
            for m in tilted
        )
        jobs.extend(
            _Job(_TRACKING_COST * t.data.size, t.data.size, _tracking_job(t)) for t in tracking
        )
    results = _run_jobs(jobs, workers)
    entries = []
    start = 0
    for grey, (n_matching, n_tracking) in zip(targets, layout, strict=True):
        entries.append(
            {
                "targetImage": {"width": int(grey.shape[1]), "height": int(grey.shape[0])},
                "trackingData": results[start + n_matching : start + n_matching + n_tracking],
                "matchingData": results[start : start + n_matching],
            }
        )
        start += n_matching + n_tracking
    return entries


def _matching_job(image: ScaledImage) -> Callable[[], dict[str, Any]]:
    return lambda: matching_keyframe(image.data, image.scale)


def _tilted_job(image: ScaledImage, axis: int) -> Callable[[], dict[str, Any]]:
    return lambda: tilted_keyframe(image, axis)


def _tracking_job(image: ScaledImage) -> Callable[[], dict[str, Any]]:
    return lambda: tracking_frame(image)


def compile_with_stats(
    images: ImageSource | Sequence[ImageSource],
    max_side: int | None = DEFAULT_MAX_SIDE,
    workers: int = DEFAULT_WORKERS,
    compat: bool = False,
) -> CompileResult:
    """Compile one or several targets (paths, encoded bytes or RGB/grey arrays) into one file.

    ``compat``: write the official compiler's bytes (no tilted-view keyframes).
    """
    started = time.perf_counter()
    sources = _as_list(images)
    if not sources:
        raise ValueError("no images to compile")
    greys = [prepare_target(source, max_side) for source in sources]
    targets = compile_grey_targets(greys, workers, compat)
    mind = mind_format.encode(targets)
    return CompileResult(mind=mind, ms=(time.perf_counter() - started) * 1000, targets=targets)


def compile_targets(
    images: ImageSource | Sequence[ImageSource],
    max_side: int | None = DEFAULT_MAX_SIDE,
    workers: int = DEFAULT_WORKERS,
    compat: bool = False,
) -> bytes:
    """The ``.mind`` bytes for one or several targets; see ``compile_with_stats``."""
    return compile_with_stats(images, max_side, workers, compat).mind
