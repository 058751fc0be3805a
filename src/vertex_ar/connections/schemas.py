"""Connection shapes: the API's, and one validated config model per kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vertex_ar.connections.models import StorageKind
from vertex_ar.core.schemas import Schema

# What the API shows instead of a stored secret; sending it back in a PATCH keeps the secret.
MASK = "********"


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LocalConfig(_Config):
    path: str = Field(min_length=1, description="Absolute folder on the server")

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must be an absolute path")
        return value


class S3Config(_Config):
    endpoint_url: str | None = Field(
        default=None, pattern=r"^https?://", description="Empty for AWS; MinIO: http://host:9000"
    )
    bucket: str = Field(min_length=3, max_length=63, pattern=r"^[a-z0-9][a-z0-9.-]+[a-z0-9]$")
    access_key: str = Field(min_length=1)
    secret_key: str = Field(min_length=1)
    region: str = "us-east-1"
    path_style: bool = False
    prefix: str = Field(default="", max_length=200, pattern=r"^([A-Za-z0-9._-]+/)*$")
    public_base_url: str | None = Field(default=None, pattern=r"^https?://")


class YandexDiskConfig(_Config):
    token: str = Field(min_length=1)
    refresh_token: str | None = None
    base_folder: str = Field(default="app:/vertex-ar", pattern=r"^(app|disk):/[^\\]*$")

    @field_validator("base_folder")
    @classmethod
    def _no_dots(cls, value: str) -> str:
        if any(part in (".", "..") for part in value.split(":/", 1)[1].split("/")):
            raise ValueError("must not contain . or .. segments")
        return value.rstrip("/")


CONFIG_MODELS: dict[StorageKind, type[_Config]] = {
    StorageKind.local: LocalConfig,
    StorageKind.s3: S3Config,
    StorageKind.yandex_disk: YandexDiskConfig,
}
SECRET_FIELDS: dict[StorageKind, frozenset[str]] = {
    StorageKind.local: frozenset(),
    StorageKind.s3: frozenset({"access_key", "secret_key"}),
    StorageKind.yandex_disk: frozenset({"token", "refresh_token"}),
}


class ConnectionCreate(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: StorageKind
    config: dict[str, Any]


class ConnectionUpdate(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    # Merged into the stored config; secret fields left out or sent as the mask are kept.
    config: dict[str, Any] | None = None
    active: bool | None = None


class ConnectionRead(Schema):
    id: int
    name: str
    kind: StorageKind
    config: dict[str, Any] = Field(description="Secrets are masked")
    active: bool
    created_at: datetime
    updated_at: datetime


class ConnectionTestResult(Schema):
    ok: bool
    latency_ms: float | None = None
    error: str | None = None


class UsageRead(Schema):
    used_bytes: int
    total_bytes: int | None


class YandexAuthorizeRead(Schema):
    authorize_url: str
    state: str
