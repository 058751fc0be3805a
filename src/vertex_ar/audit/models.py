from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from vertex_ar.core.db import Base, utcnow


class AuditEntry(Base):
    """One admin action. No foreign keys: an entry outlives the user, the item and (for the
    platform's own records) the company it names."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_company_created", "company_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None]
    user_id: Mapped[int | None]  # None: the platform itself (e.g. the trash purge job)
    user_email: Mapped[str | None] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(32))
    item_kind: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[int]
    item_label: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
