"""`vertex-ar marker compile|score` as a user runs them: the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from tests.support import samples
from vertex_ar.markers.format import decode


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("vertex-ar")
    return [str(script)] if script.exists() else [shutil.which("vertex-ar") or "vertex-ar"]


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("cli")
    paths = []
    for i, rgb in enumerate(
        [samples.collage(300, 400, seed=61), samples.noise_blobs(320, 240, 62)]
    ):
        path = folder / f"target{i}.png"
        cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        paths.append(path)
    return paths


def test_compile_prints_one_json_line_and_writes_the_file(
    images: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out.mind"
    proc = subprocess.run(
        [*_cli(), "marker", "compile", *map(str, images), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    stats = json.loads(lines[0])
    assert list(stats) == ["ms", "bytes", "targets", "keyframes", "points"]
    document = decode(out.read_bytes())
    assert stats["bytes"] == out.stat().st_size
    assert stats["targets"] == len(document["dataList"]) == 2
    assert stats["keyframes"] == sum(len(t["matchingData"]) for t in document["dataList"])
    assert stats["points"] == sum(
        len(k["maximaPoints"]) + len(k["minimaPoints"])
        for t in document["dataList"]
        for k in t["matchingData"]
    )
    assert stats["ms"] > 0


def test_compat_writes_the_official_layout_and_default_adds_tilted_views(
    images: list[Path], tmp_path: Path
) -> None:
    from vertex_ar.markers import compile_targets

    for flags, compat in (([], False), (["--compat"], True)):
        out = tmp_path / f"compat-{compat}.mind"
        subprocess.run(
            [*_cli(), "marker", "compile", str(images[0]), "-o", str(out), *flags],
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        )
        assert out.read_bytes() == compile_targets(images[0], compat=compat)
    assert (tmp_path / "compat-False.mind").stat().st_size > (
        tmp_path / "compat-True.mind"
    ).stat().st_size


def test_score_prints_the_rating(images: list[Path]) -> None:
    proc = subprocess.run(
        [*_cli(), "marker", "score", str(images[0])],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    rating = json.loads(proc.stdout)
    assert {"score", "stars", "reasons", "metrics"} <= set(rating)
    assert rating["stars"] >= 3


def test_missing_image_fails_cleanly(tmp_path: Path) -> None:
    proc = subprocess.run(
        [*_cli(), "marker", "compile", str(tmp_path / "nope.png"), "-o", str(tmp_path / "x.mind")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert "marker compile:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.mind").exists()
