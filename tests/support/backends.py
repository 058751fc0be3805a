"""The servers platform tests run against: SQLite alone, or PostgreSQL + Redis when reachable.

TEST_DATABASE_URL / TEST_REDIS_URL point at the real servers; TEST_REQUIRE_SERVICES=1 (CI) turns
an unreachable server into a failure instead of a skip.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
REQUIRE_SERVICES = os.environ.get("TEST_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_DATABASE_URL)
REDIS_URL = os.environ.get("TEST_REDIS_URL", DEFAULT_TEST_REDIS_URL)


@dataclass(frozen=True)
class Backend:
    name: str
    database_url: str
    broker_url: str  # empty: the embedded filesystem broker
    cache_url: str  # empty: no cache (embedded); production keeps the cache apart from the broker


def unavailable(what: str, exc: Exception) -> None:
    message = f"{what} unreachable: {exc}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (TEST_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def cache_url(broker_url: str) -> str:
    """The cache on the same Redis server as the broker, one database number below it."""
    db = int(redis.connection.parse_url(broker_url).get("db", 0))
    return broker_url.rsplit("/", 1)[0] + f"/{(db - 1) % 16}"


def admin_conninfo(url: str) -> str:
    """A psycopg connection string for creating and dropping databases next to `url`'s."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def empty_all_tables(database_url: str) -> None:
    from vertex_ar.core.db import sync_url
    from vertex_ar.models import Base

    engine = create_engine(sync_url(database_url))
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    engine.dispose()
