"""Dominant gradient orientation of each feature point (MindAR 1.2.5).

Facts from ``detector/detector.js`` and the CPU kernels ``computeOrientationHistograms``,
``smoothHistograms``, ``computeExtremaAngles``:
  * the image is the second Gaussian (``g1``) of the point's octave, sampled at the integer part
    of the localised position;
  * the window holds the pixels at distance <= 4.5 (3.0 Gaussian expansion × 1.5 region expansion)
    weighted by a 6th-order Taylor approximation of ``exp(-d² / 18)`` (stored as float32);
  * gradients are central differences; each votes its weighted magnitude into 36 bins, linearly
    split between the two bins around ``bin = (atan2(dy, dx) + π) · 36 / 2π`` (centres at +0.5);
  * the histogram is smoothed 5 times with the circular kernel
    ``[0.274068619061197, 0.451862761877606, 0.274068619061197]`` (float32 after each pass);
  * the angle comes from a parabola through the highest bin (first one on ties) and its two
    neighbours: ``angle = 2π (fbin + 0.5) / 36 - π`` (not wrapped), float32.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from vertex_ar.markers.detector.pyramid import Float32Image

ORIENTATION_NUM_BINS = 36
ORIENTATION_SMOOTHING_ITERATIONS = 5
ORIENTATION_GAUSSIAN_EXPANSION_FACTOR = 3.0
ORIENTATION_REGION_EXPANSION_FACTOR = 1.5
_ONE_OVER_2PI = 0.159154943091895  # the official constant, not 1 / (2π) to full precision
_SMOOTH_SIDE = 0.274068619061197
_SMOOTH_CENTRE = 0.451862761877606


def _radial_window() -> npt.NDArray[np.float64]:
    """(R, 3) rows ``[dy, dx, weight]`` of the sampling window, row-major; weight float32-exact."""
    gw_scale = -1.0 / (2 * ORIENTATION_GAUSSIAN_EXPANSION_FACTOR**2)
    radius = ORIENTATION_GAUSSIAN_EXPANSION_FACTOR * ORIENTATION_REGION_EXPANSION_FACTOR
    reach = math.ceil(radius)
    rows = []
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            distance_sq = dx * dx + dy * dy
            if distance_sq <= radius * radius:
                t = distance_sq * gw_scale
                taylor = 720 + t * (720 + t * (360 + t * (120 + t * (30 + t * (6 + t)))))
                weight = taylor * 0.0013888888
                rows.append((dy, dx, float(np.float32(weight))))
    return np.array(rows, dtype=np.float64)


RADIAL_WINDOW = _radial_window()


def orientation_histograms(
    gaussian: Float32Image, ys: npt.NDArray[np.int64], xs: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Raw orientation histograms (N, 36) float32 of points (N,) ``ys``, ``xs`` in ``gaussian``."""
    h, w = gaussian.shape
    n = ys.shape[0]
    py = ys[:, None] + RADIAL_WINDOW[None, :, 0].astype(np.int64)  # (N, R)
    px = xs[:, None] + RADIAL_WINDOW[None, :, 1].astype(np.int64)

    def at(yy: npt.NDArray[np.int64], xx: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        return gaussian[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)].astype(np.float64)

    dy = at(py + 1, px) - at(py - 1, px)
    dx = at(py, px + 1) - at(py, px - 1)
    angle = np.arctan2(dy, dx) + math.pi
    fbin = (angle * ORIENTATION_NUM_BINS * _ONE_OVER_2PI).astype(np.float32).astype(np.float64)
    magnitude = (RADIAL_WINDOW[None, :, 2] * np.sqrt(dx * dx + dy * dy)).astype(np.float32)

    low = np.floor(fbin - 0.5)
    w_high = fbin - low - 0.5
    w_low = 1.0 - w_high
    b_low = np.mod(low.astype(np.int64), ORIENTATION_NUM_BINS)
    b_high = np.mod(low.astype(np.int64) + 1, ORIENTATION_NUM_BINS)
    # Each vote goes to two different bins. bincount adds in input order in float64, so ordering
    # the votes window-pixel-major reproduces the official per-bin summation order exactly.
    row = np.arange(n)[:, None] * ORIENTATION_NUM_BINS
    bins = np.stack([row + b_low, row + b_high])  # (2, N, R)
    votes = np.stack([w_low, w_high]) * magnitude.astype(np.float64)
    hist = np.bincount(
        bins.transpose(2, 0, 1).ravel(),
        weights=votes.transpose(2, 0, 1).ravel(),
        minlength=n * ORIENTATION_NUM_BINS,
    )
    return hist.reshape(n, ORIENTATION_NUM_BINS).astype(np.float32)


def smooth_histograms(histograms: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Circularly smooth (N, 36) histograms ``ORIENTATION_SMOOTHING_ITERATIONS`` times."""
    hist = histograms
    for _ in range(ORIENTATION_SMOOTHING_ITERATIONS):
        h64 = hist.astype(np.float64)
        prev = np.roll(h64, 1, axis=1)
        nxt = np.roll(h64, -1, axis=1)
        hist = (_SMOOTH_SIDE * prev + _SMOOTH_CENTRE * h64 + _SMOOTH_SIDE * nxt).astype(np.float32)
    return hist


def histogram_angles(histograms: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Angle (N,) float32 in radians of the peak of each smoothed (N, 36) histogram."""
    n = histograms.shape[0]
    peak = np.argmax(histograms, axis=1)  # first maximum, like the official strict '>' scan
    rows = np.arange(n)
    h = histograms.astype(np.float64)
    p11 = h[rows, (peak - 1) % ORIENTATION_NUM_BINS]
    p21 = h[rows, peak]
    p31 = h[rows, (peak + 1) % ORIENTATION_NUM_BINS]
    p10 = peak - 1.0
    p20 = peak.astype(np.float64)
    # The official denominators of the 3-point fit are constants for x = peak-1, peak, peak+1.
    d1, d2, d3 = 2.0, -2.0, -1.0
    a = p10 * p10
    b = p20 * p20
    with np.errstate(divide="ignore", invalid="ignore"):
        big_a = ((p31 - p21) / d1) - ((p11 - p21) / d2)
        big_b = ((p11 - p21) + (big_a * (b - a))) / d3
        fbin = -big_b / (2.0 * big_a)
    fbin = np.where(np.isnan(fbin), 0.0, fbin)  # flat histogram: the official code falls back to 0
    return (2.0 * math.pi * (fbin + 0.5) / ORIENTATION_NUM_BINS - math.pi).astype(np.float32)


def compute_angles(
    gaussian: Float32Image, ys: npt.NDArray[np.int64], xs: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Orientation (N,) float32 of points at integer ``ys``, ``xs`` in one octave's ``gaussian``."""
    return histogram_angles(smooth_histograms(orientation_histograms(gaussian, ys, xs)))
