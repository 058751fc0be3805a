from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String
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
    # Quotas; None: the platform's default (QUOTA_* settings). See vertex_ar.quotas.
    quota_storage_bytes: Mapped[int | None] = mapped_column(BigInteger, default=None)
    quota_content_items: Mapped[int | None] = mapped_column(default=None)
    quota_videos_per_content: Mapped[int | None] = mapped_column(default=None)
    # Branding on the viewer's start screen. The logo is small (companies.service.MAX_LOGO_BYTES)
    # and lives in the row, outside any storage backend, so that moving the company's storage
    # or restoring a backup takes it along; read only by the logo's own route (deferred).
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True, default=None)
    logo_mime: Mapped[str | None] = mapped_column(String(20), default=None)
    logo_digest: Mapped[str | None] = mapped_column(String(16), default=None)  # its URL version
    accent_color: Mapped[str | None] = mapped_column(String(7), default=None)  # "#rrggbb"
    start_text: Mapped[str | None] = mapped_column(String(300), default=None)
    # The address in this company's QR codes and viewer links (its own domain); None: the
    # platform's PUBLIC_BASE_URL.
    public_base_url: Mapped[str | None] = mapped_column(String(300), default=None)
