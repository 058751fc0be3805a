"""The MindAR detector port on synthetic images: pyramid arithmetic, blobs, rotation, FREAK bits."""

from __future__ import annotations

import math

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from vertex_ar.markers.detector.detector import FeaturePoints, detect
from vertex_ar.markers.detector.extrema import MAX_FEATURES, prune
from vertex_ar.markers.detector.freak import (
    DESCRIPTOR_WORDS,
    FREAK_COMPARISON_COUNT,
    FREAK_POINTS,
    pack_bits,
    unpack_bits,
)
from vertex_ar.markers.detector.orientation import compute_angles
from vertex_ar.markers.detector.pyramid import (
    binomial_filter,
    build_pyramid,
    downsample,
    octave_count,
    upsample_at,
)
from vertex_ar.markers.matching import hamming


def textured(width: int, height: int, seed: int) -> npt.NDArray[np.uint8]:
    """A poster-like test image: shapes and text of random grey levels over a gradient, (H, W)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    img = (60 + 120 * xx / width + 40 * np.sin(yy / height * 6)).astype(np.uint8)
    for _ in range(width * height // 3000):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(3, max(4, width // 10)))
        grey = int(rng.integers(0, 256))
        if rng.integers(0, 2):
            cv2.circle(img, (x, y), size, grey, -1, cv2.LINE_AA)
        else:
            corners = (rng.integers(-size, size, (5, 2)) + np.array([x, y])).astype(np.int32)
            cv2.fillPoly(img, [corners], grey, cv2.LINE_AA)
    for _ in range(max(1, width * height // 20000)):
        origin = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        scale = float(rng.uniform(0.4, 1.5))
        cv2.putText(img, "AR 42", origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 255, 2, cv2.LINE_AA)
    return img


def _js_binomial(image: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Reference: the official kernels term by term in float64, float32 after each pass."""
    rows = np.pad(image.astype(np.float64), ((0, 0), (2, 2)), mode="edge")
    out = rows[:, :-4] + rows[:, 1:-3] * 4 + rows[:, 2:-2] * 6 + rows[:, 3:-1] * 4 + rows[:, 4:]
    cols = np.pad(out.astype(np.float32).astype(np.float64), ((2, 2), (0, 0)), mode="edge")
    out = cols[:-4] + cols[1:-3] * 4 + cols[2:-2] * 6 + cols[3:-1] * 4 + cols[4:]
    return (out / 256).astype(np.float32)


def test_octave_count_follows_the_official_halving() -> None:
    assert octave_count(100, 100) == 4  # 100, 50, 25, 12.5 are >= 8; 6.25 is not
    assert octave_count(1400, 2000) == 5  # capped
    assert octave_count(15, 300) == 1
    assert octave_count(7, 300) == 0
    assert len(build_pyramid(np.zeros((100, 143), np.uint8)).dogs) == 4


def test_binomial_filter_matches_the_official_float32_rounding() -> None:
    rng = np.random.default_rng(1)
    smooth = cv2.GaussianBlur(rng.uniform(0, 255, (61, 47)), (0, 0), 1.5).astype(np.float32)
    assert np.array_equal(binomial_filter(smooth), _js_binomial(smooth))
    # The float32 fast path for uint8 input must give the same bits as the float64 path.
    grey = textured(64, 48, seed=2)
    fast = binomial_filter(grey)
    assert np.array_equal(fast, binomial_filter(grey.astype(np.float32)))
    assert np.array_equal(fast, _js_binomial(grey.astype(np.float32)))
    # One blur of uint8 stays on the 1/256 lattice, so the second blur may use it too.
    assert np.array_equal(binomial_filter(fast, on_lattice=True), _js_binomial(fast))
    assert np.array_equal(build_pyramid(grey).dogs[0], fast - _js_binomial(fast))


