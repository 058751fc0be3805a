"""Notifications: per-company settings, the inbox, the events already told, and the outbox.

- `NotificationSettings`: a company's recipients (emails, Telegram chats), warning thresholds and
  language. No row: the defaults (no recipients, thresholds 7 and 1 days, English).
- `Notification`: one message to one company (the inbox), e.g. the day's expiry warnings.
  `key` makes it unique: the same message is never made twice.
- `NotificationEvent`: an event about one item that a message has told, keyed per
  (event, item, threshold): an item is warned once per threshold, however often the job runs.
- `OutboxDelivery`: one message to one recipient on one channel; a sender claims it with a lease,
  sends it, marks it sent; failures come back after a backoff, up to a maximum of attempts.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vertex_ar.core.db import Base, utcnow

DEFAULT_WARNING_DAYS = (7, 1)


class Channel(enum.StrEnum):
    email = "email"
    telegram = "telegram"


class DeliveryStatus(enum.StrEnum):
    pending = "pending"  # due at next_attempt_at
    sending = "sending"  # claimed by a sender until lease_until
    sent = "sent"
    failed = "failed"  # gave up: attempts used up, or a permanent refusal
    skipped = "skipped"  # the channel is not configured on this platform (no SMTP_HOST, no token)


class NotificationSettings(Base):
    __tablename__ = "notification_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    telegram_chat_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    expiry_warning_days: Mapped[list[int]] = mapped_column(JSON, default=list)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a message to the platform's operators (OPERATOR_EMAILS, ...), in no company's inbox.
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(50))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    deliveries: Mapped[list[OutboxDelivery]] = relationship(
        order_by="OutboxDelivery.id", lazy="selectin", viewonly=True
    )


class NotificationEvent(Base):
    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )


class OutboxDelivery(Base):
    __tablename__ = "notification_outbox"
    __table_args__ = (Index("ix_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    # None: a message to the platform's operators (OPERATOR_EMAILS, ...), in no company's inbox.
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    # The notification's key, the channel and the recipient: one delivery each, ever.
    key: Mapped[str] = mapped_column(String(600), unique=True)
    channel: Mapped[Channel] = mapped_column(Enum(Channel, native_enum=False, length=16))
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=16), default=DeliveryStatus.pending
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
