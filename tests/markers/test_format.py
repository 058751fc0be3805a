"""The .mind file decodes into exactly the structure MindAR 1.2.5's controller reads.

What the viewer reads (compiler-base.js importData, controller.js, tracker/tracker.js,
matching/matching.js): v; dataList[i].targetImage.{width,height}; trackingData[1] (the 128 px
frame) .{data, width, height, scale, points[].{x,y}}; matchingData[k].{maximaPoints,
minimaPoints}[].{maxima, x, y, scale, angle, descriptors}, .{maxima,minima}PointsCluster.rootNode
with {leaf, pointIndexes | children[].centerPointIndex}, .width, .height, .scale.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import msgpack
import numpy as np
import pytest

from tests.markers.official import official_mind
from tests.support import samples
from vertex_ar.markers import compile_targets
from vertex_ar.markers.format import decode, validate
from vertex_ar.markers.image_list import matching_scales, scaled_size
from vertex_ar.markers.tilted_views import TILTED_SHORT_SIDES

TARGETS = [samples.collage(300, 400, seed=41), samples.noise_blobs(360, 270, seed=42)]


@pytest.fixture(scope="module")
def two_targets() -> dict[str, Any]:
    document: dict[str, Any] = msgpack.unpackb(compile_targets(TARGETS), raw=False)
    return document


@pytest.fixture(scope="module")
def one_target() -> dict[str, Any]:
    document: dict[str, Any] = msgpack.unpackb(compile_targets(TARGETS[0]), raw=False)
    return document


def _walk_node(node: dict[str, Any], count: int, root: bool) -> list[int]:
    """Point indexes under a cluster node, checking every node on the way."""
    assert isinstance(node["leaf"], bool)
    if root:
        assert node["centerPointIndex"] is None
    else:
        # JavaScript object keys: the medoid's point index as a decimal string.
        assert isinstance(node["centerPointIndex"], str)
        assert 0 <= int(node["centerPointIndex"]) < count
    if node["leaf"]:
        assert list(node) == ["centerPointIndex", "leaf", "pointIndexes"]
        assert all(isinstance(i, int) for i in node["pointIndexes"])
        return list(node["pointIndexes"])
    assert list(node) == ["centerPointIndex", "leaf", "children"]
    assert node["children"]
    return [i for child in node["children"] for i in _walk_node(child, count, root=False)]


def _check_target(target: dict[str, Any], rgb: np.ndarray) -> None:
    height, width = rgb.shape[:2]
    assert list(target) == ["targetImage", "trackingData", "matchingData"]
    assert target["targetImage"] == {"width": width, "height": height}

    tracking = target["trackingData"]
    assert len(tracking) == 2
    for frame, side in zip(tracking, (256, 128), strict=True):
        assert list(frame) == ["data", "scale", "width", "height", "points"]
        assert isinstance(frame["data"], bytes)
        assert len(frame["data"]) == frame["width"] * frame["height"]
        assert min(frame["width"], frame["height"]) == side
        assert frame["scale"] == side / min(width, height)
        for point in frame["points"]:
            assert list(point) == ["x", "y"]
            assert isinstance(point["x"], int) and 0 <= point["x"] < frame["width"]
            assert isinstance(point["y"], int) and 0 <= point["y"] < frame["height"]
    assert tracking[1]["points"], "the viewer tracks on trackingData[1]; it needs points"

    matching = target["matchingData"]
    # The official keyframes, then the tilted views (squeezed along x, then y) of those whose
    # short side is in the tilted range, at the same sizes.
    official = matching_scales(width, height)
    low, high = TILTED_SHORT_SIDES
    tilted = [s for s in official if low <= min(scaled_size(width, height, s)) <= high]
    assert tilted
    scales = official + tilted + tilted
    assert [k["scale"] for k in matching] == scales
    for keyframe, scale in zip(matching, scales, strict=True):
        assert list(keyframe) == [
            "maximaPoints",
            "minimaPoints",
            "maximaPointsCluster",
            "minimaPointsCluster",
            "width",
            "height",
            "scale",
        ]
        assert (keyframe["width"], keyframe["height"]) == scaled_size(width, height, scale)
        for kind, maxima in (("maxima", True), ("minima", False)):
            points = keyframe[f"{kind}Points"]
            for point in points:
                assert list(point) == ["maxima", "x", "y", "scale", "angle", "descriptors"]
                assert point["maxima"] is maxima
                for key in ("x", "y", "scale", "angle"):
                    assert isinstance(point[key], int | float)
                assert -1 <= point["x"] <= keyframe["width"]
                assert -1 <= point["y"] <= keyframe["height"]
                assert len(point["descriptors"]) == 21
                assert all(isinstance(d, int) and 0 <= d < 2**32 for d in point["descriptors"])
            cluster = keyframe[f"{kind}PointsCluster"]
            assert list(cluster) == ["rootNode"]
            indexes = _walk_node(cluster["rootNode"], len(points), root=True)
            assert sorted(indexes) == list(range(len(points)))
    assert sum(len(k["maximaPoints"]) + len(k["minimaPoints"]) for k in matching) > 100


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def test_one_target_structure(one_target: dict[str, Any]) -> None:
    assert list(one_target) == ["v", "dataList"]
    assert one_target["v"] == 2
    assert len(one_target["dataList"]) == 1
    _check_target(one_target["dataList"][0], TARGETS[0])
    assert validate(one_target) == []


def test_several_targets_structure(two_targets: dict[str, Any]) -> None:
    assert list(two_targets) == ["v", "dataList"]
    assert len(two_targets["dataList"]) == 2
    for target, rgb in zip(two_targets["dataList"], TARGETS, strict=True):
        _check_target(target, rgb)
    assert validate(two_targets) == []


def test_numbers_are_packed_like_javascript_numbers(two_targets: dict[str, Any]) -> None:
    # @msgpack/msgpack writes integral JS numbers as ints: a float here would be an integral
    # value written differently from the official file.
    floats = _floats(two_targets)
    assert floats
    assert not any(f.is_integer() for f in floats)
    assert two_targets["dataList"][0]["matchingData"][0]["scale"] == 1
    assert isinstance(two_targets["dataList"][0]["matchingData"][0]["scale"], int)


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (lambda d: d.update(v=1), "file.v"),
        (lambda d: d["dataList"][0].pop("trackingData"), "keys"),
        (lambda d: d["dataList"][0]["trackingData"][1].update(data="x"), "binary"),
        (lambda d: d["dataList"][0]["trackingData"].pop(), "2 frames"),
        (
            lambda d: d["dataList"][0]["matchingData"][0]["maximaPoints"][0].update(maxima=False),
            "maxima",
        ),
        (
            lambda d: d["dataList"][0]["matchingData"][0]["maximaPoints"][0]["descriptors"].pop(),
            "21",
        ),
        (
            lambda d: d["dataList"][0]["matchingData"][0]["minimaPoints"][0].update(angle="0"),
            "angle",
        ),
        (
            lambda d: d["dataList"][0]["matchingData"][0]["maximaPointsCluster"]["rootNode"].update(
                centerPointIndex=0
            ),
            "null at the root",
        ),
        (lambda d: d["dataList"][0]["targetImage"].update(width=1.5), "positive ints"),
        (
            lambda d: d["dataList"][0]["trackingData"][1]["points"].append({"x": -1, "y": 0}),
            "inside",
        ),
    ],
)
def test_validator_catches_broken_files(
    one_target: dict[str, Any], mutate: Any, complaint: str
) -> None:
    broken = copy.deepcopy(one_target)
    mutate(broken)
    problems = validate(broken)
    assert any(complaint in p for p in problems), problems
    with pytest.raises(ValueError, match="not a MindAR"):
        decode(msgpack.packb(broken, use_bin_type=True))


def test_compat_mode_writes_the_official_file(tmp_path: Path) -> None:
    """Official compiler (Node, ~10–30 s here) vs ours with ``compat`` on one small image."""
    rgb = samples.collage(240, 320, seed=43)
    official_bytes = official_mind([rgb], tmp_path)
    ours_bytes = compile_targets(rgb, compat=True)
    official = decode(official_bytes)  # our validator accepts the real thing
    ours = decode(ours_bytes)
    theirs_target, our_target = official["dataList"][0], ours["dataList"][0]
    assert our_target["targetImage"] == theirs_target["targetImage"]
    # Keyframe sizes and scales, exactly.
    assert [(k["width"], k["height"], k["scale"]) for k in our_target["matchingData"]] == [
        (k["width"], k["height"], k["scale"]) for k in theirs_target["matchingData"]
    ]
    # Tracking keyframes: same pixels, same points in the same order, same scales.
    assert our_target["trackingData"] == theirs_target["trackingData"]
    # Same key layout at every level and only integral numbers as ints, like the official file.
    assert not any(f.is_integer() for f in _floats(official))
    for ours_kf, theirs_kf in zip(
        our_target["matchingData"], theirs_target["matchingData"], strict=True
    ):
        assert list(ours_kf) == list(theirs_kf)
        for kind in ("maximaPoints", "minimaPoints"):
            if ours_kf[kind] and theirs_kf[kind]:
                assert list(ours_kf[kind][0]) == list(theirs_kf[kind][0])
        assert list(ours_kf["maximaPointsCluster"]["rootNode"]) == list(
            theirs_kf["maximaPointsCluster"]["rootNode"]
        )
    assert ours_bytes == official_bytes