def test_downsample_and_upsample_follow_the_official_kernels() -> None:
    rng = np.random.default_rng(3)
    image = rng.uniform(-20, 20, (9, 7)).astype(np.float32)
    small = downsample(image)
    assert small.shape == (4, 3)
    q = np.float32(0.25)
    expected = ((image[2, 4] * q + image[3, 4] * q) + image[2, 5] * q) + image[3, 5] * q
    assert small[1, 2] == expected
    # Upsampled pixel (j, i) reads the source at (j/2 - 0.25, i/2 - 0.25), clamped at the edges:
    # (3, 4) reads (1.25, 1.75): rows 1 and 2 weigh 0.75 and 0.25, columns 1 and 2 0.25 and 0.75.
    ys, xs = np.array([0, 3, 9]), np.array([0, 4, 6])
    values = upsample_at(small, ys, xs, (10, 7))
    assert values[0] == small[0, 0]
    s = small.astype(np.float64)
    expected_3_4 = (
        s[1, 1] * (0.25 * 0.75)
        + s[2, 1] * (0.25 * 0.25)
        + s[1, 2] * (0.75 * 0.75)
        + s[2, 2] * (0.75 * 0.25)
    )
    assert values[1] == np.float32(expected_3_4)
    assert values[2] == small[3, 2]  # beyond the bottom-right corner everything clamps


def _gaussian_blobs(
    size: int, blobs: list[tuple[float, float, float, float]]
) -> npt.NDArray[np.uint8]:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
    image = np.full((size, size), 128.0)
    for y, x, sigma, amplitude in blobs:
        image += amplitude * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / (2 * sigma * sigma))
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def test_detector_finds_blobs_at_their_position_scale_and_polarity() -> None:
    # (y, x, sigma, amplitude) and the octave whose DoG responds to that blob size.
    blobs = [(60.0, 60.4, 2.0, 100.0), (60.0, 190.0, 3.0, -100.0), (180.3, 128.0, 8.0, 100.0)]
    octaves = [1, 2, 3]
    points = detect(_gaussian_blobs(256, blobs))
    for (y, x, _, amplitude), octave in zip(blobs, octaves, strict=True):
        distance = np.hypot(points.x - x, points.y - y)
        near = distance < 1.0
        assert near.any(), f"no point within 1 px of the blob at ({x}, {y})"
        assert set(points.maxima[near].tolist()) == {amplitude > 0}
        assert octave in points.octave[near].tolist()
    # Nothing is detected on the flat background.
    centres_x, centres_y = np.array([60.4, 190.0, 128.0]), np.array([60.0, 60.0, 180.3])
    nearest = np.hypot(points.x[:, None] - centres_x, points.y[:, None] - centres_y).min(axis=1)
    assert (nearest < 20).all()


def test_detector_output_is_bounded_and_well_formed() -> None:
    image = textured(400, 300, seed=4)
    points = detect(image)
    n = len(points)
    assert 100 < n <= MAX_FEATURES
    assert points.descriptors.shape == (n, DESCRIPTOR_WORDS)
    assert points.descriptors.dtype == np.uint32
    assert (points.octave >= 1).all() and (points.octave <= octave_count(400, 300) - 2).all()
    # Points keep the 7 px FREAK margin of their octave.
    margin = 7 * 2.0**points.octave - 2.0**points.octave
    assert (points.x >= margin - 2).all() and (points.x <= 400 - margin + 2).all()
    # Last word carries only comparisons 640…665: its 6 low bits are padding.
    assert (points.descriptors[:, -1] & 0x3F == 0).all()
    # Deterministic.
    again = detect(image)
    assert np.array_equal(points.descriptors, again.descriptors)
    assert np.array_equal(points.x, again.x)


