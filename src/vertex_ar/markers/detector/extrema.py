"""DoG extrema: detection, pruning into image buckets and sub-pixel localisation (MindAR 1.2.5).

Facts from ``detector/detector.js`` and the CPU kernels ``buildExtremas``, ``extremaReduction``,
``computeLocalization``:
  * extrema are searched in octaves 1 … n-2; octave k compares ``dog[k]`` with the 2×2 downsample
    of ``dog[k-1]`` and the ×2 bilinear upsample of ``dog[k+1]`` (both at ``dog[k]``'s size);
  * a pixel is kept when ``value² >= 9``, it lies at least 7 px (the FREAK radius) inside the
    image, it is >= (maximum) or <= (minimum) all 27 neighbours including itself, the Hessian
    determinant has ``|det| >= 1e-4`` and the edge score ``|trace² / det| < 6.25``;
  * each 2×2 block of an extrema map keeps one extremum, preferring (y+1, x), (y, x+1),
    (y+1, x+1), then (y, x), and encodes it as float32 ``± location·1000 + value``; the score that
    ranks it is that float32 modulo 1000 (so it carries float32 rounding);
  * the image is split into 10×10 buckets per octave scaled to that octave; each bucket keeps its 5
    best absolute scores over all octaves (ties: first seen, octaves in order, blocks row-major);
    the result lists buckets in order, best first within a bucket;
  * localisation moves a point by one Newton step on the 3×3 DoG neighbourhood.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

from vertex_ar.markers.detector.pyramid import Float32Image, downsample, upsample_at

LAPLACIAN_THRESHOLD = 3.0
EDGE_THRESHOLD = 4.0
EDGE_HESSIAN_THRESHOLD = (EDGE_THRESHOLD + 1) ** 2 / EDGE_THRESHOLD
BORDER = 7  # FREAK_EXPANSION_FACTOR: the outer FREAK ring must stay inside the image
NUM_BUCKETS_PER_DIMENSION = 10
MAX_FEATURES_PER_BUCKET = 5
MAX_FEATURES = NUM_BUCKETS_PER_DIMENSION**2 * MAX_FEATURES_PER_BUCKET

_KERNEL_3X3 = np.ones((3, 3), np.uint8)
_OFFSETS = np.array([(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)], dtype=np.int64)  # (9, 2)
# Priority of a position inside its 2×2 block (lower wins) and its "location" code, by (dy, dx).
_BLOCK_PRIORITY = np.array([[3, 1], [0, 2]])
_BLOCK_LOCATION = np.array([[0, 2], [1, 3]])


def _hessian(
    dog: Float32Image, ys: npt.NDArray[np.int64], xs: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.float64], ...]:
    """(dx, dy, dxx, dyy, dxy) of ``dog`` at integer points by central differences, each (K,).

    Computed in float64 from the float32 pixels, like the official JavaScript.
    """
    h, w = dog.shape
    ny = np.clip(ys[:, None] + _OFFSETS[None, :, 0], 0, h - 1)
    nx = np.clip(xs[:, None] + _OFFSETS[None, :, 1], 0, w - 1)
    p = dog[ny, nx].astype(np.float64)  # (K, 9), row-major 3×3 neighbourhood
    top_left, top, top_right, left, centre, right, bottom_left, bottom, bottom_right = p.T
    dx = 0.5 * (right - left)
    dy = 0.5 * (bottom - top)
    dxx = right + left - 2.0 * centre
    dyy = bottom + top - 2.0 * centre
    dxy = 0.25 * (top_left + bottom_right - top_right - bottom_left)
    return dx, dy, dxx, dyy, dxy


def find_extrema(
    dog_below: Float32Image, dog: Float32Image, dog_above: Float32Image
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Extrema of ``dog`` (H, W) against its neighbour octaves.

    ``dog_below`` is the finer octave (~(2H, 2W)), ``dog_above`` the coarser (~(H/2, W/2)).
    Returns (ys, xs, values), each (K,), in row-major order; values are the DoG values (float32).
    The tests are applied cheapest first, each only on the survivors of the previous ones.
    """
    h, w = dog.shape
    below = downsample(dog_below)
    # The 3×3 comparisons within the octave and with the finer one are whole-image operations
    # (max and min are exact, so OpenCV's float32 dilate/erode decide exactly like the official).
    strong = np.abs(dog) >= LAPLACIAN_THRESHOLD
    is_max = (
        strong & (dog >= cv2.dilate(dog, _KERNEL_3X3)) & (dog >= cv2.dilate(below, _KERNEL_3X3))
    )
    is_min = strong & (dog <= cv2.erode(dog, _KERNEL_3X3)) & (dog <= cv2.erode(below, _KERNEL_3X3))
    candidate = is_max | is_min
    candidate[:BORDER] = False
    candidate[h - BORDER :] = False
    candidate[:, :BORDER] = False
    candidate[:, w - BORDER :] = False
    ys, xs = np.nonzero(candidate)
    values, is_max, is_min = dog[ys, xs], is_max[ys, xs], is_min[ys, xs]

    _, _, dxx, dyy, dxy = _hessian(dog, ys, xs)
    det = dxx * dyy - dxy * dxy
    defined = np.abs(det) >= 0.0001
    with np.errstate(divide="ignore", invalid="ignore"):
        edge_score = (dxx + dyy) * (dxx + dyy) / det
    keep = defined & (np.abs(edge_score) < EDGE_HESSIAN_THRESHOLD)
    ys, xs, values, is_max, is_min = ys[keep], xs[keep], values[keep], is_max[keep], is_min[keep]

    ny, nx = ys[:, None] + _OFFSETS[:, 0], xs[:, None] + _OFFSETS[:, 1]  # (K, 9)
    above = upsample_at(dog_above, ny, nx, (h, w))
    keep = (is_max & (values >= above.max(axis=1))) | (is_min & (values <= above.min(axis=1)))
    return ys[keep], xs[keep], values[keep]


