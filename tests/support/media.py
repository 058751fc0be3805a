"""Test media made on the fly: textured images (Pillow) and short videos (ffmpeg testsrc)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw


def textured_image(width: int = 640, height: int = 480, seed: int = 1, fmt: str = "PNG") -> bytes:
    rng = np.random.default_rng(seed)
    img = Image.fromarray(rng.integers(0, 255, (height // 8, width // 8, 3), dtype=np.uint8))
    img = img.resize((width, height), Image.Resampling.NEAREST)
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x0, y0 = int(rng.integers(0, width)), int(rng.integers(0, height))
        x1, y1 = x0 + int(rng.integers(10, 120)), y0 + int(rng.integers(10, 120))
        color = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse((x0, y0, x1, y1), outline=color, width=4)
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


def image_with_exif_rotation(width: int = 300, height: int = 200) -> bytes:
    """A JPEG stored landscape whose EXIF says 'rotate 90° clockwise' (orientation 6)."""
    img = Image.open(io.BytesIO(textured_image(width, height, fmt="JPEG")))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def video(path: Path, *, seconds: float = 1.0, size: str = "160x120", fmt: str = "mp4") -> bytes:
    codec = ["-c:v", "libvpx", "-b:v", "200k"] if fmt == "webm" else ["-pix_fmt", "yuv420p"]
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc=duration={seconds}:size={size}:rate=15", *codec, str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()
