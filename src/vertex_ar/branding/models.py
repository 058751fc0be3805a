from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from vertex_ar.core.db import Base, TimestampMixin


class CompanyBranding(TimestampMixin, Base):
    """How a company's viewer pages look; absent row = the platform's defaults."""

    __tablename__ = "company_branding"

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True
    )
    logo_key: Mapped[str | None] = mapped_column(String(500))
    logo_mime: Mapped[str | None] = mapped_column(String(50))
    accent_color: Mapped[str | None] = mapped_column(String(7))  # #rrggbb
    start_text: Mapped[str | None] = mapped_column(String(200))
    # A custom domain for this company's QR codes and links (else the platform's PUBLIC_BASE_URL).
    public_base_url: Mapped[str | None] = mapped_column(String(300))
