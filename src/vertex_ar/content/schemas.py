from __future__ import annotations

from datetime import datetime
from typing import Any, Self

from pydantic import EmailStr, Field, computed_field, model_validator

from vertex_ar.content.models import MarkerStatus
from vertex_ar.core.clock import has_expired
from vertex_ar.core.schemas import Schema


class VideoRead(Schema):
    id: int
    label: str | None
    original_filename: str | None = Field(description="the uploaded file's name, cleaned")
    mime: str
    size_bytes: int
    duration_seconds: float | None
    width: int | None
    height: int | None
    thumbnail_key: str | None = Field(exclude=True)  # storage keys stay inside
    created_at: datetime
    url: str | None = Field(
        default=None, description="signed download link of the uploaded file (expires)"
    )
    thumbnail_url: str | None = Field(default=None, description="signed link of its still frame")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_thumbnail(self) -> bool:
        return self.thumbnail_key is not None


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


class VideoUpdate(Schema):
    label: str | None = Field(default=None, max_length=200)
