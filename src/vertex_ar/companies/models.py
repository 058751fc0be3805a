from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vertex_ar.core.db import Base, TimestampMixin, TrashMixin


class Company(TrashMixin, TimestampMixin, Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    # Null means the platform's local disk (see vertex_ar.connections.routing).
    # When a compile of this company's markers last started: the worker serves the company
    # waiting longest first (content.marker_job.claim_next_marker).
    marker_served_at: Mapped[datetime | None] = mapped_column(default=None)
    storage_connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("storage_connections.id", ondelete="RESTRICT"), default=None
    )
