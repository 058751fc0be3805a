from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from vertex_ar.analytics.schemas import ViewSessionIn


class Tracking(BaseModel):
    """MindAR's one-euro filter for this content (see viewer.service.tracking_filter)."""

    responsiveness: int = Field(description="0 = steadiest, 100 = follows fastest")
    filter_min_cf: float
    filter_beta: float


class ChromaKey(BaseModel):
    color: str = Field(description="#rrggbb made transparent")
    tolerance: float = Field(description="0-1: how far from the colour still counts as it")


@dataclass(frozen=True)
class ViewerPage:
    """A company's look on its viewer pages and the print's public address."""

    company_name: str
    public_url: str
    logo_url: str | None = None
    accent_color: str | None = None  # validated #rrggbb
    start_text: str | None = None


class ActiveVideoRead(BaseModel):
    """What the viewer needs to play now. URLs are signed and valid until ``urls_expire_at``."""

    unique_id: str
    title: str
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
    rendition_size_bytes: int | None = Field(description="bytes of the file the viewer plays")
    rendition_bitrate: int | None = Field(description="bits per second of that file")
    alpha_packing: str | None = Field(
        description="side_by_side: colour left, alpha right; the viewer's shader combines them"
    )
    chroma_key: ChromaKey | None
    tracking: Tracking
    urls_expire_at: datetime


def session_body_schema() -> dict[str, Any]:
    """The OpenAPI request body of track-session, which validates its raw body itself (beacons
    arrive as text/plain). DeviceType is a component already (the analytics overview uses it);
    other nested definitions are written inline."""
    schema = ViewSessionIn.model_json_schema(ref_template="#/components/schemas/{model}")
    definitions = schema.pop("$defs", {})
    prefix = "#/components/schemas/"

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.removeprefix(prefix)
            if ref.startswith(prefix) and name in definitions and name != "DeviceType":
                return inline(definitions[name])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    result: dict[str, Any] = inline(schema)
    return result
