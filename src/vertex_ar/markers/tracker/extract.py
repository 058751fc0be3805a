"""Tracking points of one tracking image, as MindAR 1.2.5's ``tracker/extract.js`` picks them.

The viewer's tracker correlates 13×13 templates around these points with the camera frame, so a
good point has strong gradients, differs from everything in its 21×21 surroundings, and still
correlates with its immediate neighbours. The official algorithm, step by step:

1. Gradient strength ``d = sqrt((dx² + dy²) / 2)`` (stored as float32) with ``dx``/``dy`` the
   3-row/3-column central differences divided by 768; border pixels get −1.
2. Candidates are strict maxima of ``d`` against their 4 neighbours; a 1000-bin histogram of
   ``d`` keeps only the strongest ~2 % of the image (``d·1000 ≥ k`` for the first bin ``k``,
   from the top, at which the running count exceeds ``0.02·W·H``).
3. For each candidate whose 13×13 template has a standard deviation ≥ 5, the feature score is
   the maximum normalised cross-correlation with templates at offsets up to 10 px away (leaving
   out the disc of radius 2); low means distinctive. Every other pixel scores 1.0 (float32 map).
4. Greedy selection: repeatedly take the lowest score below 0.9 (first in row-major order on
   ties). It is rejected if its template's standard deviation is below 8, or if any of its 12
   neighbours within radius 2 correlates above 0.99 or below ``min(0.2, score)``. An accepted
   point clears a square of ``±floor(min(W, H) / 10)`` px around it; stop at
   ``floor(W/occ)·floor(H/occ) + floor(W/39)·floor(H/39)`` points.

The official early exits (stop scanning once a correlation exceeds 0.95, or once a neighbour test
fails) never change which points are accepted, so we compute every correlation, vectorised, in
the same float64 operations and order, and replay only the cheap greedy step in Python.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from vertex_ar.markers.format import js_number
from vertex_ar.markers.image_list import ScaledImage
from vertex_ar.markers.images import GreyImage

TEMPLATE_SIZE = 6  # templates are (2·6 + 1)² = 13×13
TEMPLATE_WIDTH = 2 * TEMPLATE_SIZE + 1
TEMPLATE_PIXELS = TEMPLATE_WIDTH * TEMPLATE_WIDTH
SEARCH_SIZE1 = 10
SEARCH_SIZE2 = 2
TEMPLATE_SD_THRESH = 5.0
MAX_THRESH = 0.9
MIN_THRESH = 0.2
SD_THRESH = 8.0
NEIGHBOUR_MAX_SIM = 0.99
CANDIDATE_FRACTION = 0.02
HISTOGRAM_BINS = 1000


def _offsets(radius: int, inside: bool) -> list[tuple[int, int]]:
    """(dx, dy) offsets within a (2r + 1)² square: inside the disc of radius 2, or outside it."""
    return [
        (dx, dy)
        for dy in range(-radius, radius + 1)
        for dx in range(-radius, radius + 1)
        if (dx, dy) != (0, 0) and ((dx * dx + dy * dy <= SEARCH_SIZE2**2) == inside)
    ]


RING_OFFSETS = _offsets(SEARCH_SIZE1, inside=False)  # 428 offsets scored in step 3
NEIGHBOUR_OFFSETS = _offsets(SEARCH_SIZE2, inside=True)  # 12 offsets tested in step 4


def gradient_strength(image: GreyImage) -> npt.NDArray[np.float32]:
    """Step 1: (H, W) float32 gradient strength, −1 on the one-pixel border."""
    img = image.astype(np.float64)
    # Column differences summed over 3 rows, and row differences summed over 3 columns.
    horizontal = img[:, 2:] - img[:, :-2]  # (H, W-2)
    vertical = img[2:, :] - img[:-2, :]  # (H-2, W)
    dx = (horizontal[:-2] + horizontal[1:-1] + horizontal[2:]) / (3 * 256)
    dy = (vertical[:, :-2] + vertical[:, 1:-1] + vertical[:, 2:]) / (3 * 256)
    strength = np.full(image.shape, -1.0, dtype=np.float32)
    strength[1:-1, 1:-1] = np.sqrt((dx * dx + dy * dy) / 2)
    return strength


def candidate_mask(strength: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
    """Step 2: (H, W) bool, strict 4-neighbour maxima of ``strength`` among the strongest ~2 %."""
    height, width = strength.shape
    centre = strength[1:-1, 1:-1]
    is_max = (
        (centre > strength[1:-1, :-2])
        & (centre > strength[1:-1, 2:])
        & (centre > strength[:-2, 1:-1])
        & (centre > strength[2:, 1:-1])
    )
    values = centre[is_max].astype(np.float64)
    bins = np.clip(np.floor(values * 1000), 0, HISTOGRAM_BINS - 1).astype(np.int64)
    histogram = np.bincount(bins, minlength=HISTOGRAM_BINS)
    from_top = np.cumsum(histogram[::-1])
    over = np.flatnonzero(from_top > CANDIDATE_FRACTION * width * height)
    cut = HISTOGRAM_BINS - 1 - int(over[0]) if over.size else -1
    mask = np.zeros(strength.shape, dtype=bool)
    mask[1:-1, 1:-1] = is_max & (centre.astype(np.float64) * 1000 >= cut)
    return mask


def _box_sums(image: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """13×13 window sums centred on every pixel of (H, W); only interior values are meaningful."""
    summed = cv2.boxFilter(
        image,
        cv2.CV_64F,
        (TEMPLATE_WIDTH, TEMPLATE_WIDTH),
        normalize=False,
        borderType=cv2.BORDER_CONSTANT,
    )
    return np.asarray(summed, dtype=np.float64)


class _Windows:
    """13×13 window statistics of one (H, W) image, padded by the search radius so that every
    window within 10 px of a pixel has a flat index: ``base(xs, ys) + shift(offsets)``.
    """

    pad = SEARCH_SIZE1

    def __init__(self, image: GreyImage) -> None:
        self.height, self.width = image.shape
        self.pixels = image.astype(np.uint16)  # products of two pixels fit in 16 bits
        wide = image.astype(np.float64)
        self.sums = _box_sums(wide)
        self.padded_width = self.width + 2 * self.pad
        self.sums_flat = np.pad(self.sums, self.pad).ravel()
        self.square_sums_flat = np.pad(_box_sums(wide * wide), self.pad).ravel()
        inside = np.zeros((self.height, self.width), dtype=bool)
        inside[TEMPLATE_SIZE:-TEMPLATE_SIZE, TEMPLATE_SIZE:-TEMPLATE_SIZE] = True
        self.inside_flat = np.pad(inside, self.pad).ravel()

    def base(self, xs: npt.NDArray[np.intp], ys: npt.NDArray[np.intp]) -> npt.NDArray[np.intp]:
        """Padded flat index of pixels (xs, ys), (N,)."""
        index: npt.NDArray[np.intp] = (ys + self.pad) * self.padded_width + xs + self.pad
        return index

    def shift(self, offsets: list[tuple[int, int]]) -> npt.NDArray[np.intp]:
        """Padded flat index step of each (dx, dy) offset, (K,)."""
        d = np.array(offsets, dtype=np.intp)
        step: npt.NDArray[np.intp] = d[:, 1] * self.padded_width + d[:, 0]
        return step

    def cross_sums(
        self, xs: npt.NDArray[np.intp], ys: npt.NDArray[np.intp], offsets: list[tuple[int, int]]
    ) -> npt.NDArray[np.float64]:
        """Σ I(t + w)·I(t + d + w) over the 13×13 window w, for templates t = (xs, ys) (N,) and
        each offset d; (K, N). Meaningful where both windows lie inside the image.

        Products fit uint16 and window sums int32: integer box filtering, exact like the official
        integer arithmetic (and faster than float).
        Pixels outside the overlap keep stale products: they only reach windows we discard.
        """
        height, width = self.height, self.width
        flat = ys * width + xs
        out = np.empty((len(offsets), xs.size), dtype=np.float64)
        product = np.zeros_like(self.pixels)
        for k, (dx, dy) in enumerate(offsets):
            # product(y, x) = I(y, x) · I(y + dy, x + dx) where both exist.
            y0, y1 = max(0, -dy), min(height, height - dy)
            x0, x1 = max(0, -dx), min(width, width - dx)
            np.multiply(
                self.pixels[y0:y1, x0:x1],
                self.pixels[y0 + dy : y1 + dy, x0 + dx : x1 + dx],
                out=product[y0:y1, x0:x1],
            )
            summed = cv2.boxFilter(
                product,
                cv2.CV_32S,
                (TEMPLATE_WIDTH, TEMPLATE_WIDTH),
                normalize=False,
                borderType=cv2.BORDER_CONSTANT,
            )
            out[k] = np.take(summed, flat)
        return out

    def template_vlen(
        self, xs: npt.NDArray[np.intp], ys: npt.NDArray[np.intp]
    ) -> npt.NDArray[np.float64]:
        """Official ``_templateVar`` before its square root: Σ(I − mean)² per template, (N,)."""
        base = self.base(xs, ys)
        total = self.sums_flat[base]
        average = total / TEMPLATE_PIXELS
        vlen = self.square_sums_flat[base] - 2 * average * total
        return vlen + TEMPLATE_PIXELS * average * average

    def similarities(
        self,
        xs: npt.NDArray[np.intp],
        ys: npt.NDArray[np.intp],
        vlen: npt.NDArray[np.float64],
        offsets: list[tuple[int, int]],
    ) -> npt.NDArray[np.float64]:
        """Official ``_getSimilarity`` of the templates at (xs, ys) (N,) with norm ``vlen`` (N,)
        against the window at each offset; (K, N), NaN where the official returns null.
        """
        sxy = self.cross_sums(xs, ys, offsets)
        base = self.base(xs, ys)
        index = self.shift(offsets)[:, None] + base[None, :]  # (K, N)
        sx = self.sums_flat[index]
        sxx = self.square_sums_flat[index]
        template_average = self.sums_flat[base] / TEMPLATE_PIXELS
        covariance = sxy - template_average[None, :] * sx
        vlen2 = sxx - sx * sx / TEMPLATE_PIXELS
        valid = self.inside_flat[index] & (vlen2 != 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            sim: npt.NDArray[np.float64] = 1.0 * covariance / (vlen[None, :] * np.sqrt(vlen2))
        sim[~valid] = np.nan
        return sim


def extract_points(image: GreyImage) -> list[tuple[int, int]]:
    """Tracking points (x, y) of a (H, W) uint8 tracking image, in the official selection order."""
    height, width = image.shape
    windows = _Windows(image)

    ys, xs = np.nonzero(candidate_mask(gradient_strength(image)))  # row-major order
    fits = (
        (xs >= TEMPLATE_SIZE)
        & (xs < width - TEMPLATE_SIZE)
        & (ys >= TEMPLATE_SIZE)
        & (ys < height - TEMPLATE_SIZE)
    )
    xs, ys = xs[fits], ys[fits]
    variance = windows.template_vlen(xs, ys)
    textured = ~(variance / TEMPLATE_PIXELS < TEMPLATE_SD_THRESH * TEMPLATE_SD_THRESH)
    xs, ys, variance = xs[textured], ys[textured], variance[textured]
    vlen = np.sqrt(variance)

    ring = windows.similarities(xs, ys, vlen, RING_OFFSETS)
    any_valid = ~np.all(np.isnan(ring), axis=0)
    best = np.full(xs.size, -1.0)
    # The official running maximum starts at −1, so rounding below −1 never shows.
    best[any_valid] = np.maximum(np.nanmax(ring[:, any_valid], axis=0), -1.0)
    # The official score map is a Float32Array: selection compares the float32 values.
    score = best.astype(np.float32).astype(np.float64)

    eligible = score < MAX_THRESH
    xs, ys, vlen, score = xs[eligible], ys[eligible], vlen[eligible], score[eligible]
    near = windows.similarities(xs, ys, vlen, NEIGHBOUR_OFFSETS)
    with np.errstate(invalid="ignore"):
        too_similar = np.any(near > NEIGHBOUR_MAX_SIM, axis=0)
        too_different = np.any(near < np.minimum(MIN_THRESH, score)[None, :], axis=0)
    flat = vlen / TEMPLATE_WIDTH < SD_THRESH
    accepted = ~(too_similar | too_different | flat)

    occupancy = min(width, height) // 10
    division = TEMPLATE_WIDTH * 3
    max_points = (width // occupancy) * (height // occupancy) + (width // division) * (
        height // division
    )
    # Stable sort keeps row-major order among equal scores, like the official first-minimum scan.
    order = np.argsort(score, kind="stable")
    order = order[accepted[order]]
    cleared = np.zeros((height, width), dtype=bool)
    points: list[tuple[int, int]] = []
    for x, y in zip(xs[order].tolist(), ys[order].tolist(), strict=True):
        if len(points) >= max_points:
            break
        if cleared[y, x]:
            continue
        points.append((x, y))
        cleared[
            max(0, y - occupancy) : y + occupancy + 1, max(0, x - occupancy) : x + occupancy + 1
        ] = True
    return points


def tracking_frame(image: ScaledImage) -> dict[str, Any]:
    """One ``trackingData`` entry in the official key order: pixels, scale, size and points."""
    return {
        "data": image.data.tobytes(),
        "scale": js_number(image.scale),
        "width": image.width,
        "height": image.height,
        "points": [{"x": x, "y": y} for x, y in extract_points(image.data)],
    }
