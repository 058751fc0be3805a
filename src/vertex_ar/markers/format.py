"""The ``.mind`` file: msgpack of exactly what MindAR 1.2.5 exports and its controller reads.

Layout (``compiler-base.js`` exportData/importData, ``controller.js``, ``tracker/tracker.js``,
``matching/matching.js``)::

    {v: 2, dataList: [target, ...]}
    target        = {targetImage: {width: int, height: int},
                     trackingData: [trackingFrame, trackingFrame],   # 256 px, 128 px short side
                     matchingData: [keyframe, ...]}                  # largest scale first
    trackingFrame = {data: bin (width·height grey bytes, row-major), scale: num,
                     width: int, height: int, points: [{x: int, y: int}, ...]}
    keyframe      = {maximaPoints: [point], minimaPoints: [point],
                     maximaPointsCluster: {rootNode: node}, minimaPointsCluster: {rootNode: node},
                     width: int, height: int, scale: num}
    point         = {maxima: bool, x: num, y: num, scale: num, angle: num,
                     descriptors: [21 × uint32]}
    node          = {centerPointIndex: null (root) | str (JS object key of the medoid index),
                     leaf: true, pointIndexes: [int]}
                  | {centerPointIndex: ..., leaf: false, children: [node, ...]}

Key order follows the JavaScript objects. Numbers are written like @msgpack/msgpack writes JS
numbers: integral values as msgpack ints, others as float64.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import msgpack
import numpy as np

VERSION = 2
DESCRIPTOR_WORDS = 21  # 666 FREAK comparisons packed into 21 uint32
TRACKING_FRAMES = 2

TOP_KEYS = ("v", "dataList")
TARGET_KEYS = ("targetImage", "trackingData", "matchingData")
TARGET_IMAGE_KEYS = ("width", "height")
TRACKING_KEYS = ("data", "scale", "width", "height", "points")
TRACKING_POINT_KEYS = ("x", "y")
KEYFRAME_KEYS = (
    "maximaPoints",
    "minimaPoints",
    "maximaPointsCluster",
    "minimaPointsCluster",
    "width",
    "height",
    "scale",
)
POINT_KEYS = ("maxima", "x", "y", "scale", "angle", "descriptors")
CLUSTER_KEYS = ("rootNode",)
LEAF_KEYS = ("centerPointIndex", "leaf", "pointIndexes")
BRANCH_KEYS = ("centerPointIndex", "leaf", "children")


def js_number(value: float) -> int | float:
    """A number as @msgpack/msgpack encodes a JS number: integral → int, else float64."""
    number = float(value)
    if number.is_integer() and abs(number) <= 2**53 - 1:
        return int(number)
    return number


def _numpy_value(value: Any) -> Any:
    """msgpack fallback for numpy scalars and arrays that slipped into a structure."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} in a .mind file")


def encode(targets: Sequence[Mapping[str, Any]]) -> bytes:
    """msgpack bytes of a ``.mind`` file holding ``targets`` (dataList entries), in order.

    The entries are written as given: producers build them in the official key order and number
    types (``js_number``); ``validate`` checks a decoded file.
    """
    document = {"v": VERSION, "dataList": list(targets)}
    packed: bytes = msgpack.packb(document, use_bin_type=True, default=_numpy_value)
    return packed


def decode(blob: bytes) -> dict[str, Any]:
    """Decode ``.mind`` bytes (binary fields as ``bytes``) and check its structure.

    Raises ValueError listing every structural problem found.
    """
    document = msgpack.unpackb(blob, raw=False)
    problems = validate(document)
    if problems:
        raise ValueError("not a MindAR v2 .mind file: " + "; ".join(problems[:20]))
    if not isinstance(document, dict):  # validate() has already said so; this narrows the type
        raise ValueError("not a MindAR v2 .mind file")
    return document


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and bool(np.isfinite(value))


def _keys(value: Any, expected: Sequence[str], where: str) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{where}: expected a map, got {type(value).__name__}"
    elif list(value) != list(expected):
        yield f"{where}: keys {list(value)}, expected {list(expected)}"


def _check_point(point: Any, maxima: bool, where: str) -> Iterator[str]:
    problems = list(_keys(point, POINT_KEYS, where))
    if problems:
        yield from problems
        return
    if point["maxima"] is not maxima:
        yield f"{where}.maxima: expected {maxima}"
    for key in ("x", "y", "scale", "angle"):
        if not _is_number(point[key]):
            yield f"{where}.{key}: expected a number, got {point[key]!r}"
    descriptors = point["descriptors"]
    if not isinstance(descriptors, list) or len(descriptors) != DESCRIPTOR_WORDS:
        yield f"{where}.descriptors: expected a list of {DESCRIPTOR_WORDS} ints"
    elif not all(_is_int(d) and 0 <= d < 2**32 for d in descriptors):
        yield f"{where}.descriptors: expected uint32 values"


