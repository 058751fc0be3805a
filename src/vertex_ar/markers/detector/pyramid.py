"""Gaussian and difference-of-Gaussian (DoG) pyramids exactly as MindAR 1.2.5's detector makes them.

Facts from ``detector/detector.js`` and its CPU kernels:
  * octaves: halve (as real numbers) width and height while both are >= 8, at most 5 times;
  * the blur is the separable binomial ``[1, 4, 6, 4, 1]`` applied along rows, then along columns
    and divided by 256, with edge pixels repeated outside the image;
  * octave 0 is ``g0 = blur(image)``, ``g1 = blur(g0)``; octave ``k`` starts from a 2×2 box
    downsample of octave ``k-1``'s ``g1`` (sizes floored) and blurs it once; ``dog = g0 - g1``.

tfjs stores every intermediate image as float32 but each kernel computes one output pixel in
float64 (JavaScript numbers) before storing it. We reproduce that rounding: every pass is computed
in float64 and rounded to float32 once, so our pyramid is bit-identical to the official one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import cv2
import numpy as np
import numpy.typing as npt

PYRAMID_MIN_SIZE = 8
PYRAMID_MAX_OCTAVE = 5

Float32Image: TypeAlias = npt.NDArray[np.float32]

_BINOMIAL = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
_IDENTITY = np.array([1.0])


def octave_count(width: int, height: int) -> int:
    """Number of pyramid octaves MindAR uses for a ``width`` × ``height`` image."""
    w, h = float(width), float(height)
    count = 0
    while w >= PYRAMID_MIN_SIZE and h >= PYRAMID_MIN_SIZE:
        w /= 2
        h /= 2
        count += 1
        if count == PYRAMID_MAX_OCTAVE:
            break
    return count


def binomial_filter(
    image: Float32Image | npt.NDArray[np.uint8], on_lattice: bool = False
) -> Float32Image:
    """Blur (H, W) float32 or uint8 with MindAR's 5×5 binomial; returns (H, W) float32.

    ``on_lattice`` promises pixels in [0, 256) that are multiples of 1/256 (true for uint8 and for
    one blur of uint8). Then every partial sum of the float32 filter is a multiple of 2^-16 below
    2^16 with at most 24 significant bits, hence exact, and the fast float32 filter gives the
    same bits as the float64 path whatever its summation order.
    """
    if image.dtype == np.uint8 or on_lattice:
        return np.asarray(
            cv2.sepFilter2D(
                image,
                cv2.CV_32F,
                _BINOMIAL.astype(np.float32),
                (_BINOMIAL / 256).astype(np.float32),
                borderType=cv2.BORDER_REPLICATE,
            ),
            dtype=np.float32,
        )
    # Two calls because the official row pass stores float32 before the column pass reads it.
    # In float64 the 5-tap sums of float32 pixels are exact, so OpenCV's summation order is moot.
    rows = cv2.sepFilter2D(
        image, cv2.CV_64F, _BINOMIAL, _IDENTITY, borderType=cv2.BORDER_REPLICATE
    ).astype(np.float32)
    cols = cv2.sepFilter2D(
        rows, cv2.CV_64F, _IDENTITY, _BINOMIAL / 256, borderType=cv2.BORDER_REPLICATE
    )
    return np.asarray(cols, dtype=np.float32)


def downsample(image: Float32Image) -> Float32Image:
    """2×2 box average of (H, W) float32; returns (H // 2, W // 2) float32.

    Summed in float32 in the official order: (y, x), (y+1, x), (y, x+1), (y+1, x+1).
    """
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    # Scaling by 1/4 commutes with float32 rounding, so it is applied once at the end.
    total = image[0:h:2, 0:w:2] + image[1:h:2, 0:w:2]
    total += image[0:h:2, 1:w:2]
    total += image[1:h:2, 1:w:2]
    total *= np.float32(0.25)
    return total


def _upsample_table(
    target_size: int, source_size: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Per target index (target_size,): source indices i0, i1 (clamped) and the weight of i0."""
    source = 0.5 * np.arange(target_size) - 0.25  # never an integer, so ceil = floor + 1
    first = np.floor(source)
    weight0 = first + 1 - source
    i0 = np.clip(first.astype(np.int64), 0, source_size - 1)
    i1 = np.clip(first.astype(np.int64) + 1, 0, source_size - 1)
    return i0, i1, weight0


def upsample_at(
    image: Float32Image,
    ys: npt.NDArray[np.int64],
    xs: npt.NDArray[np.int64],
    target_shape: tuple[int, int],
) -> npt.NDArray[np.float32]:
    """Values of the official ×2 bilinear upsample of (h, w) ``image`` to ``target_shape``.

    ``ys``, ``xs``: integer arrays of one shape (any) indexing the upsampled image; the source of
    target ``j`` is ``j / 2 - 0.25`` with edge clamping. Returns float32 of the same shape.
    Evaluating only where needed is what keeps the extrema search cheap.
    """
    row0, row1, row_w0 = _upsample_table(target_shape[0], image.shape[0])
    col0, col1, col_w0 = _upsample_table(target_shape[1], image.shape[1])
    y0, y1, wy0 = row0[ys], row1[ys], row_w0[ys]
    x0, x1, wx0 = col0[xs], col1[xs], col_w0[xs]
    wy1, wx1 = 1 - wy0, 1 - wx0
    # Same term order as the official kernel, in float64; weights are exact multiples of 1/16.
    total = image[y0, x0] * (wx0 * wy0)
    total += image[y1, x0] * (wx0 * wy1)
    total += image[y0, x1] * (wx1 * wy0)
    total += image[y1, x1] * (wx1 * wy1)
    return total.astype(np.float32)


@dataclass(frozen=True)
class Pyramid:
    """``dogs[k]`` = g0 - g1 of octave k, (H_k, W_k) float32; ``smoothed[k]`` = g1 of octave k,
    the image orientation and FREAK sample, for octaves k >= 1 (octave 0 never has features)."""

    dogs: list[Float32Image]
    smoothed: dict[int, Float32Image]

    @property
    def octaves(self) -> int:
        return len(self.dogs)


def build_pyramid(image: npt.NDArray[np.uint8] | npt.NDArray[np.floating]) -> Pyramid:
    """Gaussian and DoG pyramids of a (H, W) greyscale image (uint8 or float, values 0…255).

    Keeps only what the detector reads later (a whole 12 MP detect peaks at ~12 bytes per pixel).
    """
    # tfjs holds the input as float32; uint8 pixels are exact in the float32 fast path.
    base = image if image.dtype == np.uint8 else np.asarray(image, dtype=np.float32)
    dogs: list[Float32Image] = []
    smoothed: dict[int, Float32Image] = {}
    g1: Float32Image | None = None  # the previous octave's
    for k in range(octave_count(base.shape[1], base.shape[0])):
        g0 = binomial_filter(base) if g1 is None else downsample(g1)
        g1 = binomial_filter(g0, on_lattice=k == 0 and base.dtype == np.uint8)
        dogs.append(np.subtract(g0, g1, out=g0))  # g0 itself is not needed any more
        if k > 0:
            smoothed[k] = g1
    return Pyramid(dogs=dogs, smoothed=smoothed)
