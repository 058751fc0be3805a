from __future__ import annotations

from datetime import datetime
from zoneinfo import available_timezones

from pydantic import Field, field_validator

from vertex_ar.core.schemas import Schema

_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _check_timezone(value: str | None) -> str | None:
    if value is not None and value not in available_timezones():
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Moscow)")
    return value


class CompanyCreate(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=100, pattern=_SLUG)
    timezone: str = "UTC"

    _tz = field_validator("timezone")(_check_timezone)


class CompanyUpdate(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    slug: str | None = Field(default=None, max_length=100, pattern=_SLUG)
    timezone: str | None = None
    active: bool | None = None
    # Only while the company has no content; see `vertex-ar storage migrate`.
    storage_connection_id: int | None = None
    # Quotas (see GET /api/companies/{id}/usage); null: back to the platform's default.
    quota_storage_bytes: int | None = Field(default=None, ge=0, le=2**62)
    quota_content_items: int | None = Field(default=None, ge=0, le=2**31 - 1)
    quota_videos_per_content: int | None = Field(default=None, ge=0, le=2**31 - 1)

    _tz = field_validator("timezone")(_check_timezone)


class BrandingUpdate(Schema):
    """The viewer's start screen and links for this company; null restores the default."""

    accent_color: str | None = Field(
        default=None, pattern=r"^#[0-9a-fA-F]{6}$", description="#rrggbb: buttons, spinner"
    )
    start_text: str | None = Field(
        default=None, min_length=1, max_length=300, description="replaces the start screen's hint"
    )
    public_base_url: str | None = Field(
        default=None,
        max_length=300,
        pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$",
        description="the company's own domain in its QR codes and viewer links",
        examples=["https://ar.example.com"],
    )

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value


class CompanyDelete(Schema):
    """The company's name, repeated: required when the company has content."""

    confirm: str | None = None


class CompanyRead(Schema):
    id: int
    name: str
    slug: str
    active: bool
    timezone: str
    storage_connection_id: int | None
    # The company's own quotas; null: the platform's default (its usage shows the limit in force).
    quota_storage_bytes: int | None
    quota_content_items: int | None
    quota_videos_per_content: int | None
    accent_color: str | None
    start_text: str | None
    public_base_url: str | None
    logo_digest: str | None = Field(description="changes with the logo; null: no logo")
    created_at: datetime
