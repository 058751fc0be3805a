"""Our matching keyframes against the official MindAR 1.2.5 detector run in Node (tfjs CPU).

Node runs ``official_keyframe.mjs`` on the same greyscale pixels (two small images, ~10 s of CPU);
the descriptors, angles, positions and cluster trees must agree.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from vertex_ar.markers.matching import hamming, matching_keyframe

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("official_keyframe.mjs")


def poster(width: int, height: int, seed: int) -> npt.NDArray[np.uint8]:
    """Shapes, text and mild noise over a gradient: (H, W) uint8 with a few hundred features."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    img = (50 + 140 * xx / width + 30 * np.cos(yy / height * 5)).astype(np.uint8)
    for _ in range(width * height // 800):
        centre = (int(rng.integers(0, width)), int(rng.integers(0, height)))
        axes = (int(rng.integers(2, width // 15)), int(rng.integers(2, height // 15)))
        angle = float(rng.uniform(0, 180))
        cv2.ellipse(img, centre, axes, angle, 0, 360, int(rng.integers(0, 256)), -1, cv2.LINE_AA)
    cv2.putText(img, "MindAR", (width // 8, height // 2), cv2.FONT_HERSHEY_DUPLEX, 1.5, 20, 3)
    noise = rng.normal(0, 4, img.shape)
    return np.clip(img + noise, 0, 255).astype(np.uint8)


def official_keyframes(tmp_path: Path, images: list[tuple[npt.NDArray[np.uint8], float]]) -> Any:
    node = shutil.which("node")
    assert node, "Node.js is required (make assets installs the official MindAR package)"
    specs = []
    for i, (image, scale) in enumerate(images):
        path = tmp_path / f"grey{i}.raw"
        path.write_bytes(image.tobytes())
        specs.append(f"{path}:{image.shape[1]}:{image.shape[0]}:{scale!r}")
    done = subprocess.run(
        [node, str(SCRIPT), *specs],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def compare(ours: dict[str, Any], official: dict[str, Any]) -> list[int]:
    """Assert point-by-point agreement; returns the Hamming distances of all point pairs."""
    distances: list[int] = []
    for kind in ("maximaPoints", "minimaPoints"):
        mine, theirs = ours[kind], official[kind]
        assert len(mine) == len(theirs), kind
        for a, b in zip(mine, theirs, strict=True):
            assert (a["maxima"], a["scale"]) == (b["maxima"], b["scale"])
            assert math.hypot(a["x"] - b["x"], a["y"] - b["y"]) < 1e-3
            assert abs(math.remainder(a["angle"] - b["angle"], 2 * math.pi)) < 1e-4
        words_a = np.array([p["descriptors"] for p in mine], dtype=np.uint32).reshape(-1, 21)
        words_b = np.array([p["descriptors"] for p in theirs], dtype=np.uint32).reshape(-1, 21)
        distances += hamming(words_a, words_b).tolist()
    return distances


def test_keyframes_match_the_official_detector(tmp_path: Path) -> None:
    images = [(poster(320, 240, seed=1), 1.0), (poster(181, 257, seed=2), 0.6299605249474366)]
    officials = official_keyframes(tmp_path, images)
    all_distances: list[int] = []
    for (image, scale), official in zip(images, officials, strict=True):
        ours = matching_keyframe(image, scale)
        assert len(official["maximaPoints"]) + len(official["minimaPoints"]) > 90
        distances = compare(ours, official)
        all_distances += distances
        if not any(distances):
            # Same points and descriptors: the seeded clustering must give the very same trees,
            # and the whole keyframe must be identical, key order and number types included.
            assert ours == official
            assert json.dumps(ours) == json.dumps(official)
    histogram = np.bincount(all_distances)
    assert histogram[0] >= 0.99 * len(all_distances), histogram
    assert np.mean(all_distances) < 0.5
