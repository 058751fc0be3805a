from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vertex_ar.core.clock import has_expired
from vertex_ar.core.db import Base, TimestampMixin, TrashMixin


class MarkerStatus(enum.StrEnum):
    pending = "pending"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class VideoStatus(enum.StrEnum):
    """The web rendition's state (`content.media_job`); the original is kept either way."""

    processing = "processing"
    ready = "ready"
    failed = "failed"


def _values(kind: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in kind]


class VideoLayout(enum.StrEnum):
    """How the rendition's frames are laid out: what the viewer's shader reads."""

    plain = "plain"
    # Colour in the left half, alpha as grey in the right half (a source with transparency).
    alpha_side_by_side = "alpha-side-by-side"


DEFAULT_CHROMA_KEY_TOLERANCE = 0.3


class ARContent(TrashMixin, TimestampMixin, Base):
    __tablename__ = "ar_content"
    __table_args__ = (
        Index("ix_ar_content_company_status", "company_id", "marker_status"),
        Index("ix_ar_content_marker_lease", "marker_status", "marker_lease_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    unique_id: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    customer_name: Mapped[str | None] = mapped_column(String(200))
    customer_email: Mapped[str | None] = mapped_column(String(320))
    customer_phone: Mapped[str | None] = mapped_column(String(50))
    portrait_key: Mapped[str] = mapped_column(String(500))
    portrait_mime: Mapped[str] = mapped_column(String(50))
    portrait_width: Mapped[int]
    portrait_height: Mapped[int]
    # The stored portrait's size, counted in the company's storage quota (0 before 0011).
    portrait_bytes: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    marker_key: Mapped[str | None] = mapped_column(String(500))
    marker_status: Mapped[MarkerStatus] = mapped_column(
        Enum(MarkerStatus, native_enum=False, length=16), default=MarkerStatus.pending
    )
    marker_error: Mapped[str | None] = mapped_column(Text)
    # One compile in flight per item: the worker that set `marker_claim` owns it while
    # `marker_lease_until` lies ahead (it renews the lease as it works); a pending item's lease
    # is its time in the queue. A lapsed lease means the work was lost and may be requeued.
    marker_claim: Mapped[str | None] = mapped_column(String(32))
    marker_lease_until: Mapped[datetime | None]
    marker_quality: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A replacement portrait waiting for its marker: the current portrait and marker keep serving
    # until its compile succeeds, which makes it the portrait (content/marker_job.py).
    next_portrait_key: Mapped[str | None] = mapped_column(String(500))
    next_portrait_mime: Mapped[str | None] = mapped_column(String(50))
    next_portrait_width: Mapped[int | None]
    next_portrait_height: Mapped[int | None]
    # Why the last replacement portrait could not be compiled (the previous one stayed).
    portrait_error: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # The viewer's tracking feel, 0 (responsive) to 1 (stable); None: the default
    # (viewer.tracking.DEFAULT_SMOOTHING).
    tracking_smoothing: Mapped[float | None] = mapped_column(Float, default=None)
    # Green-screen footage: pixels near this colour ("#rrggbb"; None: off) are keyed out by the
    # viewer's shader; the tolerance (0..1) is how near.
    chroma_key_color: Mapped[str | None] = mapped_column(String(7))
    chroma_key_tolerance: Mapped[float] = mapped_column(
        Float, default=DEFAULT_CHROMA_KEY_TOLERANCE, server_default=text("0.3")
    )

    @property
    def expired(self) -> bool:
        """Past its expiry moment now (the stored `active` flag follows with the daily job)."""
        return has_expired(self.expires_at)

    def marker_in_flight(self, now: datetime) -> bool:
        """A compile is queued or running and its lease has not lapsed."""
        return (
            self.marker_status in (MarkerStatus.pending, MarkerStatus.processing)
            and self.marker_lease_until is not None
            and self.marker_lease_until > now
        )

    # The videos outside the trash; a trashed video keeps its row until it is restored or purged.
    videos: Mapped[list[Video]] = relationship(
        back_populates="content",
        primaryjoin="and_(ARContent.id == Video.content_id, Video.deleted_at.is_(None))",
        cascade="all, delete-orphan",
        order_by="Video.id",
        lazy="selectin",
    )


class Video(TrashMixin, TimestampMixin, Base):
    __tablename__ = "videos"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(
        ForeignKey("ar_content.id", ondelete="CASCADE"), index=True
    )
    file_key: Mapped[str] = mapped_column(String(500))
    mime: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    width: Mapped[int | None]
    height: Mapped[int | None]
    thumbnail_key: Mapped[str | None] = mapped_column(String(500))
    label: Mapped[str | None] = mapped_column(String(200))
    # The uploaded file's name, cleaned (content/media.clean_filename); never part of a path.
    original_filename: Mapped[str | None] = mapped_column(String(255))
    codec: Mapped[str | None] = mapped_column(String(32))  # the upload's video codec
    # The upload itself plays in phone browsers (H.264 yuv420p in MP4/MOV): the viewer may play
    # it while the rendition is made.
    original_playable: Mapped[bool] = mapped_column(default=False, server_default=text("true"))
    # Rows from before renditions existed are `ready` without one: the viewer plays the upload.
    status: Mapped[VideoStatus] = mapped_column(
        Enum(VideoStatus, native_enum=False, length=16),
        default=VideoStatus.processing,
        server_default=VideoStatus.ready.value,
    )
    status_reason: Mapped[str | None] = mapped_column(Text)
    layout: Mapped[VideoLayout] = mapped_column(
        Enum(VideoLayout, native_enum=False, length=32, values_callable=_values),
        default=VideoLayout.plain,
        server_default=VideoLayout.plain.value,
    )
    rendition_key: Mapped[str | None] = mapped_column(String(500))
    rendition_width: Mapped[int | None]
    rendition_height: Mapped[int | None]
    rendition_bitrate: Mapped[int | None]  # bits per second over the whole file
    rendition_size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    poster_key: Mapped[str | None] = mapped_column(String(500))

    @property
    def media_keys(self) -> list[str]:
        """Every storage object of this video (original, thumbnail, rendition, poster)."""
        keys = (self.file_key, self.thumbnail_key, self.rendition_key, self.poster_key)
        return [key for key in keys if key]

    content: Mapped[ARContent] = relationship(back_populates="videos")
