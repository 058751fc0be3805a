from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vertex_ar.core.db import Base, TimestampMixin, utcnow


class StorageKind(enum.StrEnum):
    local = "local"
    s3 = "s3"
    yandex_disk = "yandex_disk"


class StorageConnection(TimestampMixin, Base):
    """Where a company's media lives. Secret config fields are kept apart, encrypted."""

    __tablename__ = "storage_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[StorageKind] = mapped_column(Enum(StorageKind, native_enum=False, length=16))
    # The non-secret part of the config (endpoint, bucket, path, folder...).
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    # A Fernet token of the JSON of the secret fields (keys, tokens); None when there are none.
    secrets_token: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)
    # A failing backend: when the health probes first failed in a row that has not recovered
    # (None: healthy), and the last probe's error. The storage check job keeps them.
    outage_since: Mapped[datetime | None]
    outage_error: Mapped[str | None] = mapped_column(Text)


class PendingDelete(Base):
    """An object that could not be deleted (backend down), or is to be deleted later; the
    periodic task deletes it.

    `connection_id` None means the platform's own local storage.
    """

    __tablename__ = "storage_pending_deletes"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("storage_connections.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Not before this moment: a replaced file stays while links signed before still work.
    not_before: Mapped[datetime | None]