def prune(
    extrema: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]],
    shapes: list[tuple[int, int]],
    first_octave: int = 1,
) -> npt.NDArray[np.float64]:
    """Keep the best extrema per bucket.

    ``extrema[i]`` = (ys, xs, values) of octave ``first_octave + i`` whose DoG has shape
    ``shapes[i]`` = (H, W). Returns (N, 4) float64 rows ``[score, octave, y, x]`` with N <=
    ``MAX_FEATURES``, in bucket order, best first inside a bucket; score < 0 marks a minimum.
    """
    rows: list[npt.NDArray[np.float64]] = []
    for i, ((ys, xs, values), (h, w)) in enumerate(zip(extrema, shapes, strict=True)):
        rh, rw = h // 2, w // 2
        inside = (ys < 2 * rh) & (xs < 2 * rw)
        ys, xs, values = ys[inside], xs[inside], values[inside]
        # One extremum per 2×2 block: sort by block (row-major), then by in-block priority.
        block = (ys // 2) * rw + xs // 2
        priority = _BLOCK_PRIORITY[ys % 2, xs % 2]
        order = np.lexsort((priority, block))
        block, ys, xs, values = block[order], ys[order], xs[order], values[order]
        first = np.ones(block.shape, dtype=bool)
        first[1:] = block[1:] != block[:-1]
        ys, xs, values = ys[first], xs[first], values[first]
        location = _BLOCK_LOCATION[ys % 2, xs % 2].astype(np.float64)
        v64 = values.astype(np.float64)
        encoded = (np.where(v64 < 0, -1000.0, 1000.0) * location + v64).astype(np.float32)
        score = np.fmod(encoded.astype(np.float64), 1000.0)  # JavaScript's % keeps the sign
        bucket_w = rw * 2 / NUM_BUCKETS_PER_DIMENSION
        bucket_h = rh * 2 / NUM_BUCKETS_PER_DIMENSION
        bucket = np.floor(ys / bucket_h) * NUM_BUCKETS_PER_DIMENSION + np.floor(xs / bucket_w)
        octave = np.full(ys.shape, first_octave + i, dtype=np.float64)
        rows.append(np.stack([score, octave, ys.astype(float), xs.astype(float), bucket], 1))
    if not rows:
        return np.zeros((0, 4))
    table = np.concatenate(rows)  # insertion order of the official loop
    seen = np.arange(table.shape[0])
    order = np.lexsort((seen, -np.abs(table[:, 0]), table[:, 4]))
    table = table[order]
    bucket = table[:, 4]
    start = np.searchsorted(bucket, bucket, side="left")
    rank = np.arange(table.shape[0]) - start
    return table[rank < MAX_FEATURES_PER_BUCKET, :4]


def localize(pruned: npt.NDArray[np.float64], dogs: list[Float32Image]) -> npt.NDArray[np.float32]:
    """Sub-pixel refinement of (N, 4) ``[score, octave, y, x]`` rows; returns (N, 4) float32.

    One Newton step on the 3×3 DoG neighbourhood; a point whose Hessian is singular stays put.
    """
    result = pruned.copy()
    octaves = pruned[:, 1].astype(np.int64)
    for octave in sorted(set(octaves.tolist())):
        idx = np.nonzero(octaves == octave)[0]
        ys = pruned[idx, 2].astype(np.int64)
        xs = pruned[idx, 3].astype(np.int64)
        dx, dy, dxx, dyy, dxy = _hessian(dogs[octave], ys, xs)
        det = dxx * dyy - dxy * dxy
        ok = np.abs(det) >= 0.0001
        with np.errstate(divide="ignore", invalid="ignore"):
            ux = (dyy * -dx + -dxy * -dy) / det
            uy = (-dxy * -dx + dxx * -dy) / det
        result[idx, 2] = np.where(ok, ys + uy, ys)
        result[idx, 3] = np.where(ok, xs + ux, xs)
    return result.astype(np.float32)
