from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from vertex_ar.core.schemas import Schema

HEX_COLOR = r"^#[0-9a-fA-F]{6}$"


class BrandingUpdate(Schema):
    """Fields left out stay as they are; null clears one (the platform's default applies)."""

    accent_color: str | None = Field(default=None, pattern=HEX_COLOR, examples=["#e4007c"])
    start_text: str | None = Field(default=None, max_length=200)
    public_base_url: str | None = Field(
        default=None,
        max_length=300,
        description="https://ar.example.com: this company's QR codes and viewer links use it",
    )

    @field_validator("public_base_url")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) address such as https://ar.example.com")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("must be a plain address without query, fragment or credentials")
        return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


class BrandingRead(Schema):
    company_id: int
    accent_color: str | None
    start_text: str | None
    public_base_url: str | None
    has_logo: bool
