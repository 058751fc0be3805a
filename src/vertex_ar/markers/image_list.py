"""The keyframe images MindAR builds from a target, with the official sizes and pixels.

Facts from MindAR 1.2.5 (``image-list.js``, ``utils/images.js``):
  * matching scales start at ``100 / short_side`` and grow by ``2^(1/3)`` until a step reaches
    0.95, which is replaced by 1; the list is used largest first;
  * tracking scales are ``256 / short_side`` and ``128 / short_side``;
  * every scale is resized from the full image: the output is ``round(W·r) × round(H·r)`` and
    pixel ``(i, j)`` is ``floor(mean)`` of the source box columns
    ``round(i/r) … round((i+1)/r) − 1`` (clipped to the image) and the same for rows, where
    ``round`` is JavaScript's (halves go up).
    An empty box (only when upscaling) gives 0.
Box bounds use float64 like JavaScript and box sums are exact integers, so sizes and pixels are
identical.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from vertex_ar.markers.images import GreyImage

MIN_MATCHING_SIDE = 100.0
SCALE_STEP = 2.0 ** (1.0 / 3.0)
TRACKING_SIDES = (256.0, 128.0)


@dataclass(frozen=True)
class ScaledImage:
    """One keyframe image: ``data`` (height, width) uint8 and its scale relative to the target."""

    data: GreyImage
    scale: float

    @property
    def width(self) -> int:
        return int(self.data.shape[1])

    @property
    def height(self) -> int:
        return int(self.data.shape[0])


def js_round(values: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """JavaScript ``Math.round`` elementwise: nearest integer, halves towards +∞."""
    floor = np.floor(values)
    # values - floor is exact in float64, so the comparison sees the true fraction.
    return (floor + (values - floor >= 0.5)).astype(np.int64)


def matching_scales(width: int, height: int) -> list[float]:
    """Scales of the matching keyframes, largest (1.0) first."""
    scale = MIN_MATCHING_SIDE / min(width, height)
    scales = []
    while True:
        scales.append(scale)
        scale *= SCALE_STEP
        if scale >= 0.95:
            break
    scales.append(1.0)
    return scales[::-1]


def tracking_scales(width: int, height: int) -> list[float]:
    """Scales of the two tracking keyframes (256 and 128 px on the short side)."""
    return [side / min(width, height) for side in TRACKING_SIDES]


def scaled_size(width: int, height: int, ratio: float) -> tuple[int, int]:
    """(width, height) of the official resize by ``ratio``."""
    size = js_round(np.array([width * ratio, height * ratio], dtype=np.float64))
    return int(size[0]), int(size[1])


def _box_edges(length: int, out_length: int, ratio: float) -> npt.NDArray[np.intp]:
    """Source box edges along one axis, (out_length + 1,): box i is ``[e[i], e[i + 1])``.

    The official box is ``round(i/r) … min(round((i+1)/r) − 1, length − 1)``; clipping the edges to
    ``length`` gives the same boxes, empty ones included, as adjacent half-open ranges.
    """
    index = np.arange(out_length + 1, dtype=np.float64)
    return np.minimum(js_round(index / ratio), length).astype(np.intp)


def integral_image(image: GreyImage) -> npt.NDArray[np.uint32]:
    """Summed-area table of (H, W) uint8 as (H + 1, W + 1) uint32, first row and column zero.

    OpenCV accumulates in 32-bit integers, which wrap on images summing past 2^32 (about 16 MP
    of white); the difference of four corners is still the exact box sum whenever the box itself
    sums below 2^32, which every resize box does. A test checks the wrap on a 12 MP image.
    """
    table = np.asarray(cv2.integral(image, sdepth=cv2.CV_32S), dtype=np.int32)
    return table.view(np.uint32)


def resize_from_integral(integral: npt.NDArray[np.uint32], ratio: float) -> GreyImage:
    """Official resize of the image whose ``integral_image`` is (H + 1, W + 1); (H', W') uint8."""
    height, width = integral.shape[0] - 1, integral.shape[1] - 1
    out_width, out_height = scaled_size(width, height, ratio)
    x_edges = _box_edges(width, out_width, ratio)
    y_edges = _box_edges(height, out_height, ratio)
    # Whole rows first (a cheap gather), then the columns of the much smaller result.
    rows = np.diff(integral[y_edges], axis=0)  # (H', W + 1)
    sums = np.diff(np.take(rows, x_edges, axis=1), axis=1)  # (H', W')
    counts = np.multiply.outer(np.diff(y_edges), np.diff(x_edges)).astype(np.uint32)
    # An empty box (upscaling only) is NaN in JavaScript, which a Uint8Array stores as 0.
    out = sums // np.maximum(counts, 1)
    return out.astype(np.uint8)


def official_resize(image: GreyImage, ratio: float) -> GreyImage:
    """Resize (H, W) uint8 by ``ratio`` like MindAR's ``resize``; (round(H·r), round(W·r))."""
    if ratio == 1.0:
        return image.copy()
    return resize_from_integral(integral_image(image), ratio)


def _scaled_images(image: GreyImage, scales: list[float]) -> list[ScaledImage]:
    integral = integral_image(image)
    return [
        ScaledImage(image.copy() if s == 1.0 else resize_from_integral(integral, s), s)
        for s in scales
    ]


def matching_images(image: GreyImage) -> list[ScaledImage]:
    """The matching pyramid of a target (H, W): keyframe images largest first."""
    height, width = image.shape
    return _scaled_images(image, matching_scales(width, height))


def tracking_images(image: GreyImage) -> list[ScaledImage]:
    """The two tracking keyframe images of a target (H, W): 256 then 128 px short side."""
    height, width = image.shape
    return _scaled_images(image, tracking_scales(width, height))
