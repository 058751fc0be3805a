"""Run pieces of the official MindAR 1.2.5 compiler (node_modules/mind-ar) from tests.

``official_pyramid`` runs only the pure-JS keyframe resizing and tracking extraction (a few
seconds); ``official_mind`` runs the whole official compiler via benchmarks/official_mindar.py
(tfjs CPU backend: ~5–10 s for a 300×400 image). Both need Node and `make assets`; without them
the calling test is skipped, never passed.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

REPO = Path(__file__).resolve().parents[2]
PYRAMID_SCRIPT = Path(__file__).with_name("official_pyramid.mjs")
OFFICIAL_COMPILER = REPO / "benchmarks" / "official_mindar.py"


def require_node() -> str:
    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "mind-ar").is_dir():
        pytest.skip("needs node and node_modules/mind-ar (make assets)")
    return node


def official_pyramid(grey: npt.NDArray[np.uint8], tmp_path: Path) -> dict[str, Any]:
    """Official keyframe images of a (H, W) grey target: ``matching`` and ``tracking`` lists of
    ``{width, height, scale, data: bytes}``, tracking ones with ``points: [(x, y)]``.
    """
    node = require_node()
    raw = tmp_path / "grey.raw"
    raw.write_bytes(np.ascontiguousarray(grey).tobytes())
    height, width = grey.shape
    proc = subprocess.run(
        [node, str(PYRAMID_SCRIPT), str(raw), str(width), str(height)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    for frame in result["matching"] + result["tracking"]:
        frame["data"] = base64.b64decode(frame["data"])
    for frame in result["tracking"]:
        frame["points"] = [(p["x"], p["y"]) for p in frame["points"]]
    return result


def official_mind(images: list[npt.NDArray[np.uint8]], tmp_path: Path) -> bytes:
    """The official compiler's .mind for RGB (H, W, 3) images, one target each, in order."""
    require_node()
    paths = []
    for i, rgb in enumerate(images):
        path = tmp_path / f"official-{i}.png"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        paths.append(str(path))
    out = tmp_path / "official.mind"
    subprocess.run(
        [sys.executable, str(OFFICIAL_COMPILER), *paths, "-o", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return out.read_bytes()
