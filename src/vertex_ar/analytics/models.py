from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vertex_ar.core.db import Base, utcnow

# Period and company first (the filter), then what the overview aggregates.
COVERED = ("company_id", "created_at", "content_id", "device_type", "found", "fps",
           "duration_seconds", "time_to_detection_ms")  # fmt: skip


class ARViewSession(Base):
    __tablename__ = "ar_view_sessions"
    # Analytics read one company's sessions in a period. The first index covers every column
    # the overview aggregates, so it never reads the table (migration 0003); its prefix also
    # orders the sessions list. benchmarks/analytics.py measures it on a million sessions.
    __table_args__ = (
        Index("ix_ar_view_sessions_company_time_cover", *COVERED),
        Index("ix_ar_view_sessions_content_time", "content_id", "created_at"),
        # One row per visit: a page's repeated or replayed reports are counted once.
        Index("ix_ar_view_sessions_content_visit", "content_id", "visit_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    content_id: Mapped[int] = mapped_column(ForeignKey("ar_content.id", ondelete="CASCADE"))
    device_type: Mapped[str] = mapped_column(String(20))
    fps: Mapped[float | None] = mapped_column(Float)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    time_to_detection_ms: Mapped[float | None] = mapped_column(Float)
    # From the Start tap to the AR engine running (camera + tracker); None before migration 0011.
    engine_start_ms: Mapped[float | None] = mapped_column(Float)
    found: Mapped[bool] = mapped_column(default=False)
    user_agent: Mapped[str | None] = mapped_column(String(500))
    # "ar" or "fallback-<why>" (analytics.schemas.ViewerMode); None before migration 0008.
    mode: Mapped[str | None] = mapped_column(String(32))
    # The page's random id for one visit (None before migration 0011 and from older pages).
    visit_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
