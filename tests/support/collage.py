"""Generated print-like targets: random collages of shapes, strokes and text on a soft gradient.

Fresh seeds give images no compiler has been tuned on; the same seed always gives the same image.
"""

from __future__ import annotations

import cv2
import numpy as np
import numpy.typing as npt

FONTS = [
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
]
WORDS = ["VERTEX", "print", "AR", "poster", "2024", "hello", "MIND", "photo", "scan me"]


def random_collage(width: int, height: int, seed: int) -> npt.NDArray[np.uint8]:
    """An RGB image of shape (height, width, 3): filled shapes, lines and words, many sizes."""
    rng = np.random.default_rng(seed)
    # Soft colour gradient so flat regions are not uniform paper.
    coarse = rng.uniform(150, 255, (3, 4, 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    img: npt.NDArray[np.uint8] = np.clip(smooth, 0, 255).astype(np.uint8)
    area_scale = (width * height / 1e6) ** 0.5
    for _ in range(int(350 * area_scale**2) + 40):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        size = int(rng.integers(6, max(8, int(110 * area_scale))))
        kind = rng.random()
        if kind < 0.3:
            cv2.circle(img, (x, y), size, colour, -1, cv2.LINE_AA)
        elif kind < 0.6:
            x2, y2 = x + size, y + int(rng.integers(6, 2 * size + 8))
            cv2.rectangle(img, (x, y), (x2, y2), colour, -1)
        elif kind < 0.75:
            end = (x + int(rng.integers(-3, 4)) * size, y + int(rng.integers(-3, 4)) * size)
            cv2.line(img, (x, y), end, colour, int(rng.integers(1, 6)), cv2.LINE_AA)
        else:
            word = WORDS[int(rng.integers(len(WORDS)))]
            font = FONTS[int(rng.integers(len(FONTS)))]
            cv2.putText(img, word, (x, y), font, size / 35, colour, max(1, size // 18), cv2.LINE_AA)
    return img
