"""FREAK binary descriptors exactly as MindAR 1.2.5 computes and packs them.

Facts from ``detector/freak.js``, ``detector/detector.js`` and the CPU kernels
``computeExtremaFreak``, ``computeFreakDescriptors``:
  * 37 sampling points: 6 rings of 6 points plus the centre, in unit coordinates, each with a
    sigma that the official code carries but never uses (no per-point smoothing);
  * the pattern is scaled by 7 (``FREAK_EXPANSION_FACTOR``) in octave pixels, rotated by the
    point's angle and sampled bilinearly (edge-clamped) in the octave's second Gaussian ``g1``;
  * comparison ``c`` is the c-th pair ``(k1, k2)``, ``k1 < k2``, in row-major order: 666 pairs;
    its bit is set when ``v[k1] < v[k2] + 0.01``;
  * bits are packed most significant first: comparison c is bit ``31 - c % 32`` of word ``c // 32``
    (8 bits per byte, 4 bytes big-endian per word); the last word holds 26 bits, the rest zero.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from vertex_ar.markers.detector.pyramid import Float32Image

FREAK_EXPANSION_FACTOR = 7.0

# (sigma, ring points) from the outermost ring to the centre, in the official order.
_RING_SIGMAS = (0.55, 0.475, 0.4, 0.325, 0.25, 0.175, 0.1)
_RING_POINTS: tuple[tuple[tuple[float, float], ...], ...] = (
    (
        (-1.0, 0.0),
        (-0.5, -0.866025),
        (0.5, -0.866025),
        (1.0, -0.0),
        (0.5, 0.866025),
        (-0.5, 0.866025),
    ),
    (
        (0.0, 0.930969),
        (-0.806243, 0.465485),
        (-0.806243, -0.465485),
        (-0.0, -0.930969),
        (0.806243, -0.465485),
        (0.806243, 0.465485),
    ),
    (
        (0.847306, -0.0),
        (0.423653, 0.733789),
        (-0.423653, 0.733789),
        (-0.847306, 0.0),
        (-0.423653, -0.733789),
        (0.423653, -0.733789),
    ),
    (
        (-0.0, -0.741094),
        (0.641806, -0.370547),
        (0.641806, 0.370547),
        (0.0, 0.741094),
        (-0.641806, 0.370547),
        (-0.641806, -0.370547),
    ),
    (
        (-0.595502, 0.0),
        (-0.297751, -0.51572),
        (0.297751, -0.51572),
        (0.595502, -0.0),
        (0.297751, 0.51572),
        (-0.297751, 0.51572),
    ),
    (
        (0.0, 0.362783),
        (-0.314179, 0.181391),
        (-0.314179, -0.181391),
        (-0.0, -0.362783),
        (0.314179, -0.181391),
        (0.314179, 0.181391),
    ),
    ((0.0, 0.0),),
)

# (37, 3) rows [sigma, x, y]; tfjs holds them as float32, and so do we.
FREAK_POINTS: npt.NDArray[np.float32] = np.array(
    [
        (sigma, x, y)
        for sigma, ring in zip(_RING_SIGMAS, _RING_POINTS, strict=True)
        for x, y in ring
    ],
    dtype=np.float32,
)
NUM_FREAK_POINTS = FREAK_POINTS.shape[0]  # 37
_PAIR_FIRST, _PAIR_SECOND = np.triu_indices(NUM_FREAK_POINTS, k=1)
FREAK_COMPARISON_COUNT = _PAIR_FIRST.shape[0]  # 666
DESCRIPTOR_WORDS = -(-FREAK_COMPARISON_COUNT // 32)  # 21 uint32 words


def sample_pattern(
    gaussian: Float32Image,
    ys: npt.NDArray[np.float32],
    xs: npt.NDArray[np.float32],
    angles: npt.NDArray[np.float32],
) -> npt.NDArray[np.float32]:
    """Bilinear samples (N, 37) float32 of the rotated pattern at (N,) sub-pixel points."""
    h, w = gaussian.shape
    angle = angles.astype(np.float64)[:, None]
    cos = FREAK_EXPANSION_FACTOR * np.cos(angle)
    sin = FREAK_EXPANSION_FACTOR * np.sin(angle)
    fx = FREAK_POINTS[None, :, 1].astype(np.float64)
    fy = FREAK_POINTS[None, :, 2].astype(np.float64)
    yp = ys.astype(np.float64)[:, None] + fx * sin + fy * cos  # (N, 37)
    xp = xs.astype(np.float64)[:, None] + fx * cos + fy * -sin
    x0 = np.floor(xp)
    y0 = np.floor(yp)
    x1 = x0 + 1
    y1 = y0 + 1
    ix0 = np.clip(x0.astype(np.int64), 0, w - 1)
    ix1 = np.clip(x1.astype(np.int64), 0, w - 1)
    iy0 = np.clip(y0.astype(np.int64), 0, h - 1)
    iy1 = np.clip(y1.astype(np.int64), 0, h - 1)
    g = gaussian
    value = (
        (x1 - xp) * (y1 - yp) * g[iy0, ix0].astype(np.float64)
        + (xp - x0) * (y1 - yp) * g[iy0, ix1].astype(np.float64)
        + (x1 - xp) * (yp - y0) * g[iy1, ix0].astype(np.float64)
        + (xp - x0) * (yp - y0) * g[iy1, ix1].astype(np.float64)
    )
    return value.astype(np.float32)


def comparison_bits(samples: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
    """The 666 comparison bits (N, 666) of pattern samples (N, 37)."""
    s = samples.astype(np.float64)
    return s[:, _PAIR_FIRST] < s[:, _PAIR_SECOND] + 0.01


def pack_bits(bits: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint32]:
    """Pack (N, 666) bits into (N, 21) uint32 words, most significant bit first."""
    padded = np.zeros((bits.shape[0], DESCRIPTOR_WORDS * 32), dtype=bool)
    padded[:, : bits.shape[1]] = bits
    packed = np.packbits(padded, axis=1, bitorder="big")  # (N, 84) bytes
    return packed.view(">u4").astype(np.uint32)


def unpack_bits(words: npt.NDArray[np.uint32]) -> npt.NDArray[np.bool_]:
    """Inverse of :func:`pack_bits`: (N, 21) uint32 words to (N, 666) bits."""
    as_bytes = np.ascontiguousarray(words, dtype=">u4").view(np.uint8)
    bits = np.unpackbits(as_bytes, axis=1, bitorder="big")
    return bits[:, :FREAK_COMPARISON_COUNT].astype(bool)


def compute_descriptors(
    gaussian: Float32Image,
    ys: npt.NDArray[np.float32],
    xs: npt.NDArray[np.float32],
    angles: npt.NDArray[np.float32],
) -> npt.NDArray[np.uint32]:
    """Packed FREAK descriptors (N, 21) uint32 of (N,) points in one octave's ``gaussian``."""
    return pack_bits(comparison_bits(sample_pattern(gaussian, ys, xs, angles)))
