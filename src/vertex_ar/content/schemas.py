from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, EmailStr, Field, computed_field

from vertex_ar.content.models import AlphaPacking, MarkerStatus, VideoStatus
from vertex_ar.core.schemas import Schema


class RenditionRead(BaseModel):
    """The web rendition phones play (H.264 + AAC in MP4, faststart)."""

    width: int = Field(description="of the picture; a side-by-side alpha file is twice as wide")
    height: int
    size_bytes: int
    bitrate: int = Field(description="bits per second")
    alpha_packing: AlphaPacking | None
    download_url: str


class VideoRead(Schema):
    id: int
    content_id: int = Field(exclude=True)
    label: str | None
    original_name: str | None
    mime: str
    size_bytes: int
    duration_seconds: float | None
    width: int | None
    height: int | None
    thumbnail_key: str | None = Field(exclude=True)  # storage keys stay inside
    status: VideoStatus = Field(description="processing → ready, or failed (see status_reason)")
    status_reason: str | None
    rendition_key: str | None = Field(exclude=True)
    rendition_size_bytes: int | None = Field(exclude=True)
    rendition_bitrate: int | None = Field(exclude=True)
    rendition_width: int | None = Field(exclude=True)
    rendition_height: int | None = Field(exclude=True)
    alpha_packing: AlphaPacking | None = Field(exclude=True)
    created_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_thumbnail(self) -> bool:
        return self.thumbnail_key is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def download_url(self) -> str:
        """The original file, as uploaded (its own name)."""
        return f"/api/ar-content/{self.content_id}/videos/{self.id}/download"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rendition(self) -> RenditionRead | None:
        if self.rendition_key is None or self.rendition_size_bytes is None:
            return None
        return RenditionRead(
            width=self.rendition_width or 0,
            height=self.rendition_height or 0,
            size_bytes=self.rendition_size_bytes,
            bitrate=self.rendition_bitrate or 0,
            alpha_packing=self.alpha_packing,
            download_url=f"{self.download_url}?rendition=true",
        )


class VideoUpdate(Schema):
    label: str | None = Field(default=None, max_length=200)


class ContentRead(Schema):
    id: int
    unique_id: str
    company_id: int
    project_id: int
    title: str
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    portrait_mime: str
    portrait_width: int
    portrait_height: int
    marker_status: MarkerStatus
    marker_error: str | None
    marker_quality: dict[str, Any] | None
    expires_at: datetime | None
    active: bool
    tracking_responsiveness: int = Field(description="0 = steadiest tracking, 100 = fastest")
    chroma_key_color: str | None
    chroma_key_tolerance: float | None
    viewer_url: str = Field(default="", description="the page the QR code opens")
    created_at: datetime
    updated_at: datetime
    videos: list[VideoRead]


class ContentFields(Schema):
    """The form fields of a new AR content item (files come separately)."""

    project_id: int
    title: str = Field(min_length=1, max_length=300)
    expires_at: datetime | None = None
    customer_name: str | None = Field(default=None, max_length=200)
    customer_email: EmailStr | None = None
    customer_phone: str | None = Field(default=None, max_length=50)


class ContentUpdate(Schema):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    expires_at: datetime | None = None
    customer_name: str | None = Field(default=None, max_length=200)
    customer_email: EmailStr | None = None
    customer_phone: str | None = Field(default=None, max_length=50)
    active: bool | None = None
    tracking_responsiveness: int | None = Field(
        default=None, ge=0, le=100, description="0 = steadiest tracking, 100 = follows fastest"
    )
    chroma_key_color: str | None = Field(
        default=None, pattern=r"^#[0-9a-fA-F]{6}$", description="green screen: this colour"
    )
    chroma_key_tolerance: float | None = Field(default=None, ge=0.01, le=1.0)
