from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vertex_ar.core.db import Base, TimestampMixin


class MarkerStatus(enum.StrEnum):
    pending = "pending"
    processing = "processing"
    ready = "ready"
    failed = "failed"


class ARContent(TimestampMixin, Base):
    __tablename__ = "ar_content"
    __table_args__ = (Index("ix_ar_content_company_status", "company_id", "marker_status"),)

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
    marker_key: Mapped[str | None] = mapped_column(String(500))
    marker_status: Mapped[MarkerStatus] = mapped_column(
        Enum(MarkerStatus, native_enum=False, length=16), default=MarkerStatus.pending
    )
    marker_error: Mapped[str | None] = mapped_column(Text)
    marker_quality: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    qr_key: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime | None] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(default=True)

    videos: Mapped[list[Video]] = relationship(
        back_populates="content",
        cascade="all, delete-orphan",
        order_by="Video.id",
        lazy="selectin",
    )


class Video(TimestampMixin, Base):
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

    content: Mapped[ARContent] = relationship(back_populates="videos")


class RotationType(enum.StrEnum):
    date_specific = "date_specific"
    daily_cycle = "daily_cycle"
    random_daily = "random_daily"


class VideoRotationRule(TimestampMixin, Base):
    __tablename__ = "video_rotation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    content_id: Mapped[int] = mapped_column(
        ForeignKey("ar_content.id", ondelete="CASCADE"), unique=True
    )
    type: Mapped[RotationType] = mapped_column(Enum(RotationType, native_enum=False, length=32))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    default_video_id: Mapped[int | None] = mapped_column(
        ForeignKey("videos.id", ondelete="SET NULL")
    )
