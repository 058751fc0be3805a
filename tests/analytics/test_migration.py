"""Migrations of the view sessions: 0003 (the covering analytics index, exactly as the model
declares it) and 0014 (the engine start-up column, the companies' branding, the content's
tracking smoothing), up and down."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from tests.support.backends import Backend
from vertex_ar.analytics.models import ARViewSession
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url


def _indexes(url: str) -> dict[str, list[str]]:
    engine = create_engine(sync_url(url))
    try:
        found = inspect(engine).get_indexes("ar_view_sessions")
    finally:
        engine.dispose()
    return {ix["name"]: list(ix["column_names"]) for ix in found if ix["name"]}


def test_covering_index_up_and_down(backend: Backend) -> None:
    declared = {ix.name: [c.name for c in ix.columns] for ix in ARViewSession.__table__.indexes}
    assert _indexes(backend.database_url) == declared
    try:
        migrate.downgrade(backend.database_url, "0002")
        assert _indexes(backend.database_url) == {
            "ix_ar_view_sessions_company_time": ["company_id", "created_at"],
            "ix_ar_view_sessions_content_time": ["content_id", "created_at"],
        }
    finally:
        migrate.upgrade(backend.database_url)
    assert _indexes(backend.database_url) == declared


def _columns(url: str, table: str = "ar_view_sessions") -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


BRANDING = {"logo", "logo_mime", "logo_digest", "accent_color", "start_text", "public_base_url"}


def test_migration_0014_up_and_down(backend: Backend) -> None:
    """0014 adds `engine_start_ms`, the companies' branding and the content's
    `tracking_smoothing`; down drops them and keeps the indexes."""
    url = backend.database_url
    declared = {ix.name: [c.name for c in ix.columns] for ix in ARViewSession.__table__.indexes}
    assert "engine_start_ms" in _columns(url)
    assert _columns(url, "companies") >= BRANDING
    try:
        migrate.downgrade(url, "0013")
        assert "engine_start_ms" not in _columns(url)
        assert "mode" in _columns(url)
        assert _indexes(url) == declared
        assert not BRANDING & _columns(url, "companies")
        assert "timezone" in _columns(url, "companies")
        assert "tracking_smoothing" not in _columns(url, "ar_content")
    finally:
        migrate.upgrade(url)
    assert "engine_start_ms" in _columns(url)
    assert "tracking_smoothing" in _columns(url, "ar_content")
    assert _columns(url, "companies") >= BRANDING
