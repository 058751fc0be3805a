"""Revision 0002 on a database with data: SQLite rebuilds `companies` in batch mode, which must
not cascade into the tenants' rows; the new foreign key holds; downgrade keeps the data too."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import make_url

from tests.support.backends import PG_URL, Backend, admin_conninfo
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url


@pytest.fixture
def fresh_url(backend: Backend, tmp_path: Path) -> Iterator[str]:
    if backend.name == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    name = f"vertex_ar_mig2_{secrets.token_hex(4)}"
    admin = psycopg.connect(admin_conninfo(PG_URL), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _engine(url: str) -> sa.Engine:
    engine = create_engine(sync_url(url))
    if url.startswith("sqlite"):
        # As the app runs it: foreign keys on (Alembic's own connection has them off).
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    return engine


def test_0002_keeps_rows_and_enforces_the_foreign_key(fresh_url: str) -> None:
    migrate.upgrade(fresh_url, "0001")
    engine = _engine(fresh_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO companies (id, name, slug, active, timezone) "
                "VALUES (1, 'Alpha', 'alpha', true, 'UTC')"
            )
        )
        conn.execute(text(
            "INSERT INTO projects (id, company_id, name, description, active) "
            "VALUES (1, 1, 'Launch', '', true)"
        ))  # fmt: skip

    migrate.upgrade(fresh_url, "0002")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM projects")).scalar_one() == 1
        assert conn.execute(text("SELECT slug FROM companies")).scalar_one() == "alpha"
    foreign_keys = inspect(engine).get_foreign_keys("companies")
    assert [(fk["referred_table"], fk["constrained_columns"]) for fk in foreign_keys] == [
        ("storage_connections", ["storage_connection_id"])
    ]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(text("UPDATE companies SET storage_connection_id = 999 WHERE id = 1"))
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO storage_connections (id, name, kind, config, active) "
            "VALUES (5, 'disk', 'local', '{\"path\": \"/srv\"}', true)"
        ))  # fmt: skip
        conn.execute(text("UPDATE companies SET storage_connection_id = 5 WHERE id = 1"))
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(text("DELETE FROM storage_connections WHERE id = 5"))  # in use

    migrate.downgrade(fresh_url, "0001")
    inspector = inspect(engine)
    assert "storage_connections" not in inspector.get_table_names()
    assert inspector.get_foreign_keys("companies") == []
    with engine.begin() as conn:
        assert conn.execute(text("SELECT count(*) FROM projects")).scalar_one() == 1
        assert conn.execute(text("SELECT storage_connection_id FROM companies")).scalar_one() == 5
    migrate.upgrade(fresh_url)  # the dangling id is cleared: NULL is the platform's disk
    with engine.begin() as conn:
        cleared = conn.execute(text("SELECT storage_connection_id FROM companies")).scalar_one()
        assert cleared is None
        assert conn.execute(text("SELECT count(*) FROM projects")).scalar_one() == 1
    engine.dispose()
