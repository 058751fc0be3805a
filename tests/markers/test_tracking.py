"""Tracking points: the same points, in the same order, as MindAR 1.2.5's tracker/extract.js."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.markers.official import official_pyramid
from tests.support import samples
from vertex_ar.markers.image_list import ScaledImage, tracking_images
from vertex_ar.markers.images import load_grey
from vertex_ar.markers.tracker.extract import (
    TEMPLATE_SIZE,
    candidate_mask,
    extract_points,
    gradient_strength,
    tracking_frame,
)

OFFICIAL_CASES = {
    "collage-portrait": samples.collage(300, 420, seed=21),
    "blobs-landscape": samples.noise_blobs(520, 300, seed=22),
    "half-textured": samples.half_textured(320, 320, seed=23),
    "tiled": samples.tiled(400, 300, tile=80, seed=24),
}


@pytest.mark.parametrize("name", list(OFFICIAL_CASES))
def test_points_equal_the_official(name: str, tmp_path: Path) -> None:
    grey = load_grey(OFFICIAL_CASES[name])
    official = official_pyramid(grey, tmp_path)["tracking"]
    ours = tracking_images(grey)
    total = 0
    for image, theirs in zip(ours, official, strict=True):
        points = extract_points(image.data)
        assert points == theirs["points"], f"{image.width}×{image.height}"
        total += len(points)
    if name != "tiled":
        assert total > 20  # the comparison is not vacuous


def test_flat_image_has_no_points() -> None:
    flat = np.full((256, 300), 128, dtype=np.uint8)
    assert extract_points(flat) == []


def test_gradient_strength_of_a_vertical_edge() -> None:
    image = np.zeros((9, 9), dtype=np.uint8)
    image[:, 5:] = 255
    strength = gradient_strength(image)
    assert strength.dtype == np.float32
    assert (strength[0] == -1).all() and (strength[:, -1] == -1).all()
    # At x = 4 and 5 the central difference spans the edge: dx = 3·255/768, dy = 0.
    expected = np.float32(np.sqrt((3 * 255 / 768) ** 2 / 2))
    assert strength[4, 4] == expected and strength[4, 5] == expected
    assert strength[4, 2] == 0


def test_candidates_are_limited_to_about_two_percent() -> None:
    rng = np.random.default_rng(5)
    noise = rng.integers(0, 256, (256, 256), dtype=np.uint8)
    mask = candidate_mask(gradient_strength(noise))
    # The cut keeps the first histogram bin that crosses 2 %, so slightly more may pass.
    assert 0.02 * noise.size <= mask.sum() < 0.03 * noise.size


def test_points_sit_on_texture_and_stay_apart() -> None:
    grey = load_grey(samples.half_textured(256, 400, seed=3))  # texture in rows 0…199 only
    points = extract_points(grey)
    assert len(points) >= 10
    occupancy = min(grey.shape) // 10
    for x, y in points:
        assert TEMPLATE_SIZE <= x < grey.shape[1] - TEMPLATE_SIZE
        assert y < 200 + TEMPLATE_SIZE
    for i, (x1, y1) in enumerate(points):
        for x2, y2 in points[i + 1 :]:
            assert max(abs(x1 - x2), abs(y1 - y2)) > occupancy


def test_tracking_frame_layout() -> None:
    grey = load_grey(samples.collage(256, 300, seed=4))
    frame = tracking_frame(ScaledImage(grey, 1.0))
    assert list(frame) == ["data", "scale", "width", "height", "points"]
    assert frame["data"] == grey.tobytes()
    assert frame["scale"] == 1 and isinstance(frame["scale"], int)  # as JS numbers are packed
    assert (frame["width"], frame["height"]) == (256, 300)
    assert frame["points"] and all(list(p) == ["x", "y"] for p in frame["points"])
