from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vertex_ar.analytics.schemas import ViewSessionIn


class VideoLayout(enum.StrEnum):
    """How the video's frames carry its picture."""

    plain = "plain"
    alpha_side_by_side = "alpha-side-by-side"  # colour left half, alpha as grey right half


class ChromaKey(BaseModel):
    """Pixels near this colour are transparent (green-screen footage)."""

    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#00ff00"])
    tolerance: float = Field(
        ge=0, le=1, description="distance in the CbCr plane keyed out entirely (0.3: its shades)"
    )


class ActiveVideoRead(BaseModel):
    """What the viewer needs to play now. URLs are signed and valid until ``urls_expire_at``."""

    unique_id: str
    title: str
    company_name: str = Field(description="shown on the start screen")
    viewer_url: str = Field(description="this page's address (the company's own domain if set)")
    logo: str | None = Field(default=None, description="URL of the company's logo")
    accent_color: str | None = Field(default=None, description="#rrggbb; None: the default")
    start_text: str | None = Field(default=None, description="the company's start-screen text")
    video_id: int
    url: str
    mime: str
    width: int | None
    height: int | None
    duration: float | None = Field(description="seconds")
    poster: str | None = Field(description="URL of a still frame of the video")
    marker_url: str = Field(description="URL of the MindAR .mind file of the print")
    target_width: int = Field(description="pixels of the print's image; the plane keeps its aspect")
    target_height: int
    layout: VideoLayout = Field(
        default=VideoLayout.plain, description="how the viewer reads the frames (the shader)"
    )
    chroma_key: ChromaKey | None = Field(default=None, description="None: no keying")
    filter_min_cf: float = Field(description="MindAR's filterMinCF (the content's smoothing)")
    filter_beta: float = Field(description="MindAR's filterBeta (the content's smoothing)")
    urls_expire_at: datetime


def session_body_schema() -> dict[str, Any]:
    """The OpenAPI request body of track-session, which validates its raw body itself (beacons
    arrive as text/plain): self-contained, its enums (device type, mode) written inline."""
    prefix = "#/components/schemas/"
    schema = ViewSessionIn.model_json_schema(ref_template=prefix + "{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.removeprefix(prefix) in defs:
                return inline(defs[ref.removeprefix(prefix)])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result
