"""Decoding targets as prints: EXIF orientation, transparency on white, the official greyscale."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vertex_ar.markers.images import (
    MIN_SHORT_SIDE,
    decode_rgb,
    limit_size,
    load_grey,
    official_grey,
    prepare_target,
)


def _encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def _marked_rgb(width: int = 60, height: int = 40) -> np.ndarray:
    """White image with a black block in the top-left corner: shows any rotation."""
    rgb = np.full((height, width, 3), 255, dtype=np.uint8)
    rgb[:10, :20] = 0
    return rgb


def test_official_greyscale_floors_the_channel_mean() -> None:
    rgb = np.array([[[255, 255, 254], [1, 1, 0], [10, 20, 31], [0, 0, 0]]], dtype=np.uint8)
    assert official_grey(rgb).tolist() == [[254, 0, 20, 0]]


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    img = Image.fromarray(_marked_rgb())
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate 90° clockwise
    path = tmp_path / "rotated.jpg"
    img.save(path, format="JPEG", quality=95, exif=exif)
    grey = load_grey(path)
    assert grey.shape == (60, 40)  # upright: width and height swapped
    # The black block moves from the top-left to the top-right corner.
    assert grey[:20, -10:].mean() < 30 and grey[:20, :10].mean() > 225


def test_transparent_png_is_a_print_on_white() -> None:
    rgba = np.zeros((30, 30, 4), dtype=np.uint8)
    rgba[:, :15] = (0, 0, 0, 255)  # opaque black left half
    rgba[:, 15:] = (0, 0, 0, 0)  # transparent (black) right half
    rgba[:5, :] = (0, 0, 0, 128)  # half-transparent black band on top
    grey = load_grey(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert (grey[5:, :15] == 0).all()
    assert (grey[5:, 15:] == 255).all()
    assert np.all(np.abs(grey[:5].astype(int) - 127) <= 1)
    # Arrays with alpha take the same route.
    assert np.array_equal(load_grey(rgba), grey)


def test_palette_png_with_transparency() -> None:
    img = Image.new("P", (20, 20), 0)
    img.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    img.paste(1, (0, 0, 10, 20))
    img.info["transparency"] = 0
    grey = load_grey(_encode(img, "PNG", transparency=0))
    assert (grey[:, :10] == 85).all()  # red: floor(255 / 3)
    assert (grey[:, 10:] == 255).all()  # transparent: paper


def test_webp_and_16_bit_png_decode() -> None:
    rgb = _marked_rgb()
    webp = load_grey(_encode(Image.fromarray(rgb), "WEBP", lossless=True))
    assert np.array_equal(webp, official_grey(rgb))
    wide = (np.arange(64 * 32, dtype=np.uint16).reshape(32, 64) * 32).astype(np.uint16)
    grey16 = load_grey(_encode(Image.fromarray(wide), "PNG"))
    assert grey16.shape == (32, 64)
    assert np.all(np.abs(grey16.astype(int) - np.rint(wide / 257).astype(int)) <= 1)


def test_large_images_are_limited_to_the_max_side() -> None:
    grey = np.zeros((3000, 2000), dtype=np.uint8)
    assert limit_size(grey, 1024).shape == (1024, 683)
    assert limit_size(grey, None) is grey
    assert limit_size(np.zeros((500, 400), dtype=np.uint8), 1024).shape == (500, 400)
    assert prepare_target(np.zeros((4000, 3000, 3), dtype=np.uint8)).shape == (1024, 768)


def test_too_small_images_are_refused() -> None:
    with pytest.raises(ValueError, match="at least"):
        prepare_target(np.zeros((MIN_SHORT_SIDE - 1, 500), dtype=np.uint8))
    with pytest.raises(ValueError, match="uint8"):
        load_grey(np.zeros((200, 200), dtype=np.float32))


def test_large_jpeg_decodes_at_reduced_scale_like_full_decoding(tmp_path: Path) -> None:
    from tests.support import samples

    rgb = samples.collage(3000, 2000, seed=12)
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "photo.jpg"
    Image.fromarray(rgb).save(path, format="JPEG", quality=92, exif=exif)
    assert decode_rgb(path, 1024).shape == (1500, 1000, 3)  # decoded at 1/2, upright
    assert decode_rgb(path).shape == (3000, 2000, 3)
    fast = prepare_target(path, 1024)
    full = limit_size(load_grey(path), 1024)
    assert fast.shape == full.shape == (1024, 683)  # upright portrait
    # The decoder's 1/2 scaling then area averaging, vs full decoding then area averaging.
    diff = np.abs(fast.astype(int) - full.astype(int))
    assert diff.mean() < 1.5 and np.percentile(diff, 99) < 12
