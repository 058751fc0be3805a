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


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def hd60_high_bitrate(path: Path, seconds: float = 1.0) -> bytes:
    """1920×1080 at 60 fps, ~20 Mbit/s of noisy frames (nothing a phone should download), with
    AAC sound."""
    _ffmpeg(
        "-f", "lavfi", "-i",
        f"testsrc2=size=1920x1080:rate=60:duration={seconds},noise=alls=40:allf=t",
        "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "20M", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest", str(path),
    )  # fmt: skip
    return path.read_bytes()


def hevc(path: Path, size: str = "320x240", rotate: int | None = None) -> bytes:
    """HEVC in MP4 (`hvc1`, as iPhones record it); `rotate`: display rotation metadata."""
    plain = path.with_name(path.stem + ".plain.mp4") if rotate is not None else path
    _ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=size={size}:rate=15:duration=1",
        "-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error", str(plain),
    )  # fmt: skip
    if rotate is not None:
        _ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", f"rotate={rotate}", str(path))
    return path.read_bytes()


def vp9_alpha(path: Path, size: tuple[int, int] = (320, 240)) -> bytes:
    """VP9 with alpha in WebM: the left half of each frame opaque, the right half transparent."""
    width, height = size
    _ffmpeg(
        "-f", "lavfi", "-i",
        f"testsrc2=size={width}x{height}:rate=15:duration=1,format=yuva420p,"
        f"geq=lum='lum(X,Y)':cb='cb(X,Y)':cr='cr(X,Y)':a='if(lt(X,{width // 2}),255,0)'",
        "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-b:v", "300k", str(path),
    )  # fmt: skip
    return path.read_bytes()


def png_alpha_mov(path: Path, size: tuple[int, int] = (160, 120)) -> bytes:
    """PNG frames with alpha in QuickTime: the left half opaque, the right half transparent."""
    width, height = size
    _ffmpeg(
        "-f", "lavfi", "-i",
        f"testsrc2=size={width}x{height}:rate=10:duration=1,format=rgba,"
        f"geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,{width // 2}),255,0)'",
        "-c:v", "png", "-f", "mov", str(path),
    )  # fmt: skip
    return path.read_bytes()


def corrupt_after_start(path: Path) -> bytes:
    """An MP4 whose first frames decode (so the upload is accepted) and whose media data is
    garbage after the first third (a file damaged in transit)."""
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=15:duration=2",
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path),
    )  # fmt: skip
    data = bytearray(path.read_bytes())
    noise = np.random.default_rng(7).integers(0, 256, len(data), dtype=np.uint8).tobytes()
    data[len(data) // 3 :] = noise[len(data) // 3 :]
    path.write_bytes(bytes(data))
    return bytes(data)


def top_level_atoms(data: bytes) -> list[str]:
    """The MP4's top-level boxes in file order (`moov` before `mdat`: faststart)."""
    atoms, offset = [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        name = data[offset + 4 : offset + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        atoms.append(name)
        if size < 8:
            break
        offset += size
    return atoms
