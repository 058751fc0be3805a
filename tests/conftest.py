"""Shared fixtures: every platform test runs on SQLite and, when reachable, PostgreSQL + Redis.

TEST_DATABASE_URL / TEST_REDIS_URL point at the real servers; TEST_REQUIRE_SERVICES=1 (CI) turns
an unreachable server into a failure instead of a skip.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from vertex_ar.core import migrate

REQUIRE_SERVICES = os.environ.get("TEST_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    broker_url: str  # empty: the embedded filesystem broker
    cache_url: str  # empty: no cache (embedded); production keeps the cache apart from the broker


def _unavailable(what: str, exc: Exception) -> None:
    message = f"{what} unreachable: {exc}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (TEST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def _cache_url(broker_url: str) -> str:
    """The cache on the same Redis server as the broker, one database number below it."""
    db = int(redis.connection.parse_url(broker_url).get("db", 0))
    return broker_url.rsplit("/", 1)[0] + f"/{(db - 1) % 16}"


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("sqlite")
        url = f"sqlite+aiosqlite:///{folder / 'vertex_ar.db'}"
        migrate.upgrade(url)
        yield Backend("sqlite", url, "", "")
        return

    try:
        conninfo = _admin_conninfo(PG_URL)
        admin = psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
        broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        broker.ping()
    except (psycopg.Error, redis.RedisError) as exc:
        _unavailable("PostgreSQL/Redis", exc)
        return
    name = f"vertex_ar_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    broker.flushdb()
    try:
        migrate.upgrade(url)
        yield Backend("postgresql", url, REDIS_URL, _cache_url(REDIS_URL))
    finally:
        broker.flushdb()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def empty_all_tables(database_url: str) -> None:
    from vertex_ar.core.db import sync_url
    from vertex_ar.core.models import Base

    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    engine.dispose()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(backend: Backend, data_dir: Path) -> Iterator[object]:
    from vertex_ar.core.settings import Settings

    yield Settings(
        env="test",
        database_url=backend.database_url,
        celery_broker_url=backend.broker_url,
        redis_cache_url=backend.cache_url,
        data_dir=data_dir,
        storage_root=data_dir / "storage",
        log_json=True,
        password_hash_profile="cheap",  # users are made by the dozen; ENV=test only
        _env_file=None,  # type: ignore[call-arg]
    )
    empty_all_tables(backend.database_url)
    for url in (backend.broker_url, backend.cache_url):  # nothing leaks into the next test
        if url:
            redis.Redis.from_url(url).flushdb()


@pytest.fixture
async def app(settings: object) -> AsyncIterator[object]:
    from vertex_ar.app import create_app

    application = create_app(settings)  # type: ignore[arg-type]
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: object) -> AsyncIterator[object]:
    import httpx

    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
