"""Hamming distances between packed FREAK descriptors (N, 21) uint32."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def hamming(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """Elementwise distances of broadcastable (..., 21) descriptor arrays; returns (...) int64."""
    counts: npt.NDArray[np.uint8] = np.bitwise_count(np.bitwise_xor(a, b))
    return np.asarray(counts.sum(axis=-1), dtype=np.int64)


def _as_words64(descriptors: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
    """(N, 21) uint32 to (11, N) uint64 (zero-padded); popcounts don't care how bits are grouped."""
    padded = np.zeros((descriptors.shape[0], 22), dtype=np.uint32)
    padded[:, : descriptors.shape[1]] = descriptors
    return np.ascontiguousarray(padded.view(np.uint64).T)


def hamming_matrix(a: npt.NDArray[np.uint32], b: npt.NDArray[np.uint32]) -> npt.NDArray[np.int64]:
    """All distances (N, M) int64 between (N, 21) and (M, 21) descriptors.

    One (N, M) XOR + popcount per 64-bit word: no (N, M, words) temporary and no BLAS threads.
    """
    words_a, words_b = _as_words64(a), _as_words64(b)
    total = np.zeros((a.shape[0], b.shape[0]), dtype=np.uint16)
    for wa, wb in zip(words_a, words_b, strict=True):
        total += np.bitwise_count(np.bitwise_xor(wa[:, None], wb[None, :]))
    return total.astype(np.int64)
