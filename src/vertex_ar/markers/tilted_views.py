"""Extra matching keyframes from synthetic tilted views of the target (as in ASIFT).

FREAK descriptors are rotation- and scale-invariant but not affine-invariant: the official
keyframes (the target seen head-on) stop matching when the print is tilted past ~45°. A print
tilted by θ looks, locally, like the head-on view compressed by ``t = 1/cos θ`` across the tilt
axis. So we compress each chosen keyframe image by ``TILT`` along x and along y, detect points on
the compressed view exactly as MindAR does, and write them as an ordinary keyframe of the same
width, height and scale, with each point moved back to where it lies on the uncompressed keyframe.

Why that mapping works with the unmodified viewer (``matching/matching.js``, ``matcher.js``):
  * the viewer turns a keypoint into target coordinates as ``(x + 0.5) / keyframe.scale`` only,
    so positions must be on the uncompressed keyframe;
  * descriptors, angle and octave scale are compared with the camera's points, which see the
    print tilted like the compressed view, so those stay as detected there;
  * the Hough vote assumes a similarity from keyframe to frame; with positions mapped back, a
    tilted frame spreads the votes by ``(1 - 1/t)`` of the keyframe's extent along the tilt —
    half of it at ``t = 2``, inside the vote's acceptance window (half the projected size) —
    and RANSAC fits a full homography, so the pose lands in target coordinates as for any
    keyframe.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from vertex_ar.markers.detector.detector import FeaturePoints, detect
from vertex_ar.markers.image_list import ScaledImage
from vertex_ar.markers.images import GreyImage
from vertex_ar.markers.matching.keyframe import keyframe_dict

# t = 2 is a 60° tilt; with the head-on keyframes (good to ~45°) it covers ~45° to ~70°.
TILT = 2.0
# Keyframe short sides (px) that get tilted views: where a print filling 30–80 % of a 640×480
# frame is matched (a keyframe matches frames showing it at 1/2 or 1/4 of its size too).
TILTED_SHORT_SIDES = (192.0, 420.0)


def tilted_scales(images: list[ScaledImage]) -> list[ScaledImage]:
    """The matching keyframe images that get tilted views: short side in ``TILTED_SHORT_SIDES``."""
    low, high = TILTED_SHORT_SIDES
    return [image for image in images if low <= min(image.width, image.height) <= high]


def compress(image: GreyImage, axis: int) -> GreyImage:
    """(H, W) uint8 squeezed by ``TILT`` along ``axis`` (1: x, 0: y), area-averaged."""
    height, width = image.shape
    if axis == 1:
        size = (max(1, round(width / TILT)), height)
    else:
        size = (width, max(1, round(height / TILT)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def tilted_points(image: ScaledImage, axis: int) -> FeaturePoints:
    """Points detected on ``image`` compressed along ``axis``, positions on ``image`` itself.

    Positions are pixel indices (centre of pixel i at i); the compressed view maps pixel edges
    ``e`` to ``e · n / N`` along the axis (N, n: lengths before and after), so a point at index
    ``u`` comes from ``(u + 0.5) · N / n - 0.5``.
    """
    squeezed = compress(image.data, axis)
    points = detect(squeezed)
    stretch = image.data.shape[axis] / squeezed.shape[axis]
    x, y = points.x, points.y
    if axis == 1:
        x = (x + 0.5) * stretch - 0.5
    else:
        y = (y + 0.5) * stretch - 0.5
    return FeaturePoints(
        x=x,
        y=y,
        octave=points.octave,
        angle=points.angle,
        maxima=points.maxima,
        descriptors=points.descriptors,
    )


def tilted_keyframe(image: ScaledImage, axis: int) -> dict[str, Any]:
    """The ``matchingData`` dict of ``image`` seen tilted across ``axis`` (1: x, 0: y)."""
    return keyframe_dict(tilted_points(image, axis), image.width, image.height, image.scale)
