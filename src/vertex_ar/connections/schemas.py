"""Connection shapes: the API's, and one validated config model per kind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from vertex_ar.connections.crypto import SecretsUnreadable, decrypt_secrets
from vertex_ar.connections.models import StorageConnection, StorageKind
from vertex_ar.core.schemas import Schema
from vertex_ar.core.settings import Settings

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
    """A connection as the API shows it. Validate a `StorageConnection` with the settings in the
    context (`model_validate(row, context=reading(settings))`): its stored secrets are decrypted
    only to tell which are set, and each shows as the mask (None where it is not set)."""

    id: int
    name: str
    kind: StorageKind
    config: dict[str, Any] = Field(description="Secrets are masked")
    active: bool
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _mask_secrets(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, StorageConnection):
            return data
        settings = (info.context or {}).get("settings")
        if not isinstance(settings, Settings):
            raise TypeError("ConnectionRead needs context=reading(settings) to mask secrets")
        secrets = SECRET_FIELDS[data.kind]
        try:
            hidden = decrypt_secrets(settings, data.secrets_token)
        except SecretsUnreadable:
            hidden = dict.fromkeys(secrets, MASK)
        masked = {name: MASK if hidden.get(name) else None for name in secrets}
        return {
            "id": data.id,
            "name": data.name,
            "kind": data.kind,
            "config": {**data.config, **masked},
            "active": data.active,
            "created_at": data.created_at,
            "updated_at": data.updated_at,
        }


def reading(settings: Settings) -> dict[str, Any]:
    """The validation context of `ConnectionRead`."""
    return {"settings": settings}


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
