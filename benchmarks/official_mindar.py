"""Run the official MindAR 1.2.5 compiler (Node, tfjs CPU backend) on image files.

The reference we measure our own compiler against: same images in, an official ``.mind`` out,
with the compile time reported separately from Node start-up.

    .venv/bin/python benchmarks/official_mindar.py IMAGE [IMAGE ...] -o OUT.mind
"""

from __future__ import annotations

import argparse
import builtins
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().parent / "official_mindar.mjs"


@dataclass(frozen=True)
class OfficialResult:
    """One official compile.

    ``ms`` is the compile itself as timed inside Node (pipeline only: greyscale, matching and
    tracking features); ``export_ms`` the msgpack export; ``startup_ms`` module loading and tfjs
    initialisation; ``wall_ms`` the whole subprocess as seen from Python.
    """

    ms: float
    bytes: int
    mind: builtins.bytes  # the field above shadows the type name in this class body
    startup_ms: float
    export_ms: float
    wall_ms: float


def load_rgba_on_white(path: Path) -> npt.NDArray[np.uint8]:
    """Decode an image file as a print would look: EXIF orientation applied, alpha on white.

    Returns an array of shape (height, width, 4), RGBA with alpha 255 everywhere.
    """
    with Image.open(path) as opened:
        img = ImageOps.exif_transpose(opened).convert("RGBA")
    white = Image.new("RGBA", img.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(white, img), dtype=np.uint8)


def compile_official_pixels(
    images: list[npt.NDArray[np.uint8]], out: Path, timeout_s: float = 1800
) -> OfficialResult:
    """Compile RGBA arrays of shape (height, width, 4), already opaque, into ``out``."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not on PATH")
    if not (REPO / "node_modules" / "mind-ar").is_dir():
        raise RuntimeError("node_modules/mind-ar is missing; run `make assets`")
    with tempfile.TemporaryDirectory(prefix="official-mindar-") as tmp:
        specs = []
        for i, rgba in enumerate(images):
            if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
                raise ValueError(
                    f"image {i}: expected uint8 (h, w, 4), got {rgba.dtype} {rgba.shape}"
                )
            raw = Path(tmp) / f"{i}.rgba"
            raw.write_bytes(np.ascontiguousarray(rgba).tobytes())
            specs.append(f"{raw}:{rgba.shape[1]}:{rgba.shape[0]}")
        started = time.perf_counter()
        proc = subprocess.run(
            [node, str(RUNNER), str(out), *specs],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        wall_ms = (time.perf_counter() - started) * 1000
    if proc.returncode != 0:
        raise RuntimeError(f"official compiler failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    # tfjs prints a banner to stdout; our JSON is the last line.
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    return OfficialResult(
        ms=float(report["compile_ms"]),
        bytes=int(report["bytes"]),
        mind=out.read_bytes(),
        startup_ms=float(report["startup_ms"]),
        export_ms=float(report["export_ms"]),
        wall_ms=wall_ms,
    )


def compile_official(images: list[Path], out: Path, timeout_s: float = 1800) -> OfficialResult:
    """Compile image files (one target each, in order) with the official compiler into ``out``."""
    return compile_official_pixels([load_rgba_on_white(p) for p in images], out, timeout_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+", type=Path)
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args(argv)
    result = compile_official(args.images, args.out)
    print(
        json.dumps(
            {
                "ms": round(result.ms, 1),
                "startup_ms": round(result.startup_ms, 1),
                "export_ms": round(result.export_ms, 1),
                "wall_ms": round(result.wall_ms, 1),
                "bytes": result.bytes,
                "targets": len(args.images),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
