"""Matching keyframes: Hamming distances, the seeded k-medoids tree and the keyframe dict."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from vertex_ar.markers.detector.freak import DESCRIPTOR_WORDS, FREAK_COMPARISON_COUNT, pack_bits
from vertex_ar.markers.matching import (
    MIN_FEATURE_PER_NODE,
    build_cluster_tree,
    hamming,
    hamming_matrix,
    js_number,
    matching_keyframe,
    tree_point_indexes,
)
from vertex_ar.markers.matching.clustering import _random_stream


def random_descriptors(n: int, seed: int) -> npt.NDArray[np.uint32]:
    rng = np.random.default_rng(seed)
    return pack_bits(rng.integers(0, 2, (n, FREAK_COMPARISON_COUNT)).astype(bool))


def grouped_descriptors(
    groups: int, per_group: int, flips: int, seed: int
) -> npt.NDArray[np.uint32]:
    """``groups`` random centres, each with ``per_group`` copies that differ in ``flips`` bits;
    rows are interleaved (row r belongs to group r % groups)."""
    rng = np.random.default_rng(seed)
    centres = rng.integers(0, 2, (groups, FREAK_COMPARISON_COUNT)).astype(bool)
    bits = np.repeat(centres[None], per_group, axis=0).reshape(-1, FREAK_COMPARISON_COUNT)
    for row in bits:
        row[rng.choice(FREAK_COMPARISON_COUNT, flips, replace=False)] ^= True
    return pack_bits(bits)


def test_hamming_matrix_counts_differing_bits() -> None:
    a, b = random_descriptors(30, 1), random_descriptors(20, 2)
    matrix = hamming_matrix(a, b)
    assert matrix.shape == (30, 20)
    brute = [
        [sum(bin(int(x) ^ int(y)).count("1") for x, y in zip(u, v, strict=True)) for v in b]
        for u in a
    ]
    assert matrix.tolist() == brute
    assert np.array_equal(hamming(a[:, None], b[None]), matrix)
    assert (np.diag(hamming_matrix(a, a)) == 0).all()
    # Random 666-bit strings differ in about half their bits.
    assert 290 < matrix.mean() < 376


def _official_lcg_draws(count: int) -> list[int]:
    """The official randomizer step literally (seed 1234, JavaScript % of a positive number)."""
    seed, draws = 1234, []
    for _ in range(count):
        seed = (214013 * seed + 2531011) % 2147483648
        draws.append((seed >> 16) & 0x7FFF)
    return draws


def test_random_stream_is_the_official_generator() -> None:
    # Longer than one cached block, so the block-wise jump-ahead is exercised.
    assert _random_stream(5000).tolist() == _official_lcg_draws(5000)
    assert _random_stream(10).tolist() == _official_lcg_draws(10)


def _walk(node: dict[str, Any], visit: list[dict[str, Any]]) -> None:
    visit.append(node)
    for child in node.get("children", []):
        _walk(child, visit)


@pytest.mark.parametrize("n", [0, 1, 16, 17, 120, 400])
def test_tree_covers_every_point_exactly_once(n: int) -> None:
    tree = build_cluster_tree(random_descriptors(n, seed=n))
    root = tree["rootNode"]
    assert list(tree) == ["rootNode"]
    assert root["centerPointIndex"] is None
    assert sorted(tree_point_indexes(root)) == list(range(n))
    nodes: list[dict[str, Any]] = []
    _walk(root, nodes)
    for node in nodes:
        if node["leaf"]:
            assert list(node) == ["centerPointIndex", "leaf", "pointIndexes"]
            assert node["pointIndexes"] == sorted(node["pointIndexes"])  # input order kept
        else:
            assert list(node) == ["centerPointIndex", "leaf", "children"]
            assert len(tree_point_indexes(node)) > MIN_FEATURE_PER_NODE
            assert 2 <= len(node["children"]) <= 8
            centres = [child["centerPointIndex"] for child in node["children"]]
            # Medoid indexes are JavaScript object keys: strings, in ascending numeric order.
            assert all(isinstance(c, str) for c in centres)
            assert [int(c) for c in centres] == sorted(int(c) for c in centres)
            assert set(int(c) for c in centres) <= set(tree_point_indexes(node))
    if n <= MIN_FEATURE_PER_NODE:
        assert root["leaf"] and root["pointIndexes"] == list(range(n))
    else:
        assert not root["leaf"]


def test_tree_is_deterministic_and_data_dependent() -> None:
    descriptors = random_descriptors(200, seed=3)
    assert build_cluster_tree(descriptors) == build_cluster_tree(descriptors.copy())
    assert build_cluster_tree(descriptors) != build_cluster_tree(descriptors[::-1].copy())


def test_tree_separates_well_separated_groups() -> None:
    groups = 4
    descriptors = grouped_descriptors(groups, per_group=30, flips=20, seed=4)
    root = build_cluster_tree(descriptors)["rootNode"]
    assert not root["leaf"]
    # Each child of the root holds points of one group only (a medoid from each group wins
    # by far over any hypothesis that misses a group).
    for child in root["children"]:
        members = tree_point_indexes(child)
        assert len({i % groups for i in members}) == 1
        assert int(child["centerPointIndex"]) % groups == members[0] % groups


def test_js_number_types_like_the_official_msgpack_encoder() -> None:
    assert js_number(1.0) == 1 and isinstance(js_number(1.0), int)
    assert isinstance(js_number(0.7937005259840998), float)
    assert isinstance(js_number(-0.0), int)


def test_keyframe_has_the_official_structure_and_types() -> None:
    rng = np.random.default_rng(5)
    image = (np.kron(rng.integers(0, 256, (30, 40)), np.ones((5, 5))) * 0.9 + 10).astype(np.uint8)
    keyframe = matching_keyframe(image, 0.7937005259840998)
    assert list(keyframe) == [
        "maximaPoints",
        "minimaPoints",
        "maximaPointsCluster",
        "minimaPointsCluster",
        "width",
        "height",
        "scale",
    ]
    assert (keyframe["width"], keyframe["height"], keyframe["scale"]) == (
        200,
        150,
        0.7937005259840998,
    )
    assert isinstance(keyframe["width"], int) and isinstance(keyframe["height"], int)
    assert keyframe["maximaPoints"] and keyframe["minimaPoints"]
    for kind, maxima in (("maximaPoints", True), ("minimaPoints", False)):
        points = keyframe[kind]
        for point in points:
            assert list(point) == ["maxima", "x", "y", "scale", "angle", "descriptors"]
            assert point["maxima"] is maxima
            assert isinstance(point["x"], float | int) and 0 <= point["x"] < 200
            assert isinstance(point["y"], float | int) and 0 <= point["y"] < 150
            assert point["scale"] in (2, 4, 8) and type(point["scale"]) is int
            assert isinstance(point["angle"], float)
            words = point["descriptors"]
            assert len(words) == DESCRIPTOR_WORDS
            assert all(type(w) is int and 0 <= w < 2**32 for w in words)
        tree = keyframe[kind.replace("Points", "PointsCluster")]
        assert sorted(tree_point_indexes(tree["rootNode"])) == list(range(len(points)))
    # A float image with the same values gives the same keyframe.
    assert matching_keyframe(image.astype(np.float32), 0.7937005259840998) == keyframe
    assert (
        matching_keyframe(image, 1.0)["scale"] == 1
        and type(matching_keyframe(image, 1.0)["scale"]) is int
    )


def test_keyframe_of_a_flat_image_is_empty_but_valid() -> None:
    keyframe = matching_keyframe(np.full((120, 100), 200, np.uint8), 1.0)
    assert keyframe["maximaPoints"] == [] and keyframe["minimaPoints"] == []
    empty = {"rootNode": {"centerPointIndex": None, "leaf": True, "pointIndexes": []}}
    assert keyframe["maximaPointsCluster"] == empty and keyframe["minimaPointsCluster"] == empty
