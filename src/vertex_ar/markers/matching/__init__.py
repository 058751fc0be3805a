"""Matching keyframes of a ``.mind`` file: detected points plus their k-medoids cluster trees."""

from vertex_ar.markers.format import js_number
from vertex_ar.markers.matching.clustering import (
    MIN_FEATURE_PER_NODE,
    NUM_ASSIGNMENT_HYPOTHESES,
    NUM_CENTERS,
    ClusterNode,
    build_cluster_tree,
    tree_point_indexes,
)
from vertex_ar.markers.matching.hamming import hamming, hamming_matrix
from vertex_ar.markers.matching.keyframe import matching_keyframe

__all__ = [
    "MIN_FEATURE_PER_NODE",
    "NUM_ASSIGNMENT_HYPOTHESES",
    "NUM_CENTERS",
    "ClusterNode",
    "build_cluster_tree",
    "hamming",
    "hamming_matrix",
    "js_number",
    "matching_keyframe",
    "tree_point_indexes",
]
