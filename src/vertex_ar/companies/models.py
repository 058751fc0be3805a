from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
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
    storage_connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("storage_connections.id", ondelete="RESTRICT"), default=None
    )
    # Quotas; None: the platform's default (QUOTA_* settings). See vertex_ar.quotas.
    quota_storage_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    quota_content_items: Mapped[int | None] = mapped_column(default=None)
    quota_videos_per_content: Mapped[int | None] = mapped_column(default=None)
