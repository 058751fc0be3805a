"""MindAR 1.2.5's ``detector.js`` in numpy/OpenCV: DoG extrema with FREAK descriptors.

The MindAR viewer runs the same detector on camera frames and matches by Hamming distance, so
every stage follows the official semantics (see each module's docstring) and reproduces tfjs's
float32 storage, which makes our points and descriptors bit-identical to the official compiler's
on the same pixels.

``detect(image)`` is the whole pipeline for one greyscale keyframe image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from vertex_ar.markers.detector.extrema import find_extrema, localize, prune
from vertex_ar.markers.detector.freak import DESCRIPTOR_WORDS, compute_descriptors
from vertex_ar.markers.detector.orientation import compute_angles
from vertex_ar.markers.detector.pyramid import build_pyramid


@dataclass(frozen=True)
class FeaturePoints:
    """N detected points in the official order (buckets, then score), as parallel arrays.

    ``x``, ``y``: (N,) float64 position in input-image pixels (``x_oct · 2^o + 2^(o-1) - 0.5``);
    ``octave``: (N,) int64, the point's scale is ``2**octave``; ``angle``: (N,) float32 radians;
    ``maxima``: (N,) bool, DoG maximum (True) or minimum; ``descriptors``: (N, 21) uint32 FREAK.
    """

    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    octave: npt.NDArray[np.int64]
    angle: npt.NDArray[np.float32]
    maxima: npt.NDArray[np.bool_]
    descriptors: npt.NDArray[np.uint32]

    def __len__(self) -> int:
        return int(self.x.shape[0])

    @property
    def scale(self) -> npt.NDArray[np.int64]:
        """(N,) int64 ``2**octave``."""
        return np.left_shift(1, self.octave)

    def subset(self, mask: npt.NDArray[np.bool_]) -> FeaturePoints:
        """The points where (N,) ``mask`` is True, order kept."""
        return FeaturePoints(
            x=self.x[mask],
            y=self.y[mask],
            octave=self.octave[mask],
            angle=self.angle[mask],
            maxima=self.maxima[mask],
            descriptors=self.descriptors[mask],
        )


def detect(image: npt.NDArray[np.uint8] | npt.NDArray[np.floating]) -> FeaturePoints:
    """Detect MindAR feature points in a (H, W) greyscale image (uint8, or float with 0…255)."""
    if image.ndim != 2:
        raise ValueError(f"expected a (H, W) greyscale image, got shape {image.shape}")
    pyramid = build_pyramid(image)
    dogs = pyramid.dogs
    extrema_octaves = range(1, pyramid.octaves - 1)
    extrema = [find_extrema(dogs[k - 1], dogs[k], dogs[k + 1]) for k in extrema_octaves]
    shapes = [(dogs[k].shape[0], dogs[k].shape[1]) for k in extrema_octaves]
    points = localize(prune(extrema, shapes), dogs)  # (N, 4) float32 [score, octave, y, x]

    n = points.shape[0]
    octave = points[:, 1].astype(np.int64)
    angle = np.zeros(n, dtype=np.float32)
    descriptors = np.zeros((n, DESCRIPTOR_WORDS), dtype=np.uint32)
    for k in sorted(set(octave.tolist())):
        idx = np.nonzero(octave == k)[0]
        gaussian = pyramid.smoothed[k]
        ys, xs = points[idx, 2], points[idx, 3]
        # Orientation uses the truncated position, FREAK the sub-pixel one (as officially).
        angle[idx] = compute_angles(gaussian, ys.astype(np.int64), xs.astype(np.int64))
        descriptors[idx] = compute_descriptors(gaussian, ys, xs, angle[idx])

    factor = np.ldexp(1.0, octave)  # 2**octave as float64
    return FeaturePoints(
        x=points[:, 3].astype(np.float64) * factor + factor / 2 - 0.5,
        y=points[:, 2].astype(np.float64) * factor + factor / 2 - 0.5,
        octave=octave,
        angle=angle,
        maxima=points[:, 0] > 0,
        descriptors=descriptors,
    )
