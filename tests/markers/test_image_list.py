"""Keyframe images: sizes and pixels exactly as MindAR 1.2.5's image-list.js and resize()."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.markers.official import official_pyramid
from tests.support import samples
from vertex_ar.markers.image_list import (
    integral_image,
    js_round,
    matching_images,
    matching_scales,
    official_resize,
    resize_from_integral,
    scaled_size,
    tracking_images,
    tracking_scales,
)
from vertex_ar.markers.images import load_grey


def _loop_resize(image: npt.NDArray[np.uint8], ratio: float) -> npt.NDArray[np.uint8]:
    """The official resize rule applied one output pixel at a time (slow, obviously right)."""

    def js(x: float) -> int:
        return math.floor(x + 0.5)

    height, width = image.shape
    out_w, out_h = js(width * ratio), js(height * ratio)
    out = np.zeros((out_h, out_w), dtype=np.uint8)
    for i in range(out_w):
        x1, x2 = js(i / ratio), min(js((i + 1) / ratio) - 1, width - 1)
        for j in range(out_h):
            y1, y2 = js(j / ratio), min(js((j + 1) / ratio) - 1, height - 1)
            box = image[y1 : y2 + 1, x1 : x2 + 1]
            out[j, i] = math.floor(int(box.sum()) / box.size) if box.size else 0
    return out


def test_js_round_sends_halves_up() -> None:
    values = np.array([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999, 0.49999999999999994])
    assert js_round(values).tolist() == [1, 2, 3, 0, -1, 2, 0]


@pytest.mark.parametrize(("width", "height"), [(1400, 2000), (300, 400), (1024, 683), (128, 900)])
def test_matching_scales_follow_the_rule(width: int, height: int) -> None:
    scales = matching_scales(width, height)
    short = min(width, height)
    assert scales[0] == 1.0
    assert scales[-1] == 100 / short
    # Each step is 2^(1/3) from the smallest up, and the step that would reach 0.95 becomes 1.
    ascending = scales[::-1]
    for a, b in itertools.pairwise(ascending[:-1]):
        assert b == a * 2 ** (1 / 3)
    assert ascending[-2] < 0.95 <= ascending[-2] * 2 ** (1 / 3)


def test_official_keyframe_sizes_of_a_poster() -> None:
    # 1400×2000: 100/1400 · 2^(k/3) for k = 0…11, then 1 (k = 12 would give ≥ 0.95).
    sizes = [scaled_size(1400, 2000, s) for s in matching_scales(1400, 2000)]
    expected = [(1400, 2000)] + [
        (math.floor(1400 * r + 0.5), math.floor(2000 * r + 0.5))
        for r in (100 / 1400 * 2 ** (k / 3) for k in range(11, -1, -1))
    ]
    assert sizes == expected
    assert sizes[-1] == (100, 143)
    assert [scaled_size(1400, 2000, s) for s in tracking_scales(1400, 2000)] == [
        (256, 366),
        (128, 183),
    ]


@pytest.mark.parametrize("ratio", [0.9070863, 0.5, 0.37, 0.1234, 1.7, 2.3])
def test_resize_matches_the_rule_pixel_for_pixel(ratio: float) -> None:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 256, (61, 47), dtype=np.uint8)
    assert np.array_equal(official_resize(image, ratio), _loop_resize(image, ratio))


def test_upscaling_leaves_empty_boxes_black_like_the_official() -> None:
    image = np.full((10, 10), 200, dtype=np.uint8)
    out = official_resize(image, 2.6)
    assert out.shape == (26, 26)
    assert (out == 0).any() and (out == 200).any()


def test_integral_survives_32_bit_wraparound_on_12_megapixels() -> None:
    # 4000×3000 of bright noise sums to ~2.7·10^9 > 2^31: the 32-bit table wraps, box sums must not.
    rng = np.random.default_rng(3)
    image = rng.integers(200, 256, (3000, 4000), dtype=np.uint8)
    integral = integral_image(image)
    assert int(image.sum(dtype=np.int64)) > 2**31
    # Ratio 1/4: every box is exactly 4×4, so the reference is a reshape.
    expected = image.reshape(750, 4, 1000, 4).sum(axis=(1, 3), dtype=np.int64) // 16
    assert np.array_equal(resize_from_integral(integral, 0.25), expected.astype(np.uint8))


def test_pyramids_equal_the_official_pixels(tmp_path: Path) -> None:
    grey = load_grey(samples.collage(300, 400, seed=11))
    official = official_pyramid(grey, tmp_path)
    ours_matching = matching_images(grey)
    ours_tracking = tracking_images(grey)
    assert len(ours_matching) == len(official["matching"])
    for ours, theirs in zip(
        ours_matching + ours_tracking, official["matching"] + official["tracking"], strict=True
    ):
        assert (ours.width, ours.height, ours.scale) == (
            theirs["width"],
            theirs["height"],
            theirs["scale"],
        )
        assert ours.data.tobytes() == theirs["data"]
