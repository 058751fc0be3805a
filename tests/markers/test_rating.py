"""The trackability rating on images whose weaknesses we know."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from tests.support import samples
from vertex_ar.markers import compile_with_stats, rate_compiled, rate_target
from vertex_ar.markers.format import decode

W, H = 480, 640


@pytest.fixture(scope="module")
def ratings() -> dict[str, dict[str, Any]]:
    images = {
        "flat": samples.flat(W, H),
        "upper-half": samples.half_textured(W, H, seed=51),
        "tiled": samples.tiled(W, H, tile=96, seed=52),
        "collage": samples.collage(W, H, seed=53),
        "photo-like": samples.noise_blobs(W, H, seed=54),
    }
    return {name: rate_target(image) for name, image in images.items()}


def test_flat_grey_rates_zero_for_lack_of_contrast(ratings: dict[str, dict[str, Any]]) -> None:
    flat = ratings["flat"]
    assert flat["score"] < 5 and flat["stars"] == 0
    assert "low_contrast" in flat["codes"]
    assert any("too little contrast" in r for r in flat["reasons"])


def test_texture_only_on_top_flags_the_lower_half(ratings: dict[str, dict[str, Any]]) -> None:
    half = ratings["upper-half"]
    assert any("lower half" in r for r in half["reasons"])
    assert not any("upper half" in r for r in half["reasons"])
    assert half["score"] < ratings["collage"]["score"] - 20
    grid = np.array(half["metrics"]["grid"])
    assert grid[2:].sum() < 0.1 * grid.sum()


def test_tiled_pattern_is_repetitive(ratings: dict[str, dict[str, Any]]) -> None:
    tiled = ratings["tiled"]
    assert "repetitive" in tiled["codes"]
    assert any("repetitive pattern" in r for r in tiled["reasons"])
    assert tiled["metrics"]["twin_share"] > 0.8
    assert tiled["stars"] <= 1


@pytest.mark.parametrize("name", ["collage", "photo-like"])
def test_rich_images_rate_high(ratings: dict[str, dict[str, Any]], name: str) -> None:
    rating = ratings[name]
    assert rating["score"] >= 80 and rating["stars"] >= 4
    assert rating["metrics"]["twin_share"] < 0.1
    assert not {"low_contrast", "repetitive", "few_features"} & set(rating["codes"])


def test_low_contrast_collage_is_called_out() -> None:
    rich = samples.collage(W, H, seed=55).astype(np.float64)
    faint = np.clip(128 + (rich - rich.mean()) * 0.1, 0, 255).astype(np.uint8)
    rating = rate_target(faint)
    assert "low_contrast" in rating["codes"]
    assert rating["score"] < 30


def test_rating_is_json_and_the_same_from_a_decoded_file() -> None:
    result = compile_with_stats(samples.collage(W, H, seed=56))
    direct = rate_compiled(result.targets[0])
    from_file = rate_compiled(decode(result.mind)["dataList"][0])
    assert from_file == direct
    assert json.loads(json.dumps(direct)) == direct
    assert set(direct) == {"score", "stars", "reasons", "codes", "metrics"}
    assert 0 <= direct["score"] <= 100 and direct["stars"] in range(6)
    assert len(direct["reasons"]) == len(direct["codes"])


def test_tilted_view_keyframes_do_not_change_the_rating() -> None:
    """The rating reads the head-on keyframes, so both compiler modes rate a target alike."""
    rgb = samples.collage(W, H, seed=57)
    default = compile_with_stats(rgb)
    compat = compile_with_stats(rgb, compat=True)
    assert default.keyframes > compat.keyframes
    assert rate_compiled(default.targets[0]) == rate_compiled(compat.targets[0])