def test_pruning_keeps_the_five_best_per_bucket_like_the_official_insertion() -> None:
    def octave(points: list[tuple[int, int, float]]) -> tuple[npt.NDArray[np.int64], ...]:
        ys, xs, values = zip(*points, strict=True)
        return np.array(ys), np.array(xs), np.array(values, dtype=np.float32)

    # Octave 1 is 100×100 (buckets of 10 px), octave 2 is 50×50 (buckets of 5 px).
    first = octave(
        [
            (2, 2, 10.0),
            (2, 6, 9.0),
            (4, 4, 3.5),
            (6, 2, -12.0),
            (6, 6, 7.0),
            (8, 8, 5.0),
            (9, 8, 4.1),
            (55, 75, 6.0),
        ]
    )
    second = octave([(2, 2, 10.0)])
    rows = prune([first, second], [(100, 100), (50, 50)])  # type: ignore[list-item]
    assert rows[:, 1:].tolist() == [
        [1, 6, 2],  # |-12| is the best score in bucket 0
        [1, 2, 2],  # tie at 10: octave 1 was seen first
        [2, 2, 2],
        [1, 2, 6],
        [1, 6, 6],  # 5 per bucket: 4.1 and 3.5 are dropped
        [1, 55, 75],  # bucket 57
    ]
    assert rows[:, 0].tolist() == [-12.0, 10.0, 10.0, 9.0, 7.0, 6.0]
    # In the 2×2 block at (8, 8) the official reduction prefers (y+1, x) over (y, x) whatever
    # the scores, and its score carries the float32 rounding of "1000 + value".
    alone = prune([octave([(8, 8, 5.0), (9, 8, 4.1)])], [(100, 100)])
    assert alone[:, 1:].tolist() == [[1, 9, 8]]
    assert alone[0, 0] == float(np.float32(1000 + np.float32(4.1))) - 1000
    assert alone[0, 0] != float(np.float32(4.1))


@pytest.mark.parametrize("degrees", [-160.0, -45.0, 0.0, 20.0, 90.0, 135.0])
def test_orientation_is_the_gradient_direction(degrees: float) -> None:
    # A linear ramp rising along direction θ has the same gradient angle θ (y down) everywhere.
    theta = math.radians(degrees)
    yy, xx = np.mgrid[0:40, 0:40].astype(np.float64)
    ramp = (100 + 3 * (xx * math.cos(theta) + yy * math.sin(theta))).astype(np.float32)
    angle = compute_angles(ramp, np.array([20, 17]), np.array([20, 22]))
    error = _angle_difference(angle, np.full(2, theta))
    assert np.abs(error).max() < math.radians(0.5)