def _check_node(node: Any, count: int, seen: list[int], where: str, root: bool) -> Iterator[str]:
    if not isinstance(node, dict) or "leaf" not in node:
        yield f"{where}: expected a cluster node"
        return
    leaf = node["leaf"]
    if not isinstance(leaf, bool):
        yield f"{where}.leaf: expected a bool"
        return
    problems = list(_keys(node, LEAF_KEYS if leaf else BRANCH_KEYS, where))
    if problems:
        yield from problems
        return
    center = node["centerPointIndex"]
    if root and center is not None:
        yield f"{where}.centerPointIndex: expected null at the root"
    if not root and not (isinstance(center, str) and center.isdigit() and int(center) < count):
        yield f"{where}.centerPointIndex: expected a point index as a string, got {center!r}"
    if leaf:
        indexes = node["pointIndexes"]
        if not isinstance(indexes, list) or not all(_is_int(i) and 0 <= i < count for i in indexes):
            yield f"{where}.pointIndexes: expected indexes below {count}"
        else:
            seen.extend(indexes)
        return
    children = node["children"]
    if not isinstance(children, list) or not children:
        yield f"{where}.children: expected a non-empty list"
        return
    for c, child in enumerate(children):
        yield from _check_node(child, count, seen, f"{where}.children[{c}]", root=False)


def _check_keyframe(keyframe: Any, where: str) -> Iterator[str]:
    problems = list(_keys(keyframe, KEYFRAME_KEYS, where))
    if problems:
        yield from problems
        return
    for key in ("width", "height"):
        if not (_is_int(keyframe[key]) and keyframe[key] > 0):
            yield f"{where}.{key}: expected a positive int"
    if not (_is_number(keyframe["scale"]) and keyframe["scale"] > 0):
        yield f"{where}.scale: expected a positive number"
    for kind, maxima in (("maxima", True), ("minima", False)):
        points = keyframe[f"{kind}Points"]
        if not isinstance(points, list):
            yield f"{where}.{kind}Points: expected a list"
            continue
        for p, point in enumerate(points):
            yield from _check_point(point, maxima, f"{where}.{kind}Points[{p}]")
        cluster = keyframe[f"{kind}PointsCluster"]
        cluster_problems = list(_keys(cluster, CLUSTER_KEYS, f"{where}.{kind}PointsCluster"))
        if cluster_problems:
            yield from cluster_problems
            continue
        seen: list[int] = []
        yield from _check_node(
            cluster["rootNode"], len(points), seen, f"{where}.{kind}PointsCluster.rootNode", True
        )
        if sorted(seen) != list(range(len(points))):
            yield f"{where}.{kind}PointsCluster: leaves must hold every point index exactly once"


def _check_tracking_frame(frame: Any, where: str) -> Iterator[str]:
    problems = list(_keys(frame, TRACKING_KEYS, where))
    if problems:
        yield from problems
        return
    width, height = frame["width"], frame["height"]
    if not (_is_int(width) and _is_int(height) and width > 0 and height > 0):
        yield f"{where}: width and height must be positive ints"
        return
    if not isinstance(frame["data"], bytes) or len(frame["data"]) != width * height:
        yield f"{where}.data: expected {width}×{height} bytes of binary data"
    if not (_is_number(frame["scale"]) and frame["scale"] > 0):
        yield f"{where}.scale: expected a positive number"
    points = frame["points"]
    if not isinstance(points, list):
        yield f"{where}.points: expected a list"
        return
    for p, point in enumerate(points):
        point_problems = list(_keys(point, TRACKING_POINT_KEYS, f"{where}.points[{p}]"))
        if point_problems:
            yield from point_problems
            continue
        x, y = point["x"], point["y"]
        if not (_is_int(x) and _is_int(y) and 0 <= x < width and 0 <= y < height):
            yield f"{where}.points[{p}]: expected int pixel coordinates inside the image"


def _check_target(target: Any, where: str) -> Iterator[str]:
    problems = list(_keys(target, TARGET_KEYS, where))
    if problems:
        yield from problems
        return
    image = target["targetImage"]
    image_problems = list(_keys(image, TARGET_IMAGE_KEYS, f"{where}.targetImage"))
    yield from image_problems
    if not image_problems and not all(
        _is_int(image[k]) and image[k] > 0 for k in TARGET_IMAGE_KEYS
    ):
        yield f"{where}.targetImage: width and height must be positive ints"
    tracking = target["trackingData"]
    if not isinstance(tracking, list) or len(tracking) != TRACKING_FRAMES:
        yield f"{where}.trackingData: expected a list of {TRACKING_FRAMES} frames"
    else:
        for f, frame in enumerate(tracking):
            yield from _check_tracking_frame(frame, f"{where}.trackingData[{f}]")
    matching = target["matchingData"]
    if not isinstance(matching, list) or not matching:
        yield f"{where}.matchingData: expected a non-empty list of keyframes"
    else:
        for k, keyframe in enumerate(matching):
            yield from _check_keyframe(keyframe, f"{where}.matchingData[{k}]")


def validate(document: Any) -> list[str]:
    """Every way ``document`` (a decoded ``.mind``) differs from what MindAR reads; [] if none."""
    problems = list(_keys(document, TOP_KEYS, "file"))
    if problems:
        return problems
    if not (_is_int(document["v"]) and document["v"] == VERSION):
        problems.append(f"file.v: expected {VERSION}, got {document['v']!r}")
    data_list = document["dataList"]
    if not isinstance(data_list, list) or not data_list:
        problems.append("file.dataList: expected a non-empty list of targets")
        return problems
    for t, target in enumerate(data_list):
        problems.extend(_check_target(target, f"dataList[{t}]"))
    return problems
