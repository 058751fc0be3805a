"""Tracking keyframes: the points MindAR's tracker follows from frame to frame."""

from vertex_ar.markers.tracker.extract import extract_points, tracking_frame

__all__ = ["extract_points", "tracking_frame"]
