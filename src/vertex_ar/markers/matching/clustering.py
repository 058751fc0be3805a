"""Hierarchical k-medoids tree over FREAK descriptors, built exactly as MindAR 1.2.5 builds it.

Facts from ``matching/hierarchical-clustering.js`` and ``utils/randomizer.js``:
  * a node with <= 16 points is a leaf; otherwise 128 hypotheses of 8 random medoids are tried and
    the one with the smallest total Hamming distance (first on ties) splits the points, each point
    going to its nearest medoid (first on ties); a split into a single cluster makes a leaf;
  * the random medoids come from a partial Fisher–Yates shuffle (8 swaps per hypothesis) of a
    list of local indexes that persists across the hypotheses of one node, driven by the LCG
    ``seed = (214013·seed + 2531011) mod 2^31``, ``k = ((seed >> 16) & 0x7fff) mod n``, seeded
    with 1234 once per tree and consumed depth-first;
  * children are ordered by their medoid's point index (JavaScript object-key order) and carry
    that index as a *string* in ``centerPointIndex`` (it comes from ``Object.keys``); the root's is
    ``null``. A leaf lists its ``pointIndexes`` in input order.

Reproducing the generator makes our trees identical to the official ones for identical points.
The viewer only needs a valid tree, but identical output makes the comparison exact.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from vertex_ar.markers.matching.hamming import hamming_matrix

MIN_FEATURE_PER_NODE = 16
NUM_ASSIGNMENT_HYPOTHESES = 128
NUM_CENTERS = 8
RANDOM_SEED = 1234

ClusterNode = dict[str, Any]


_LCG_MULTIPLIER = 214013
_LCG_INCREMENT = 2531011
_LCG_MODULUS = 2**31
_DRAWS_PER_NODE = NUM_ASSIGNMENT_HYPOTHESES * NUM_CENTERS
_stream: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)


def _random_stream(count: int) -> npt.NDArray[np.int64]:
    """The first ``count`` raw draws ``(seed >> 16) & 0x7fff`` of the generator seeded with 1234.

    Every tree restarts from the same seed, so the stream is computed once (in blocks: B steps of
    the LCG compose into one affine map ``s -> a_B·s + c_B``, products < 2^62) and cached.
    """
    global _stream
    if _stream.shape[0] < count:
        block = _DRAWS_PER_NODE
        seeds = np.empty(block, dtype=np.int64)
        seed = RANDOM_SEED
        for i in range(block):
            seed = (_LCG_MULTIPLIER * seed + _LCG_INCREMENT) % _LCG_MODULUS
            seeds[i] = seed
        a_b, c_b = 1, 0
        for _ in range(block):
            a_b = (_LCG_MULTIPLIER * a_b) % _LCG_MODULUS
            c_b = (_LCG_MULTIPLIER * c_b + _LCG_INCREMENT) % _LCG_MODULUS
        blocks = [seeds]
        while len(blocks) * block < max(count, 2 * _stream.shape[0]):
            blocks.append((a_b * blocks[-1] + c_b) % _LCG_MODULUS)
        _stream = (np.concatenate(blocks) >> 16) & 0x7FFF
    return _stream[:count]


class _Randomizer:
    """MindAR's seeded generator, as a position in the shared random stream."""

    def __init__(self) -> None:
        self.position = 0

    def medoid_hypotheses(self, n: int) -> npt.NDArray[np.int64]:
        """(hypotheses, centers) local indexes: the first 8 items of a list of ``range(n)`` after
        each of 128 successive partial shuffles (swap item i with a random item k, i < 8) of that
        same list; draws ``k = raw % n`` are consumed in order."""
        end = self.position + _DRAWS_PER_NODE
        draws = (_random_stream(end)[self.position : end] % n).tolist()
        self.position = end
        items = list(range(n))
        chosen: list[int] = []
        for step, k in enumerate(draws):
            i = step % NUM_CENTERS
            items[i], items[k] = items[k], items[i]
            if i == NUM_CENTERS - 1:
                chosen += items[:NUM_CENTERS]
        return np.array(chosen, dtype=np.int64).reshape(NUM_ASSIGNMENT_HYPOTHESES, NUM_CENTERS)


def _k_medoids(dist: npt.NDArray[np.int16], randomizer: _Randomizer) -> npt.NDArray[np.int64]:
    """Best of the random medoid hypotheses for (n, n) distances; returns (n,) medoid per point."""
    centers = randomizer.medoid_hypotheses(dist.shape[0])  # (hypotheses, centers)
    # Distances are symmetric, so whole rows are gathered: (centers, hypotheses, n).
    to_centers = dist[centers.T]
    totals = to_centers.min(axis=0).sum(axis=1, dtype=np.int64)  # (hypotheses,)
    chosen = int(np.argmin(totals))  # first best hypothesis, like the official strict '<'
    nearest = to_centers[:, chosen].argmin(axis=0)  # (n,), first nearest centre on ties
    medoids: npt.NDArray[np.int64] = centers[chosen][nearest]
    return medoids


def _build(
    dist: npt.NDArray[np.int16],
    indexes: npt.NDArray[np.int64],
    center: int | None,
    randomizer: _Randomizer,
) -> ClusterNode:
    """Node over point ``indexes`` (n,) with global distances ``dist`` (N, N)."""
    center_key = None if center is None else str(center)
    if indexes.shape[0] > max(NUM_CENTERS, MIN_FEATURE_PER_NODE):
        medoid = _k_medoids(dist[indexes][:, indexes], randomizer)
        keys = indexes[medoid]  # (n,) global index of each point's medoid
        medoids = sorted(set(keys.tolist()))  # ascending, like integer keys of a JS object
        if len(medoids) > 1:
            children = [_build(dist, indexes[keys == key], key, randomizer) for key in medoids]
            return {"centerPointIndex": center_key, "leaf": False, "children": children}
    return {"centerPointIndex": center_key, "leaf": True, "pointIndexes": indexes.tolist()}


def build_cluster_tree(descriptors: npt.NDArray[np.uint32]) -> dict[str, ClusterNode]:
    """The ``{"rootNode": ...}`` tree over (N, 21) descriptors, as stored in a ``.mind`` file."""
    n = descriptors.shape[0]
    dist = hamming_matrix(descriptors, descriptors).astype(np.int16)  # <= 666
    return {"rootNode": _build(dist, np.arange(n, dtype=np.int64), None, _Randomizer())}


def tree_point_indexes(node: ClusterNode) -> list[int]:
    """All point indexes under ``node``, leaves left to right."""
    if node["leaf"]:
        return list(node["pointIndexes"])
    return [i for child in node["children"] for i in tree_point_indexes(child)]
