"""Migration 0013 (quotas, portrait sizes, visit ids): up and down keep the rows, SQLite keeps
AUTOINCREMENT through the table rebuilds, and the visit index counts a visit once."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.exc import IntegrityError

from tests.api.test_migration_0010 import _insert
from tests.support.backends import Backend
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings

ADDED = {
    "companies": {"quota_storage_bytes", "quota_content_items", "quota_videos_per_content"},
    "ar_content": {"portrait_bytes"},
    "ar_view_sessions": {"visit_id"},
}


def _columns(url: str) -> dict[str, set[str]]:
    engine = create_engine(sync_url(url))
    try:
        inspector = inspect(engine)
        return {t: {c["name"] for c in inspector.get_columns(t)} for t in ADDED}
    finally:
        engine.dispose()


def _autoincrement(url: str) -> bool:
    engine = create_engine(sync_url(url))
    with engine.connect() as conn:
        sql = [
            conn.scalar(text(f"SELECT sql FROM sqlite_master WHERE name = '{t}'")) for t in ADDED
        ]
    engine.dispose()
    return all("AUTOINCREMENT" in str(s) for s in sql)


def test_migration_0013_up_and_down_keeps_rows(backend: Backend, settings: Settings) -> None:
    url = settings.database_url
    sqlite = backend.name == "sqlite"
    engine = create_engine(sync_url(url))
    if sqlite:
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    with engine.begin() as conn:
        company = _insert(conn, "companies", name="'Kept'", slug="'kept-0013'", timezone="'UTC'")
        project = _insert(conn, "projects", company_id=company, name="'P'", description="''")
        content = _insert(
            conn, "ar_content", company_id=company, project_id=project, unique_id="'u-0013'",
            title="'Kept item'", portrait_key="'p.jpg'", portrait_mime="'image/jpeg'",
            portrait_width=10, portrait_height=10, marker_status="'pending'",
        )  # fmt: skip
        session = {"company_id": company, "content_id": content, "device_type": "'mobile'",
                   "found": "true", "created_at": "CURRENT_TIMESTAMP"}  # fmt: skip
        names = ", ".join(session)
        values = ", ".join(str(v) for v in session.values())
        for visit in ("'a1'", "'a2'", "NULL", "NULL"):  # visits without an id are all kept
            conn.execute(text(f"INSERT INTO ar_view_sessions ({names}, visit_id) "
                              f"VALUES ({values}, {visit})"))  # fmt: skip
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(f"INSERT INTO ar_view_sessions ({names}, visit_id) "
                          f"VALUES ({values}, 'a1')"))  # fmt: skip
    with engine.connect() as conn:
        assert conn.scalar(text(f"SELECT portrait_bytes FROM ar_content WHERE id = {content}")) == 0
    assert all(ADDED[t] <= cols for t, cols in _columns(url).items())
    try:
        migrate.downgrade(url, "0012")
        assert not any(ADDED[t] & cols for t, cols in _columns(url).items())
        if sqlite:
            assert _autoincrement(url)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM ar_view_sessions")) == 4
            assert conn.scalar(text(f"SELECT title FROM ar_content WHERE id = {content}")) == (
                "Kept item"
            )
    finally:
        migrate.upgrade(url)
    assert all(ADDED[t] <= cols for t, cols in _columns(url).items())
    if sqlite:
        assert _autoincrement(url)
    engine.dispose()
