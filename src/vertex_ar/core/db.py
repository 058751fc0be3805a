"""Database: one declarative base; async engines for SQLite (embedded) and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, MetaData, String, event, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upsert_insert(session: AsyncSession, model: type[Base]) -> sqlite.Insert | postgresql.Insert:
    """INSERT for `model` with ON CONFLICT clauses, in the session's SQL dialect (both have one)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012 - SQLAlchemy reads it


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class TrashMixin:
    """Soft delete: a row in the trash has `deleted_at` (and who put it there) until it is
    restored or purged. `trashed_with` names the parent kind ("project", "company") whose
    deletion took the row along: the trash lists only the rows deleted on their own, and
    restoring the parent brings back exactly the rows it took."""

    deleted_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    deleted_by_user_id: Mapped[int | None] = mapped_column(default=None)
    trashed_with: Mapped[str | None] = mapped_column(String(16), default=None)

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


def _enable_sqlite_foreign_keys(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: object, _record: object) -> None:
        cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()


def ensure_sqlite_folder(url: str) -> None:
    """SQLite creates the file but not its folder (./var on a first run)."""
    if url.startswith("sqlite"):
        db_path = url.split(":///", 1)[-1]
        if db_path and db_path != ":memory:":
            Path(db_path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: str, *, pooled: bool = True, busy_timeout: float = 10.0) -> AsyncEngine:
    """An async engine; `pooled=False` for short-lived processes (worker tasks, CLI).
    `busy_timeout`: seconds a SQLite statement waits for another connection's lock."""
    if url.startswith("sqlite"):
        ensure_sqlite_folder(url)
        # Pooled (SQLAlchemy's default pool for the URL): each new aiosqlite connection costs a
        # thread, an open and the pragmas (~1/3 of a cold viewer request's CPU when every session
        # opened one).
        engine = (
            create_async_engine(url) if pooled else create_async_engine(url, poolclass=NullPool)
        )
        _enable_sqlite_foreign_keys(engine.sync_engine, round(busy_timeout * 1000))
        return engine
    if pooled:
        return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
    return create_async_engine(url, poolclass=NullPool)


def sync_url(url: str) -> str:
    """The same database for synchronous tools (Alembic, Kombu): drop the async driver."""
    return url.replace("sqlite+aiosqlite", "sqlite").replace("postgresql+asyncpg", "postgresql")


class Database:
    """An engine and its session factory; the app and each worker process own one.

    Every mapped table must be imported (`vertex_ar.models`) before the first flush, which sorts
    rows by foreign keys: the entry points (app, worker, CLI, migrations) do that.
    """

    def __init__(self, url: str, *, pooled: bool = True, busy_timeout: float = 10.0) -> None:
        self.engine = make_engine(url, pooled=pooled, busy_timeout=busy_timeout)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    async def dispose(self) -> None:
        await self.engine.dispose()
