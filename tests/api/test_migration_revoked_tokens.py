"""Migration 0011 adds `revoked_tokens` (logged-out sessions); a downgrade drops it again."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from tests.support.backends import Backend
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migration_0011_adds_and_drops_revoked_tokens(backend: Backend, settings: Settings) -> None:
    url = settings.database_url
    assert "revoked_tokens" in _tables(url)
    try:
        migrate.downgrade(url, "0010")
        tables = _tables(url)
        assert "revoked_tokens" not in tables
        assert "users" in tables
    finally:
        migrate.upgrade(url)
    assert "revoked_tokens" in _tables(url)
