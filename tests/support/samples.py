"""Procedural target images with known properties, for tests, benchmarks and rating checks.

All are RGB (H, W, 3) uint8 drawn with OpenCV from a fixed seed, so every run sees the same
pixels and nothing is downloaded.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

RGBImage = npt.NDArray[np.uint8]

_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
)
_WORDS = ("VERTEX", "poster", "AR 2026", "Hello", "print", "MindAR", "photo", "#42", "Q&A")


def collage(width: int, height: int, seed: int = 0, shapes_per_mpx: int = 400) -> RGBImage:
    """A busy, non-repeating poster: shapes, lines and words in random colours, (H, W, 3)."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, 3)
    image = np.empty((height, width, 3), dtype=np.uint8)
    image[:] = base.astype(np.uint8)
    size = min(width, height)
    count = max(40, int(shapes_per_mpx * width * height / 1e6))

    def colour() -> tuple[int, int, int]:
        r, g, b = rng.integers(0, 256, 3)
        return int(r), int(g), int(b)

    def point() -> tuple[int, int]:
        return int(rng.integers(0, width)), int(rng.integers(0, height))

    for _ in range(count):
        kind = rng.integers(0, 5)
        extent = max(3, int(size * rng.uniform(0.01, 0.12)))
        if kind == 0:
            cv2.circle(image, point(), extent, colour(), -1, cv2.LINE_AA)
        elif kind == 1:
            x, y = point()
            cv2.rectangle(image, (x, y), (x + extent, y + int(extent * 0.6)), colour(), -1)
        elif kind == 2:
            corners = np.array([point() for _ in range(3)], dtype=np.int32)
            centre = corners.mean(axis=0)
            spread = max(1.0, float(np.ptp(corners)))
            corners = (centre + (corners - centre) * (extent / spread)).astype(np.int32)
            cv2.fillPoly(image, [corners], colour(), cv2.LINE_AA)
        elif kind == 3:
            cv2.line(image, point(), point(), colour(), int(rng.integers(1, 6)), cv2.LINE_AA)
        else:
            word = _WORDS[int(rng.integers(0, len(_WORDS)))]
            font = _FONTS[int(rng.integers(0, len(_FONTS)))]
            cv2.putText(
                image, word, point(), font, extent / 30, colour(), max(1, extent // 15), cv2.LINE_AA
            )
    return image


def flat(width: int, height: int, value: int = 128) -> RGBImage:
    """A uniform grey image, (H, W, 3): nothing to detect."""
    return np.full((height, width, 3), value, dtype=np.uint8)


def half_textured(width: int, height: int, seed: int = 0) -> RGBImage:
    """A collage in the upper half over plain paper in the lower half, (H, W, 3)."""
    image = np.full((height, width, 3), 245, dtype=np.uint8)
    top = height // 2
    image[:top] = collage(width, top, seed)
    return image


def tiled(width: int, height: int, tile: int = 96, seed: int = 0) -> RGBImage:
    """One small collage tile repeated over the image (wallpaper), (H, W, 3)."""
    motif = collage(tile, tile, seed, shapes_per_mpx=2000)
    reps = (-(-height // tile), -(-width // tile), 1)
    return np.ascontiguousarray(np.tile(motif, reps)[:height, :width])


def noise_blobs(width: int, height: int, seed: int = 0) -> RGBImage:
    """Smooth random blobs (blurred noise at several scales), (H, W, 3): photo-like texture."""
    rng = np.random.default_rng(seed)
    acc = np.zeros((height, width), dtype=np.float32)
    for cell in (4, 16, 64):
        small = rng.standard_normal((height // cell + 2, width // cell + 2)).astype(np.float32)
        acc += cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)[:height, :width]
    acc = (acc - acc.min()) / max(1e-6, float(np.ptp(acc))) * 255
    grey = acc.astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def photo_like(width: int, height: int, seed: int = 0) -> RGBImage:
    """A soft colour 'photo', (H, W, 3): 1/f colour noise, a sky-like gradient, blurred objects."""
    rng = np.random.default_rng(seed)
    acc = np.zeros((height, width, 3), dtype=np.float32)
    for cell, weight in ((64, 1.0), (16, 0.5), (6, 0.15), (2, 0.05)):
        small = rng.standard_normal((height // cell + 2, width // cell + 2, 3)).astype(np.float32)
        acc += weight * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    acc = 128 + 40 * acc + np.linspace(40, -40, height, dtype=np.float32)[:, None, None]
    objects = np.zeros_like(acc)
    for _ in range(max(8, int(30 * width * height / 1e6))):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(10, width // 5)), int(rng.integers(10, height // 5)))
        colour = tuple(float(c) for c in rng.uniform(-90, 90, 3))
        cv2.ellipse(objects, centre, axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
    acc += cv2.GaussianBlur(objects, (0, 0), 3.0)
    return np.clip(acc, 0, 255).astype(np.uint8)


def text_page(width: int, height: int, seed: int = 0) -> RGBImage:
    """A text-heavy flyer, (H, W, 3): a title and lines of random words, black on white."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 250, dtype=np.uint8)
    title = " ".join(_WORDS[int(i)] for i in rng.integers(0, len(_WORDS), 2))
    cv2.putText(image, title, (width // 12, height // 8), _FONTS[1], width / 400, (20, 20, 90), 3)
    line_height = max(14, height // 28)
    y = height // 8 + 2 * line_height
    while y < height - line_height:
        x = width // 12
        while True:
            word = _WORDS[int(rng.integers(0, len(_WORDS)))].lower()
            (w, _), _ = cv2.getTextSize(word, _FONTS[0], line_height / 30, 1)
            if x + w > width - width // 12:
                break
            cv2.putText(
                image, word, (x, y), _FONTS[0], line_height / 30, (30, 30, 30), 1, cv2.LINE_AA
            )
            x += w + line_height // 2
        y += line_height
    return image


def sparse_shapes(width: int, height: int, seed: int = 0) -> RGBImage:
    """Low texture, (H, W, 3): a few large flat shapes and a word on plain paper (a logo)."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 240, dtype=np.uint8)
    size = min(width, height)
    for _ in range(6):
        colour = tuple(int(c) for c in rng.integers(0, 200, 3))
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        if rng.random() < 0.5:
            cv2.circle(image, centre, int(size * rng.uniform(0.05, 0.2)), colour, -1, cv2.LINE_AA)
        else:
            extent = int(size * rng.uniform(0.1, 0.3))
            corner = (centre[0] + extent, centre[1] + extent // 2)
            cv2.rectangle(image, centre, corner, colour, -1)
    word = _WORDS[int(rng.integers(0, len(_WORDS)))]
    cv2.putText(image, word, (width // 8, height * 7 // 8), _FONTS[3], size / 250, (0, 0, 0), 3)
    return image
