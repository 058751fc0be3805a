"""The rotation rule of an AR content item: which of its videos plays on a given day."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from vertex_ar.core.db import Base, TimestampMixin


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
