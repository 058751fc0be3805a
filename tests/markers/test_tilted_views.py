"""Tilted-view keyframes: where they sit in the file and where their points land on the target."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from tests.support import samples
from vertex_ar.markers import compile_targets
from vertex_ar.markers.format import decode
from vertex_ar.markers.image_list import ScaledImage
from vertex_ar.markers.tilted_views import TILTED_SHORT_SIDES, tilted_points


def test_default_file_is_the_official_one_plus_tilted_keyframes() -> None:
    rgb = samples.collage(480, 640, seed=81)
    compat = decode(compile_targets(rgb, compat=True))["dataList"][0]
    default = decode(compile_targets(rgb))["dataList"][0]

    official_count = len(compat["matchingData"])
    assert default["targetImage"] == compat["targetImage"]
    assert default["trackingData"] == compat["trackingData"]
    assert default["matchingData"][:official_count] == compat["matchingData"]
    extra = default["matchingData"][official_count:]
    low, high = TILTED_SHORT_SIDES
    chosen = [
        (k["width"], k["height"], k["scale"])
        for k in compat["matchingData"]
        if low <= min(k["width"], k["height"]) <= high
    ]
    assert chosen, "the sample must have keyframes in the tilted range"
    # One view squeezed along x, then one along y, for each chosen keyframe.
    assert [(k["width"], k["height"], k["scale"]) for k in extra] == chosen + chosen
    for keyframe in extra:
        points = keyframe["maximaPoints"] + keyframe["minimaPoints"]
        assert len(points) > 20
        xs = np.array([p["x"] for p in points])
        ys = np.array([p["y"] for p in points])
        assert xs.min() >= -0.5 and xs.max() <= keyframe["width"] - 0.5
        assert ys.min() >= -0.5 and ys.max() <= keyframe["height"] - 0.5


def _blobs(width: int, height: int, centres: npt.NDArray[np.float64]) -> npt.NDArray[np.uint8]:
    """Dark Gaussian dots (sigma 4 px) on white at (N, 2) sub-pixel centres (x, y)."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    image = np.full((height, width), 235.0)
    for x, y in centres:
        image -= 200 * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * 4.0**2))
    return np.clip(image, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("axis", [1, 0], ids=["squeezed-x", "squeezed-y"])
def test_points_of_a_tilted_view_land_where_they_are_on_the_keyframe(axis: int) -> None:
    """Dots detected on the squeezed view are written at the dots' keyframe positions."""
    rng = np.random.default_rng(82)
    grid = np.stack(np.meshgrid(np.arange(6), np.arange(5)), axis=-1).reshape(-1, 2)
    centres = 40 + grid * np.array([58.0, 62.0]) + rng.uniform(-6, 6, grid.shape)
    image = ScaledImage(_blobs(400, 330, centres), 0.5)

    points = tilted_points(image, axis)

    dots = points.subset(points.octave <= 2)  # the dots' own scale; coarser octaves merge them
    assert len(dots) >= 0.8 * len(centres)
    xy = np.stack([dots.x, dots.y], axis=1)
    distance = np.linalg.norm(xy[:, None, :] - centres[None, :, :], axis=2).min(axis=1)
    # Tight enough to catch a half-pixel slip in the pixel-centre convention (median ~0.45 px).
    assert np.median(distance) < 0.3
    assert distance.max() < 1.0
