"""Test videos as phones and editors make them (ffmpeg lavfi sources, a few seconds each)."""

from __future__ import annotations

import subprocess
from pathlib import Path

# Left half opaque, right half fully transparent.
HALF_ALPHA = "format=yuva420p,geq=lum='lum(X,Y)':cb='cb(X,Y)':cr='cr(X,Y)':a='if(lt(X,W/2),255,0)'"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def high_bitrate_1080p60(path: Path, seconds: float = 3.0) -> Path:
    """What a phone records: 1080p at 60 fps, ~20 Mbit/s, with sound."""
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=60:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
           "-c:v", "libx264", "-preset", "ultrafast", "-b:v", "20M", "-pix_fmt", "yuv420p",
           "-c:a", "aac", str(path))  # fmt: skip
    return path


def hevc_rotated(path: Path, seconds: float = 2.0) -> Path:
    """An iPhone-style HEVC file stored landscape with "rotate 90" metadata (shown upright)."""
    plain = path.with_name(path.stem + "-plain.mp4")
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=30:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=330:duration={seconds}",
           "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error",
           "-pix_fmt", "yuv420p", "-tag:v", "hvc1", "-c:a", "aac", str(plain))  # fmt: skip
    ffmpeg("-i", str(plain), "-c", "copy", "-metadata:s:v:0", "rotate=90", str(path))
    plain.unlink()
    return path


def webm_alpha(path: Path, size: str = "96x160", seconds: float = 2.0) -> Path:
    """VP9 with alpha (as After Effects or a browser exports it), with Opus sound."""
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size={size}:rate=15:duration={seconds}",
           "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
           "-filter_complex", f"[0:v]{HALF_ALPHA}[v]", "-map", "[v]", "-map", "1:a",
           "-c:v", "libvpx-vp9", "-pix_fmt", "yuva420p", "-c:a", "libopus", str(path))  # fmt: skip
    return path


def prores_4444(path: Path, seconds: float = 1.0) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={seconds}",
           "-vf", HALF_ALPHA, "-c:v", "prores_ks", "-profile:v", "4444",
           "-pix_fmt", "yuva444p10le", str(path))  # fmt: skip
    return path
