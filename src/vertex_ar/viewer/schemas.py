from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vertex_ar.analytics.schemas import ViewSessionIn
from vertex_ar.content.models import VideoLayout, VideoStatus
from vertex_ar.content.schemas import RenditionRead


class ChromaKeyRead(BaseModel):
    color: str = Field(description='"#rrggbb": pixels near it are keyed out')
    tolerance: float = Field(description="0..1: how near")


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
    status: VideoStatus = Field(
        description="of the web rendition: `url` is the rendition once `ready`, the upload before"
    )
    playable: bool = Field(
        description="`url` plays in phone browsers; false: the video is being prepared (or its "
        "conversion failed) and there is nothing to play yet"
    )
    url: str
    mime: str
    width: int | None = Field(description="pixels of the video at `url`")
    height: int | None
    duration: float | None = Field(description="seconds")
    layout: VideoLayout = Field(
        description="`alpha-side-by-side`: colour in the left half, alpha as grey in the right"
    )
    chroma_key: ChromaKeyRead | None = Field(description="the content's green-screen key")
    rendition: RenditionRead | None = Field(description="the rendition's figures once ready")
    poster: str | None = Field(description="URL of a small still frame of the video")
    poster_url: str | None = Field(
        description="URL of a full-size still frame (the rendition's; the small one before)"
    )
    marker_url: str = Field(description="URL of the MindAR .mind file of the print")
    target_width: int = Field(description="pixels of the print's image; the plane keeps its aspect")
    target_height: int
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
