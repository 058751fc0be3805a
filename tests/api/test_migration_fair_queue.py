"""Migration 0016 adds `companies.marker_served_at` (the fair marker queue's turn order) and
`worker_heartbeats.pool_seen_at` (stuck pools): companies stay, and a downgrade drops both
columns and keeps SQLite's AUTOINCREMENT ids."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from tests.api.test_migration_0010 import _insert
from tests.support.backends import Backend
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings


def _company_columns(url: str) -> tuple[set[str], bool]:
    """Company columns plus the heartbeat's (prefixed), and SQLite's AUTOINCREMENT on companies."""
    engine = create_engine(sync_url(url))
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("companies")}
        columns |= {
            f"worker_heartbeats.{c['name']}"
            for c in inspect(engine).get_columns("worker_heartbeats")
        }
        autoincrement = False
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                sql = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'companies'"))
            autoincrement = "AUTOINCREMENT" in str(sql)
    finally:
        engine.dispose()
    return columns, autoincrement


def test_migration_0016_up_and_down_keeps_companies(backend: Backend, settings: Settings) -> None:
    url = settings.database_url
    sqlite = backend.name == "sqlite"
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        company = _insert(conn, "companies", name="'Kept'", slug="'kept-0016'", timezone="'UTC'")
    assert {"marker_served_at", "worker_heartbeats.pool_seen_at"} <= _company_columns(url)[0]
    try:
        migrate.downgrade(url, "0015")
        columns, autoincrement = _company_columns(url)
        assert "marker_served_at" not in columns
        assert "worker_heartbeats.pool_seen_at" not in columns
        assert "worker_heartbeats.seen_at" in columns
        assert autoincrement is sqlite
    finally:
        migrate.upgrade(url)
    assert {"marker_served_at", "worker_heartbeats.pool_seen_at"} <= _company_columns(url)[0]
    with engine.connect() as conn:
        name = conn.scalar(text(f"SELECT name FROM companies WHERE id = {company}"))
        served = conn.scalar(text(f"SELECT marker_served_at FROM companies WHERE id = {company}"))
    assert (name, served) == ("Kept", None)
    engine.dispose()
