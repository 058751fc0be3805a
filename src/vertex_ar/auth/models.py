from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vertex_ar.core.db import Base


class RevokedToken(Base):
    """A token ended by logging out before its expiry. Only that session ends: the account's
    other tokens (another browser, an API script) live on. A row is useless once the token has
    expired by itself; each logout deletes those."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
