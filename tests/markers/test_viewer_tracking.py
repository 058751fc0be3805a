"""Our `.mind` files in the real MindAR 1.2.5 viewer (headless Chromium, fake camera).

A generated collage no compiler was tuned on is compiled by our compiler (default mode, with the
tilted-view keyframes) and shown to the viewer at several poses: it must be found, and the target
corners projected from MindAR's pose must land within a few pixels of where the fake camera drew
them. The 60° tilt is one the head-on keyframes alone usually miss.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from tests.support.collage import random_collage
from tests.support.fake_camera import Image, Pose, write_feed
from tests.support.mindar_browser import MindARHarness
from vertex_ar.markers import compile_targets

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

# Settled corners, 5 runs per pose on this collage: the official compiler's bytes (--compat) land
# at 0.7–2.2 px, ours at 1.0–2.9 px (3.1 px once in CI, at the 30° yaw pose, where MindAR's tracker
# settles in one of two places ~0.6 px apart). 4 px is about 1 % of the target's diagonal there.
MAX_CORNER_ERROR_PX = 4.0
SEED = 20241127  # not a fixture image: a fresh collage, different from any tuning image

POSES = [
    Pose(scale=0.85),
    Pose(scale=0.45, offset=(-80.0, 30.0)),
    Pose(scale=0.7, rotation_deg=35.0),
    Pose(scale=0.7, tilt_x_deg=35.0),
    Pose(scale=0.65, rotation_deg=-15.0, tilt_y_deg=-30.0, offset=(40.0, 10.0)),
    Pose(scale=0.75, tilt_x_deg=60.0),
]


@pytest.fixture(scope="module")
def harness() -> Iterator[MindARHarness]:
    with MindARHarness(timeout_s=60.0) as running:
        yield running


@pytest.fixture(scope="module")
def collage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Image, bytes]:
    """The target, RGB (1100, 800, 3), and our .mind compiled from it saved as a PNG file."""
    path = tmp_path_factory.mktemp("target") / "collage.png"
    rgb = random_collage(800, 1100, SEED)
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return rgb, compile_targets([path])


@pytest.mark.parametrize("pose", POSES, ids=[p.label() for p in POSES])
def test_our_mind_is_found_at_the_right_place(
    harness: MindARHarness, collage: tuple[Image, bytes], pose: Pose, tmp_path: Path
) -> None:
    rgb, mind = collage
    feed = tmp_path / "feed.y4m"
    truth = write_feed(feed, rgb, pose, seed=SEED)

    result = harness.track(mind, feed, truth)

    assert result.error is None, result.error + "\n" + "\n".join(result.console[-20:])
    assert result.found, "targetFound never fired\n" + "\n".join(result.console[-20:])
    assert result.corner_error_px is not None
    assert result.corner_error_px < MAX_CORNER_ERROR_PX, (
        f"corners {result.corners.tolist() if result.corners is not None else None}"
        f" vs true {truth.tolist()}"
    )


def test_a_different_target_is_not_found(
    harness: MindARHarness, collage: tuple[Image, bytes], tmp_path: Path
) -> None:
    """The control: the harness reports 'not found' when the feed shows another print."""
    _, mind = collage
    other = random_collage(800, 1100, SEED + 1)
    feed = tmp_path / "other.y4m"
    write_feed(feed, other, Pose(scale=0.85), seed=SEED)

    result = harness.track(mind, feed, timeout_s=25.0)

    assert result.error is None, result.error
    assert not result.found
