from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import AfterValidator, EmailStr, Field, computed_field, model_validator

from vertex_ar.content.models import MarkerStatus, VideoLayout, VideoStatus
from vertex_ar.core.clock import has_expired
from vertex_ar.core.schemas import Schema

# "#rrggbb", stored in lower case.
ChromaColor = Annotated[
    str, Field(pattern=r"^#[0-9a-fA-F]{6}$", examples=["#00ff00"]), AfterValidator(str.lower)
]
ChromaTolerance = Annotated[float, Field(ge=0, le=1, description="0: that colour only; 1: all")]


class RenditionRead(Schema):
    """The web rendition (H.264 + AAC MP4) the viewer plays."""

    width: int
    height: int
    bitrate: int = Field(description="bits per second over the whole file")
    size_bytes: int


class VideoRead(Schema):
    id: int
    label: str | None
    original_filename: str | None = Field(description="the uploaded file's name, cleaned")
    mime: str
    size_bytes: int
    duration_seconds: float | None
    width: int | None
    height: int | None
    codec: str | None
    status: VideoStatus = Field(description="of the web rendition; the upload is kept as it is")
    status_reason: str | None = Field(description="why the rendition failed")
    layout: VideoLayout
    thumbnail_key: str | None = Field(exclude=True)  # storage keys stay inside
    rendition_key: str | None = Field(exclude=True)
    rendition_width: int | None = Field(exclude=True)
    rendition_height: int | None = Field(exclude=True)
    rendition_bitrate: int | None = Field(exclude=True)
    rendition_size_bytes: int | None = Field(exclude=True)
    created_at: datetime
    url: str | None = Field(
        default=None, description="signed download link of the uploaded file (expires)"
    )
    thumbnail_url: str | None = Field(default=None, description="signed link of its still frame")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_thumbnail(self) -> bool:
        return self.thumbnail_key is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rendition(self) -> RenditionRead | None:
        return rendition_of(self)


def rendition_of(video: Any) -> RenditionRead | None:
    """The rendition's figures of a video row (or VideoRead), None until it is made."""
    if video.rendition_key is None:
        return None
    return RenditionRead(
        width=video.rendition_width or 0,
        height=video.rendition_height or 0,
        bitrate=video.rendition_bitrate or 0,
        size_bytes=video.rendition_size_bytes or 0,
    )


SMOOTHING_DOC = (
    "the viewer's tracking feel: 0 follows the print at once (some jitter), 1 holds the video "
    "still (some lag when the phone moves); null: the default, 0.5"
)


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
    next_portrait_key: str | None = Field(exclude=True)
    portrait_error: str | None = Field(
        description="why the last replacement portrait could not be compiled (the previous "
        "portrait and marker stayed)"
    )
    expires_at: datetime | None
    tracking_smoothing: float | None = Field(description=SMOOTHING_DOC)
    # What the viewer does now: off once the expiry moment has passed, before the daily job
    # switches the item off for good.
    active: bool
    expired: bool = False
    chroma_key_color: str | None
    chroma_key_tolerance: float
    created_at: datetime
    updated_at: datetime
    videos: list[VideoRead]
    viewer_url: str | None = Field(default=None, description="the printed QR code's address")
    portrait_url: str | None = Field(default=None, description="signed download link (expires)")
    links_expire_at: datetime | None = Field(
        default=None, description="when portrait_url and the videos' links stop working"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def portrait_replacement_pending(self) -> bool:
        """A new portrait waits for its marker; the current one serves until then."""
        return self.next_portrait_key is not None

    @model_validator(mode="after")
    def _expiry_now(self) -> Self:
        if has_expired(self.expires_at):
            self.expired = True
            self.active = False
        return self


class ContentFields(Schema):
    """The form fields of a new AR content item (files come separately)."""

    project_id: int
    title: str = Field(min_length=1, max_length=300)
    expires_at: datetime | None = None
    customer_name: str | None = Field(default=None, max_length=200)
    customer_email: EmailStr | None = None
    customer_phone: str | None = Field(default=None, max_length=50)
    tracking_smoothing: float | None = Field(
        default=None, ge=0, le=1, description=SMOOTHING_DOC, allow_inf_nan=False
    )
    chroma_key_color: ChromaColor | None = None
    chroma_key_tolerance: ChromaTolerance | None = None  # None: the default


class ContentUpdate(Schema):
    title: str | None = Field(default=None, min_length=1, max_length=300)
    expires_at: datetime | None = None
    customer_name: str | None = Field(default=None, max_length=200)
    customer_email: EmailStr | None = None
    customer_phone: str | None = Field(default=None, max_length=50)
    active: bool | None = None
    tracking_smoothing: float | None = Field(
        default=None, ge=0, le=1, description=SMOOTHING_DOC, allow_inf_nan=False
    )
    chroma_key_color: ChromaColor | None = Field(default=None, description="null: no chroma key")
    chroma_key_tolerance: ChromaTolerance | None = None


class VideoUpdate(Schema):
    label: str | None = Field(default=None, max_length=200)
