"""Turn an image source into the greyscale target the compiler works on.

A target is what a person will point a phone at: a print. So decoding applies the EXIF orientation
(a browser shows the photo upright, and so does the print) and composites transparency on white
paper. The greyscale is MindAR's own, ``floor((r + g + b) / 3)``, so our pixels are the official
ones.

``DEFAULT_MAX_SIDE`` = 1024 px: larger photos are downscaled (area averaging) before compiling.
  * Detection: MindAR matches camera frames of typically 640×480 (1280×720 at most) against the
    matching keyframes; a print seen whole covers at most ~480–720 px of a frame, so keyframes
    whose short side is much larger than that never match. 1024 px on the long side still gives an
    A-series print a 724 px short side, the largest size it can appear at in a 720p frame.
  * File size and time: the matching pyramid holds ~2.7× the image area in keyframes, so the
    ``.mind`` size and the compile time grow with the pixel count. A 12 MP photo (4000×3000)
    compiled at 1024 px has ~1/16 of the pixels.
  * Tracking is unaffected: its keyframes are 256 and 128 px on the short side whatever the input.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path
from typing import TypeAlias

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

DEFAULT_MAX_SIDE = 1024
# The tracker follows the 128 px keyframe; below that the official resize would upscale.
MIN_SHORT_SIDE = 128

GreyImage: TypeAlias = npt.NDArray[np.uint8]
ImageSource: TypeAlias = str | os.PathLike[str] | bytes | npt.NDArray[np.uint8]


def decode_rgb(
    source: str | os.PathLike[str] | bytes, max_side: int | None = None
) -> npt.NDArray[np.uint8]:
    """Decode a file or encoded bytes (JPEG, PNG, WebP, …) as upright RGB on white, (H, W, 3).

    With ``max_side``, a large JPEG is decoded at a reduced scale (1/2, 1/4 or 1/8, by the
    decoder itself) that still has at least ``max_side`` px on its long side: a phone photo then
    decodes in a fraction of the time, and ``limit_size`` does the rest.
    """
    opened_source = io.BytesIO(source) if isinstance(source, bytes) else Path(source)
    with Image.open(opened_source) as opened:
        width, height = opened.size
        if max_side is not None and opened.format == "JPEG" and max(width, height) > max_side:
            factor = max_side / max(width, height)
            opened.draft(opened.mode, (math.ceil(width * factor), math.ceil(height * factor)))
        img = ImageOps.exif_transpose(opened)
        if img.mode in ("I", "I;16", "I;16B", "I;16L"):
            # 16-bit greyscale: PIL's RGB conversion would clip, scale to 8 bits instead.
            wide = np.asarray(img, dtype=np.float64) / 257.0
            grey8 = np.clip(np.rint(wide), 0, 255).astype(np.uint8)
            return np.repeat(grey8[:, :, None], 3, axis=2)
        has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
        if has_alpha:
            rgba = img.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            return np.asarray(Image.alpha_composite(paper, rgba).convert("RGB"), dtype=np.uint8)
        return np.asarray(img.convert("RGB"), dtype=np.uint8)


def _composite_on_white(rgba: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """RGBA (H, W, 4) → RGB (H, W, 3) as printed on white paper."""
    alpha = rgba[:, :, 3:4].astype(np.uint16)
    rgb = rgba[:, :, :3].astype(np.uint16)
    # Rounded integer blend: c·a + 255·(255 − a), divided by 255.
    out = (rgb * alpha + 255 * (255 - alpha) + 127) // 255
    return out.astype(np.uint8)


def official_grey(rgb: npt.NDArray[np.uint8]) -> GreyImage:
    """MindAR's greyscale ``floor((r + g + b) / 3)`` of RGB (H, W, 3) uint8; (H, W) uint8."""
    total = rgb[:, :, 0].astype(np.uint16) + rgb[:, :, 1] + rgb[:, :, 2]
    return (total // 3).astype(np.uint8)


def load_grey(source: ImageSource, max_side: int | None = None) -> GreyImage:
    """Any accepted source → official greyscale (H, W) uint8.

    Arrays are taken as-is in RGB channel order (not OpenCV's BGR): (H, W) grey, (H, W, 3) RGB
    or (H, W, 4) RGBA (composited on white). Paths and bytes are decoded with EXIF orientation;
    ``max_side`` lets ``decode_rgb`` decode large JPEGs at a reduced scale (the result may still
    be larger than ``max_side``).
    """
    if isinstance(source, np.ndarray):
        if source.dtype != np.uint8:
            raise ValueError(f"image arrays must be uint8, got {source.dtype}")
        if source.ndim == 2:
            return np.ascontiguousarray(source)
        if source.ndim == 3 and source.shape[2] == 3:
            return official_grey(source)
        if source.ndim == 3 and source.shape[2] == 4:
            return official_grey(_composite_on_white(source))
        raise ValueError(f"expected an (H, W), (H, W, 3) or (H, W, 4) array, got {source.shape}")
    return official_grey(decode_rgb(source, max_side))


def limit_size(grey: GreyImage, max_side: int | None) -> GreyImage:
    """Downscale (H, W) so that its longer side is at most ``max_side`` (None: keep as is)."""
    height, width = grey.shape
    longest = max(height, width)
    if max_side is None or longest <= max_side:
        return grey
    factor = max_side / longest
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def prepare_target(source: ImageSource, max_side: int | None = DEFAULT_MAX_SIDE) -> GreyImage:
    """Load, greyscale and size-limit one target image; (H, W) uint8 ready for the pyramids."""
    grey = limit_size(load_grey(source, max_side), max_side)
    if min(grey.shape) < MIN_SHORT_SIDE:
        height, width = grey.shape
        raise ValueError(
            f"image is {width}×{height} px; a target needs at least {MIN_SHORT_SIDE} px "
            "on its short side"
        )
    return grey
