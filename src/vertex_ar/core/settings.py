"""Settings from the environment and `.env`; one object, read once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Defaults that make a first run work; production refuses to start with them.
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105
DEV_ADMIN_PASSWORD = "admin-change-me"  # noqa: S105


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    secret_key: str = DEV_SECRET_KEY
    log_level: str = "INFO"
    log_json: bool = True

    # Embedded default: SQLite in ./var; production: postgresql+psycopg://...
    database_url: str = "sqlite+aiosqlite:///var/vertex_ar.db"
    # Empty: the embedded filesystem broker under DATA_DIR; production: redis://...
    celery_broker_url: str = ""
    # Cache for hot lookups (active video); empty disables it. Kept apart from the broker.
    redis_cache_url: str = ""
    data_dir: Path = Path("var")
    storage_root: Path = Path("var/storage")
    public_base_url: str = "http://127.0.0.1:8000"

    admin_email: str = "admin@vertex-ar.local"
    admin_password: str = DEV_ADMIN_PASSWORD

    access_token_minutes: int = Field(default=24 * 60, gt=0)

    max_image_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    max_video_bytes: int = Field(default=500 * 1024 * 1024, gt=0)
    upload_chunk_bytes: int = Field(default=1024 * 1024, gt=0)

    marker_max_side: int = Field(default=1600, ge=128)
    worker_heartbeat_seconds: int = Field(default=15, gt=0)
    expiry_check_seconds: int = Field(default=24 * 3600, gt=0)

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> Settings:
        if self.env == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError("SECRET_KEY must be set to a random value of 32+ characters")
            if self.admin_password == DEV_ADMIN_PASSWORD:
                raise ValueError("ADMIN_PASSWORD must be changed from the default")
        return self

    @property
    def broker_url(self) -> str:
        return self.celery_broker_url or "filesystem://"

    @property
    def embedded_broker(self) -> bool:
        return not self.celery_broker_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
