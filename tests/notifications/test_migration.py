"""Migration 0006: the notification tables, exactly as the models declare them, up and down."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from tests.support.backends import Backend
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.models import Base

TABLES = ("notification_settings", "notifications", "notification_events", "notification_outbox")


def _schema(url: str) -> dict[str, tuple[set[str], set[str]]]:
    engine = create_engine(sync_url(url))
    try:
        found = inspect(engine)
        return {
            table: (
                {c["name"] for c in found.get_columns(table)},
                {u["name"] for u in found.get_unique_constraints(table) if u["name"]},
            )
            for table in found.get_table_names()
            if table.startswith("notification")
        }
    finally:
        engine.dispose()


def test_0006_matches_the_models_up_and_down(backend: Backend) -> None:
    declared = {
        name: (
            {c.name for c in Base.metadata.tables[name].columns},
            {c.name for c in Base.metadata.tables[name].constraints
             if c.__class__.__name__ == "UniqueConstraint" and c.name},
        )
        for name in TABLES
    }  # fmt: skip
    assert _schema(backend.database_url) == declared
    try:
        migrate.downgrade(backend.database_url, "0005")
        assert set(_schema(backend.database_url)) == {"notifications"}
        assert "channel" in _schema(backend.database_url)["notifications"][0]
    finally:
        migrate.upgrade(backend.database_url)
    assert _schema(backend.database_url) == declared
    if backend.name == "sqlite":
        engine = create_engine(sync_url(backend.database_url))
        with engine.connect() as conn:
            for table in TABLES:
                sql = conn.scalar(text(f"SELECT sql FROM sqlite_master WHERE name = '{table}'"))
                assert "AUTOINCREMENT" in str(sql), table
        engine.dispose()
