"""One matching keyframe of a ``.mind`` v2 file, as MindAR 1.2.5's compiler writes it.

Facts from ``compiler-base.js`` (``_extractMatchingFeatures``): per keyframe image, the detected
points are split into maxima and minima (order kept), each half gets its own cluster tree, and the
keyframe is ``{maximaPoints, minimaPoints, maximaPointsCluster, minimaPointsCluster, width,
height, scale}``; a point is ``{maxima, x, y, scale, angle, descriptors}`` with ``descriptors``
21 unsigned 32-bit integers. Keys are in this insertion order (msgpack keeps it).

Numbers follow JavaScript: the official msgpack encoder writes an integral number as an integer,
so integral values (``scale``, ``width``, a keyframe scale of 1, …) are Python ``int`` here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from vertex_ar.markers.detector.detector import FeaturePoints, detect
from vertex_ar.markers.format import js_number
from vertex_ar.markers.matching.clustering import build_cluster_tree


def _point_dicts(points: FeaturePoints) -> list[dict[str, Any]]:
    """The (N) point dicts of ``points``, in order."""
    xs, ys = points.x.tolist(), points.y.tolist()
    angles = points.angle.astype(np.float64).tolist()
    scales = points.scale.tolist()
    maxima = points.maxima.tolist()
    descriptors = points.descriptors.tolist()
    return [
        {
            "maxima": maxima[i],
            "x": js_number(xs[i]),
            "y": js_number(ys[i]),
            "scale": scales[i],
            "angle": js_number(angles[i]),
            "descriptors": descriptors[i],
        }
        for i in range(len(xs))
    ]


def keyframe_dict(points: FeaturePoints, width: int, height: int, scale: float) -> dict[str, Any]:
    """The ``matchingData[i]`` dict of a ``width`` × ``height`` keyframe at ``scale``."""
    maxima = points.subset(points.maxima)
    minima = points.subset(~points.maxima)
    return {
        "maximaPoints": _point_dicts(maxima),
        "minimaPoints": _point_dicts(minima),
        "maximaPointsCluster": build_cluster_tree(maxima.descriptors),
        "minimaPointsCluster": build_cluster_tree(minima.descriptors),
        "width": width,
        "height": height,
        "scale": js_number(float(scale)),
    }


def matching_keyframe(
    image: npt.NDArray[np.uint8] | npt.NDArray[np.floating], scale: float
) -> dict[str, Any]:
    """The ``matchingData[i]`` dict for a (H, W) greyscale keyframe image at ``scale``.

    ``image`` is already resized to the keyframe (uint8, or float with values 0…255).
    """
    return keyframe_dict(detect(image), int(image.shape[1]), int(image.shape[0]), scale)
