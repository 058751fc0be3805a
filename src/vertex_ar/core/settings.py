"""Settings from the environment and `.env`; one object, read once per process."""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vertex_ar.core.passwords import password_problem

# Defaults that make a first run work; production refuses to start with them.
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105
DEV_ADMIN_PASSWORD = "admin-change-me"  # noqa: S105

# Argon2 cost of new password hashes: "strong" is RFC 9106's low-memory profile (64 MiB, 3 passes);
# "cheap" (argon2's CHEAPEST) exists for the test suite, which creates users by the dozen.
PasswordHashProfile = Literal["strong", "cheap"]


def _parse_networks(value: str) -> tuple[IPv4Network | IPv6Network, ...]:
    try:
        return tuple(ip_network(part.strip()) for part in value.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"not a comma-separated list of networks (CIDR): {exc}") from exc


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
    # SQLite: how long a write waits for another connection's lock before the request answers
    # 503 with Retry-After (a backup, a migration or a long write holds it).
    sqlite_busy_timeout_seconds: float = Field(default=10.0, ge=0)
    data_dir: Path = Path("var")
    storage_root: Path = Path("var/storage")
    public_base_url: str = "http://127.0.0.1:8000"

    admin_email: str = "admin@vertex-ar.local"
    admin_password: str = DEV_ADMIN_PASSWORD

    access_token_minutes: int = Field(default=24 * 60, gt=0)
    # Login attempts, token buckets in the rate limiter: per account (any address) and per client
    # address (any account; sized for an office or a carrier NAT behind one address).
    login_account_per_minute: int = Field(default=5, gt=0)
    login_account_burst: int = Field(default=10, gt=0)
    login_ip_per_minute: int = Field(default=30, gt=0)
    login_ip_burst: int = Field(default=30, gt=0)
    password_hash_profile: PasswordHashProfile = "strong"  # noqa: S105 - a cost, not a secret

    max_image_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    max_video_bytes: int = Field(default=500 * 1024 * 1024, gt=0)
    upload_chunk_bytes: int = Field(default=1024 * 1024, gt=0)
    # Video streams are refused by the size their header declares, before a frame is decoded
    # (a decoded frame costs width × height × 3 bytes; 4096² is 48 MiB, phones record 3840×2160).
    max_video_pixels: int = Field(default=4096 * 4096, gt=0)
    # An upload that sends nothing for this long is cut off (408): a stalled client holds a
    # request slot and a temp folder, never a database connection.
    upload_idle_seconds: float = Field(default=30.0, gt=0)
    # Every request body but the multipart uploads (limited per file as they stream): JSON.
    max_json_bytes: int = Field(default=1024 * 1024, gt=0)

    # Default quotas of a company (a superadmin sets its own with PATCH /api/companies/{id}):
    # bytes of portraits and videos stored (trash included), content items outside the trash,
    # videos per content item.
    quota_storage_bytes: int = Field(default=10 * 1024**3, ge=0)
    quota_content_items: int = Field(default=1000, ge=0)
    quota_videos_per_content: int = Field(default=10, ge=0)

    # Storage backends (vertex_ar.storage). Connection secrets are Fernet-encrypted with keys from
    # STORAGE_ENCRYPTION_KEYS (comma-separated, the first encrypts; empty: derived from SECRET_KEY).
    storage_encryption_keys: str = ""
    # Whether client companies may be assigned `local` connections (the platform's own disk).
    storage_allow_local_for_companies: bool = False
    # S3 endpoints on loopback, link-local, private or metadata addresses are refused (the server
    # would fetch from its own network); true for a MinIO on the LAN.
    allow_private_storage_endpoints: bool = False
    # Folders a `local` storage connection may use (comma-separated; the folder or below, symlinks
    # followed); empty: DATA_DIR only.
    local_storage_roots: str = ""
    storage_timeout_seconds: float = Field(default=30.0, gt=0)
    # S3 multipart part size: S3 needs >= 5 MiB for all but the last part (less: test servers only).
    s3_part_bytes: int = Field(default=8 * 1024 * 1024, ge=64 * 1024)
    yandex_disk_api_url: str = "https://cloud-api.yandex.net"
    yandex_oauth_url: str = "https://oauth.yandex.ru"
    yandex_client_id: str = ""
    yandex_client_secret: str = ""

    # Longest side a portrait is scaled to before compiling (markers.DEFAULT_MAX_SIDE, benchmarked).
    marker_max_side: int = Field(default=1024, ge=128)
    # A compile's lease: renewed every third of it while the worker computes; lapsed, the item
    # is requeued (by the sweep every MARKER_SWEEP_SECONDS, or by generate-marker). A queued
    # item's lease is MARKER_QUEUE_SECONDS (the Redis visibility timeout).
    marker_lease_seconds: int = Field(default=60, ge=3)
    marker_queue_seconds: int = Field(default=3600, gt=0)
    marker_sweep_seconds: int = Field(default=60, gt=0)
    # generate-marker requests per company (token bucket).
    marker_rate_per_minute: int = Field(default=10, gt=0)
    marker_rate_burst: int = Field(default=20, gt=0)
    # Web renditions of uploaded videos (content.renditions): the long side, the bitrate (bits
    # per second, audio included) and the frame rate are capped; a conversion is stopped (the
    # video marked failed) after MEDIA_TIMEOUT_SECONDS.
    media_max_side: int = Field(default=1280, ge=128)
    media_max_bitrate: int = Field(default=2_500_000, ge=200_000)
    media_max_fps: int = Field(default=30, ge=1)
    media_timeout_seconds: float = Field(default=1800, gt=0)
    worker_heartbeat_seconds: int = Field(default=15, gt=0)
    # `vertex-ar serve` stop: how long the embedded worker may finish its task before SIGKILL
    # (its compile is then requeued once its lease lapses).
    worker_stop_grace_seconds: float = Field(default=20.0, ge=0)
    # X-Forwarded-For is believed only from these peers (comma-separated addresses or CIDRs): the
    # reverse proxy's own address. From anyone else the header is ignored, so a client cannot
    # pick the address that rate limits and analytics count it under. Compose: Nginx's address.
    forwarded_allow_ips: str = "127.0.0.1,::1"
    # A worker whose pool has run none of its pings for this long is reported stuck by the health
    # check (a ping waits behind at most one running task per pool process).
    worker_pool_stall_seconds: int = Field(default=180, gt=0)
    # /metrics answers these client networks only (comma-separated CIDRs; others get 404):
    # loopback and the private ranges a compose network or a monitoring LAN uses.
    metrics_allowed_networks: str = "127.0.0.0/8,::1/128,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
    # Anonymous /api/health/status reuses storage probes this long (a superadmin's call is fresh).
    health_probe_ttl_seconds: float = Field(default=15, ge=0)
    expiry_check_seconds: int = Field(default=24 * 3600, gt=0)
    # Deleted items stay in the trash (restorable) this many days; then Beat purges them.
    trash_retention_days: int = Field(default=30, ge=1)
    trash_purge_seconds: int = Field(default=3600, gt=0)

    # Notifications (vertex_ar.notifications): email over SMTP and Telegram's Bot API. An empty
    # SMTP_HOST or TELEGRAM_BOT_TOKEN switches that channel off (its deliveries say so).
    smtp_host: str = ""
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "Vertex AR <noreply@vertex-ar.local>"
    smtp_starttls: bool = True
    telegram_bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    # How often Beat looks for content about to expire (one message per company and day at most)
    # and how often it sends due deliveries and retries failed ones.
    expiry_warning_check_seconds: int = Field(default=3600, gt=0)
    notification_send_seconds: int = Field(default=30, gt=0)
    # The platform's operators (comma-separated), told of what is no company's business: a failed
    # backup. Empty: nobody is told (the failure is still logged).
    operator_emails: str = ""
    operator_telegram_chat_ids: str = ""
    # A failed delivery is retried after RETRY_SECONDS, then twice as long each time (at most
    # 6 hours apart), MAX_ATTEMPTS in all; a sender's claim on a delivery lasts LEASE_SECONDS.
    notification_max_attempts: int = Field(default=8, ge=1)
    notification_retry_seconds: int = Field(default=60, gt=0)
    notification_lease_seconds: int = Field(default=120, ge=2)
    notification_timeout_seconds: float = Field(default=30.0, gt=0)

    # Public viewer: signed media links expire; token buckets per client IP (Redis-backed when
    # REDIS_CACHE_URL is set, so every web process shares them; in-process otherwise).
    media_url_ttl_seconds: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    viewer_rate_per_minute: int = Field(default=120, gt=0)
    viewer_rate_burst: int = Field(default=60, gt=0)
    # View-session reports: sized for many phones behind one address (a venue's Wi-Fi, a carrier
    # NAT); a flood is held by this cap and by counting each visit id once.
    session_rate_per_minute: int = Field(default=120, gt=0)
    session_rate_burst: int = Field(default=60, gt=0)
    media_rate_per_minute: int = Field(default=1800, gt=0)
    media_rate_burst: int = Field(default=300, gt=0)
    # The viewer's AR engine (camera + tfjs) must start within this many seconds of the Start tap;
    # past it, the video plays in the plain player (slow phones compile tfjs shaders for minutes).
    viewer_engine_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Behind the project's Nginx only: for media on the platform's local disk, /media checks the
    # link and answers `X-Accel-Redirect: /_media/<key>`; Nginx sends the file (sendfile, Range).
    media_x_accel: bool = False
    # MindAR and three.js are served from the npm-installed packages in this folder.
    node_modules_dir: Path = Path("node_modules")

    # Backups (`vertex-ar backup ...`, vertex_ar.backups): one folder per backup under BACKUP_DIR
    # (empty: DATA_DIR/backups). BACKUP_SCHEDULE: when Beat makes one: `off`, `hourly`, `daily`
    # (03:00 UTC), `weekly` (Sunday 03:00 UTC) or five crontab fields in UTC ("30 2 * * *").
    # After each backup, the newest of each of the last KEEP_DAILY days, KEEP_WEEKLY ISO weeks and
    # KEEP_MONTHLY months are kept; older ones are deleted.
    backup_dir: str = ""
    backup_schedule: str = "daily"
    backup_keep_daily: int = Field(default=7, ge=1)
    backup_keep_weekly: int = Field(default=4, ge=0)
    backup_keep_monthly: int = Field(default=12, ge=0)

    @field_validator("metrics_allowed_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        _parse_networks(value)
        return value

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies_parse(cls, value: str) -> str:
        try:
            _parse_networks(value)
        except ValueError as exc:
            raise ValueError(f"FORWARDED_ALLOW_IPS: {exc}; '*' is not accepted") from exc
        return value

    @property
    def metrics_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        return _parse_networks(self.metrics_allowed_networks)

    @model_validator(mode="after")
    def _refuse_unsafe_values(self) -> Settings:
        if self.password_hash_profile == "cheap" and self.env != "test":  # noqa: S105
            raise ValueError("PASSWORD_HASH_PROFILE=cheap is for the test suite only (ENV=test)")
        if self.env == "production":
            if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 32:
                raise ValueError("SECRET_KEY must be set to a random value of 32+ characters")
            if self.admin_password == DEV_ADMIN_PASSWORD:
                raise ValueError("ADMIN_PASSWORD must be changed from the default")
            if problem := password_problem(self.admin_password):
                raise ValueError(f"ADMIN_PASSWORD: {problem}")
        return self

    @property
    def local_roots(self) -> tuple[Path, ...]:
        roots = [Path(p.strip()) for p in self.local_storage_roots.split(",") if p.strip()]
        return tuple(roots) or (self.data_dir,)

    @property
    def backups_dir(self) -> Path:
        return Path(self.backup_dir) if self.backup_dir else self.data_dir / "backups"

    @property
    def broker_url(self) -> str:
        return self.celery_broker_url or "filesystem://"

    @property
    def embedded_broker(self) -> bool:
        return not self.celery_broker_url


@lru_cache
def get_settings() -> Settings:
    return Settings()
