from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


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
    urls_expire_at: datetime
