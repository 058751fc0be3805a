"""Migration 0010 drops `ar_content.qr_key` (never written): rows and their videos stay, SQLite
keeps AUTOINCREMENT through the table rebuild, and a downgrade brings the column back empty."""

from __future__ import annotations

from sqlalchemy import Connection, create_engine, event, inspect, text

from tests.support.backends import Backend
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings


def _schema(url: str) -> tuple[set[str], bool]:
    """ar_content's columns, and whether SQLite's ar_content table says AUTOINCREMENT."""
    engine = create_engine(sync_url(url))
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("ar_content")}
        autoincrement = False
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                sql = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'ar_content'"))
            autoincrement = "AUTOINCREMENT" in str(sql)
    finally:
        engine.dispose()
    return columns, autoincrement


def _insert(conn: Connection, table: str, with_active: bool = True, **values: object) -> int:
    """One row from SQL literals (trusted, written here), with timestamps; its id."""
    values = {"created_at": "CURRENT_TIMESTAMP", "updated_at": "CURRENT_TIMESTAMP", **values}
    if with_active:
        values["active"] = "true"
    names, literals = ", ".join(values), ", ".join(str(v) for v in values.values())
    sql = f"INSERT INTO {table} ({names}) VALUES ({literals}) RETURNING id"
    return int(conn.execute(text(sql)).scalar_one())


def test_migration_0010_drops_qr_key_and_keeps_rows(backend: Backend, settings: Settings) -> None:
    url = settings.database_url
    sqlite = backend.name == "sqlite"
    engine = create_engine(sync_url(url))
    if sqlite:  # as the app runs it: a rebuild that cascaded would take the videos along
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    with engine.begin() as conn:
        company = _insert(conn, "companies", name="'Kept'", slug="'kept-0010'", timezone="'UTC'")
        project = _insert(conn, "projects", company_id=company, name="'P'", description="''")
        content = _insert(
            conn, "ar_content", company_id=company, project_id=project, unique_id="'u-0010'",
            title="'Kept item'", portrait_key="'p.jpg'", portrait_mime="'image/jpeg'",
            portrait_width=10, portrait_height=10, marker_status="'pending'",
        )  # fmt: skip
        _insert(
            conn, "videos", content_id=content, file_key="'v.mp4'", mime="'video/mp4'",
            size_bytes=1, with_active=False,
        )  # fmt: skip
    columns, autoincrement = _schema(url)
    assert "qr_key" not in columns
    assert "portrait_key" in columns
    assert autoincrement is sqlite
    try:
        migrate.downgrade(url, "0009")
        columns, autoincrement = _schema(url)
        assert "qr_key" in columns
        assert autoincrement is sqlite
        with engine.connect() as conn:
            assert conn.scalar(text(f"SELECT qr_key FROM ar_content WHERE id = {content}")) is None
    finally:
        migrate.upgrade(url)
    columns, autoincrement = _schema(url)
    assert "qr_key" not in columns
    assert autoincrement is sqlite
    with engine.connect() as conn:
        title = conn.scalar(text(f"SELECT title FROM ar_content WHERE id = {content}"))
        assert title == "Kept item"
        videos = conn.scalar(text(f"SELECT count(*) FROM videos WHERE content_id = {content}"))
        assert videos == 1
    engine.dispose()
