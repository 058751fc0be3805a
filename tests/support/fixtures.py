"""The fixtures every test directory shares, registered once by the root conftest
(`pytest_plugins`): a backend, settings, the app and an HTTP client, a superadmin and two tenants,
test videos.

Every platform test runs on SQLite with the embedded broker and, when reachable, on PostgreSQL +
Redis (see tests/support/backends.py).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from tests.support import media
from tests.support.api import Api
from tests.support.backends import (
    PG_URL,
    REDIS_URL,
    Backend,
    admin_conninfo,
    cache_url,
    empty_all_tables,
    unavailable,
)
from tests.support.tenants import Tenant, create_superadmin, make_tenant
from vertex_ar.core import migrate
from vertex_ar.core.settings import Settings


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
        admin = psycopg.connect(admin_conninfo(PG_URL), autocommit=True, connect_timeout=3)
        broker = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        broker.ping()
    except (psycopg.Error, redis.RedisError) as exc:
        unavailable("PostgreSQL/Redis", exc)
        return
    name = f"vertex_ar_test_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    broker.flushdb()
    try:
        migrate.upgrade(url)
        yield Backend("postgresql", url, REDIS_URL, cache_url(REDIS_URL))
    finally:
        broker.flushdb()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(backend: Backend, data_dir: Path) -> Iterator[Settings]:
    yield Settings(
        env="test",
        database_url=backend.database_url,
        celery_broker_url=backend.broker_url,
        redis_cache_url=backend.cache_url,
        data_dir=data_dir,
        storage_root=data_dir / "storage",
        log_json=True,
        password_hash_profile="cheap",  # users are made by the dozen; ENV=test only
        allow_private_storage_endpoints=True,  # MinIO and the fake servers run on loopback
        _env_file=None,  # type: ignore[call-arg]
    )
    empty_all_tables(backend.database_url)
    for url in (backend.broker_url, backend.cache_url):  # nothing leaks into the next test
        if url:
            redis.Redis.from_url(url).flushdb()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    from vertex_ar.app import create_app

    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def superadmin(app: FastAPI, client: httpx.AsyncClient) -> Api:
    return await create_superadmin(app, client)


@pytest.fixture
async def tenant_a(superadmin: Api) -> Tenant:
    return await make_tenant(superadmin, "Alpha Prints")


@pytest.fixture
async def tenant_b(superadmin: Api) -> Tenant:
    return await make_tenant(superadmin, "Beta Posters")


@pytest.fixture(scope="session")
def mp4_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return media.video(tmp_path_factory.mktemp("video") / "clip.mp4")


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Two short test videos of different shapes (landscape 160×120, portrait 96×160)."""
    folder = tmp_path_factory.mktemp("clips")
    return [
        media.video(folder / "a.mp4", seconds=1.0, size="160x120"),
        media.video(folder / "b.mp4", seconds=1.0, size="96x160"),
    ]
