"""compile_targets: every kind of input, several targets, and the same bytes however it runs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.support import samples
from vertex_ar.markers import compile_targets, compile_with_stats
from vertex_ar.markers.format import decode

RGB = samples.collage(280, 360, seed=71)


@pytest.fixture(scope="module")
def reference() -> bytes:
    return compile_targets(RGB, workers=1)


def test_paths_bytes_and_arrays_give_the_same_file(reference: bytes, tmp_path: Path) -> None:
    path = tmp_path / "target.png"
    cv2.imwrite(str(path), cv2.cvtColor(RGB, cv2.COLOR_RGB2BGR))
    assert compile_targets(path) == reference
    assert compile_targets(str(path)) == reference
    assert compile_targets([path.read_bytes()]) == reference
    rgba = np.dstack([RGB, np.full(RGB.shape[:2], 255, dtype=np.uint8)])
    assert compile_targets(rgba) == reference


def test_threads_do_not_change_the_output(reference: bytes) -> None:
    assert compile_targets(RGB, workers=2) == reference
    assert compile_targets(RGB, workers=3) == reference


def test_several_targets_keep_their_order(reference: bytes) -> None:
    other = samples.noise_blobs(300, 240, seed=72)
    both = decode(compile_targets([RGB, other]))
    alone = decode(reference)
    assert [t["targetImage"] for t in both["dataList"]] == [
        {"width": 280, "height": 360},
        {"width": 300, "height": 240},
    ]
    assert both["dataList"][0] == alone["dataList"][0]


def test_result_stats_describe_the_file() -> None:
    result = compile_with_stats([RGB, samples.noise_blobs(300, 240, seed=73)])
    document = decode(result.mind)
    summary = result.summary()
    assert summary["bytes"] == len(result.mind)
    assert summary["targets"] == 2
    assert summary["keyframes"] == sum(len(t["matchingData"]) for t in document["dataList"])
    assert summary["points"] == result.points > 0
    assert result.tracking_points == sum(
        len(f["points"]) for t in document["dataList"] for f in t["trackingData"]
    )


def test_default_downscale_and_its_opt_out() -> None:
    big = samples.collage(1600, 1200, seed=74)
    limited = decode(compile_targets(big))["dataList"][0]["targetImage"]
    assert limited == {"width": 1024, "height": 768}
    full = compile_with_stats(big, max_side=None).targets[0]["targetImage"]
    assert full == {"width": 1600, "height": 1200}


def test_no_images_is_an_error() -> None:
    with pytest.raises(ValueError, match="no images"):
        compile_targets([])