def _match_rotated(
    a: FeaturePoints, b: FeaturePoints, mapped: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indexes (i, j) of points a[i] whose mapped (x, y) lies within half an octave pixel of b[j]
    detected in the same octave."""
    d = np.hypot(mapped[:, 0, None] - b.x[None], mapped[:, 1, None] - b.y[None])
    j = d.argmin(axis=1)
    close = d[np.arange(len(a)), j] < 0.5 * 2.0**a.octave
    i = np.nonzero(close & (b.octave[j] == a.octave))[0]
    return i, j[i]


def _angle_difference(
    a: npt.NDArray[np.floating], b: npt.NDArray[np.floating]
) -> npt.NDArray[np.float64]:
    return (np.asarray(a, np.float64) - b + math.pi) % (2 * math.pi) - math.pi


def _check_rotated(
    a: FeaturePoints, b: FeaturePoints, mapped: npt.NDArray[np.float64], turn: float
) -> None:
    """Points found again after a rotation by ``turn`` (radians, in atan2(dy, dx) terms, y down)
    have their angle shifted by ``turn`` and keep a close descriptor.

    Not exact: orientation reads the window at the truncated position, which a rotation does not
    commute with, and the histogram peak of a corner can jump; hence the statistical bounds.
    """
    i, j = _match_rotated(a, b, mapped)
    size = max(b.x.max(), b.y.max())
    visible = ((mapped >= 16) & (mapped <= size - 16)).all(axis=1)
    assert len(i) > max(20, 0.4 * visible.sum()), (len(i), visible.sum())
    error = np.abs(_angle_difference(b.angle[j] - turn, a.angle[i]))
    assert np.median(error) < math.radians(5)
    assert np.mean(error < math.radians(10)) > 0.6
    matched = np.median(hamming(a.descriptors[i], b.descriptors[j]))
    shuffled = np.median(hamming(a.descriptors[i], b.descriptors[np.roll(j, 7)]))
    assert matched < 0.25 * shuffled


def test_quarter_turn_rotates_angles_by_a_quarter_turn() -> None:
    image = textured(256, 256, seed=6)  # sizes divisible by 32 keep every octave grid aligned
    turned = np.ascontiguousarray(np.rot90(image))  # turned[i, j] = image[j, 255 - i]
    a, b = detect(image), detect(turned)
    # Counter-clockwise on screen is -90° in atan2(dy, dx) with y pointing down.
    _check_rotated(a, b, np.stack([a.y, 255 - a.x], axis=1), -math.pi / 2)


@pytest.mark.parametrize("degrees", [30.0, -50.0])
def test_arbitrary_rotation_shifts_angles_by_the_rotation(degrees: float) -> None:
    size = 320
    image = textured(size, size, seed=7)
    centre = (size / 2 - 0.5, size / 2 - 0.5)
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)  # counter-clockwise on screen
    turned = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_CUBIC, borderValue=128)
    a, b = detect(image), detect(turned)
    mapped = np.hstack([np.stack([a.x, a.y], axis=1), np.ones((len(a), 1))]) @ matrix.T
    _check_rotated(a, b, mapped, -math.radians(degrees))


def test_freak_pattern_is_six_rings_of_six_and_a_centre() -> None:
    assert FREAK_POINTS.shape == (37, 3)
    assert FREAK_COMPARISON_COUNT == 666 and DESCRIPTOR_WORDS == 21
    radius = np.hypot(FREAK_POINTS[:, 1], FREAK_POINTS[:, 2])
    rings = radius[:36].reshape(6, 6)
    assert np.allclose(rings, rings[:, :1], atol=1e-5)
    assert np.allclose(
        rings[:, 0], [1.0, 0.930969, 0.847306, 0.741094, 0.595502, 0.362783], atol=1e-6
    )
    assert radius[36] == 0
    angles = np.degrees(np.arctan2(FREAK_POINTS[:36, 2], FREAK_POINTS[:36, 1])).reshape(6, 6)
    steps = (np.diff(angles, axis=1) + 360) % 360
    assert np.allclose(np.minimum(steps, 360 - steps), 60, atol=1e-3)
    assert np.allclose(
        FREAK_POINTS[:, 0], np.repeat([0.55, 0.475, 0.4, 0.325, 0.25, 0.175, 0.1], [6] * 6 + [1])
    )


def _official_pack(bits: npt.NDArray[np.bool_]) -> list[list[int]]:
    """The official packing, literally: 8 comparisons per byte with weight 2^(7-i), then
    v1·2^24 + v2·2^16 + v3·2^8 + v4 over groups of 4 bytes."""
    words = []
    for row in bits.tolist():
        byte_values = []
        for start in range(0, 84 * 8, 8):
            byte_values.append(
                sum(2 ** (7 - i) for i in range(8) if start + i < 666 and row[start + i])
            )
        words.append(
            [
                byte_values[m] * 16777216
                + byte_values[m + 1] * 65536
                + byte_values[m + 2] * 256
                + byte_values[m + 3]
                for m in range(0, 84, 4)
            ]
        )
    return words


def test_freak_bit_packing_is_the_official_order_and_round_trips() -> None:
    rng = np.random.default_rng(8)
    bits = rng.integers(0, 2, (5, FREAK_COMPARISON_COUNT)).astype(bool)
    packed = pack_bits(bits)
    assert packed.shape == (5, 21) and packed.dtype == np.uint32
    assert packed.tolist() == _official_pack(bits)
    assert np.array_equal(unpack_bits(packed), bits)
    one = np.zeros((1, FREAK_COMPARISON_COUNT), bool)
    one[0, 0] = True
    assert pack_bits(one)[0, 0] == 2**31
    one[0, 0], one[0, 665] = False, True
    assert pack_bits(one)[0].tolist() == [0] * 20 + [1 << (31 - 665 % 32)]


def test_rejects_colour_images() -> None:
    with pytest.raises(ValueError, match="greyscale"):
        detect(np.zeros((32, 32, 3), np.uint8))
