from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import EmailStr, Field, StringConstraints, field_validator

from vertex_ar.core.schemas import Schema
from vertex_ar.notifications.models import DEFAULT_WARNING_DAYS
from vertex_ar.notifications.templates import Locale

MAX_RECIPIENTS = 20
MAX_THRESHOLDS = 10

# A numeric chat id (groups and channels are negative) or a public channel's @username.
ChatId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, pattern=r"^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$"
    ),
]
Days = Annotated[int, Field(ge=1, le=365)]


def _unique(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


class NotificationSettingsIn(Schema):
    emails: list[EmailStr] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    telegram_chat_ids: list[ChatId] = Field(default_factory=list, max_length=MAX_RECIPIENTS)
    expiry_warning_days: list[Days] = Field(
        default_factory=lambda: list(DEFAULT_WARNING_DAYS), max_length=MAX_THRESHOLDS
    )
    locale: Locale = "en"

    @field_validator("emails")
    @classmethod
    def _emails(cls, values: list[str]) -> list[str]:
        return _unique([v.lower() for v in values])

    @field_validator("telegram_chat_ids")
    @classmethod
    def _chats(cls, values: list[str]) -> list[str]:
        return _unique(values)

    @field_validator("expiry_warning_days")
    @classmethod
    def _days(cls, values: list[int]) -> list[int]:
        return sorted(set(values), reverse=True)


class NotificationSettingsRead(Schema):
    company_id: int
    emails: list[str]
    telegram_chat_ids: list[str]
    expiry_warning_days: list[int]
    locale: str
    # Whether the platform can send on each channel at all (SMTP_HOST, TELEGRAM_BOT_TOKEN set).
    channels_available: dict[str, bool]


class TestResult(Schema):
    channel: str
    recipient: str
    ok: bool
    error: str | None = None


class TestChannel(Schema):
    channel: str
    available: bool  # configured on the platform
    results: list[TestResult]
    note: str | None = None


class TestReport(Schema):
    channels: list[TestChannel]


class DeliveryRead(Schema):
    channel: str
    recipient: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    last_error: str | None


class NotificationRead(Schema):
    id: int
    company_id: int | None  # None: a message to the operators (superadmins see it)
    kind: str
    subject: str
    body: str
    payload: dict[str, Any]
    created_at: datetime
    read: bool
    read_at: datetime | None
    deliveries: list[DeliveryRead]


def present(row: Any) -> NotificationRead:
    return NotificationRead(
        id=row.id, company_id=row.company_id, kind=row.kind, subject=row.subject, body=row.body,
        payload=row.payload, created_at=row.created_at, read=row.read_at is not None,
        read_at=row.read_at, deliveries=[DeliveryRead.model_validate(d) for d in row.deliveries],
    )  # fmt: skip
