"""Migration 0012 adds the replacement portrait columns to `ar_content`, `label` /
`original_filename` to `videos` and `not_before` to `storage_pending_deletes`, all nullable:
rows stay, SQLite keeps AUTOINCREMENT through the table rebuilds, and a downgrade removes
exactly these columns."""

from __future__ import annotations

from sqlalchemy import create_engine, event, inspect, text

from tests.api.test_migration_0010 import _insert
from tests.support.backends import Backend
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings

CONTENT_COLUMNS = {"next_portrait_key", "next_portrait_mime", "next_portrait_width",
                   "next_portrait_height", "portrait_error"}  # fmt: skip
VIDEO_COLUMNS = {"label", "original_filename"}
DELETE_COLUMNS = {"not_before"}


def _columns(url: str) -> tuple[set[str], set[str], set[str], bool]:
    engine = create_engine(sync_url(url))
    try:
        inspector = inspect(engine)
        content = {c["name"] for c in inspector.get_columns("ar_content")}
        videos = {c["name"] for c in inspector.get_columns("videos")}
        deletes = {c["name"] for c in inspector.get_columns("storage_pending_deletes")}
        autoincrement = True
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                for table in ("ar_content", "videos", "storage_pending_deletes"):
                    sql = conn.scalar(text(f"SELECT sql FROM sqlite_master WHERE name = '{table}'"))
                    autoincrement &= "AUTOINCREMENT" in str(sql)
    finally:
        engine.dispose()
    return content, videos, deletes, autoincrement


def test_migration_0012_up_and_down_keeps_rows(backend: Backend, settings: Settings) -> None:
    url = settings.database_url
    engine = create_engine(sync_url(url))
    if backend.name == "sqlite":  # as the app runs it: a rebuild that cascaded would lose videos
        event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
    try:
        migrate.downgrade(url, "0012")  # later migrations add columns of their own
        content, videos, deletes, autoincrement = _columns(url)
        assert content >= CONTENT_COLUMNS and videos >= VIDEO_COLUMNS and autoincrement
        assert deletes >= DELETE_COLUMNS
        migrate.downgrade(url, "0011")
        with engine.begin() as conn:
            company = _insert(conn, "companies", name="'Kept'", slug="'kept-0012'",
                              timezone="'UTC'")  # fmt: skip
            project = _insert(conn, "projects", company_id=company, name="'P'", description="''")
            item = _insert(
                conn, "ar_content", company_id=company, project_id=project, unique_id="'u-0012'",
                title="'Kept item'", portrait_key="'p.jpg'", portrait_mime="'image/jpeg'",
                portrait_width=10, portrait_height=10, marker_status="'ready'",
            )  # fmt: skip
            _insert(conn, "videos", content_id=item, file_key="'v.mp4'", mime="'video/mp4'",
                    size_bytes=1, with_active=False)  # fmt: skip
        down_content, down_videos, down_deletes, autoincrement = _columns(url)
        assert content - down_content == CONTENT_COLUMNS and videos - down_videos == VIDEO_COLUMNS
        assert deletes - down_deletes == DELETE_COLUMNS
        assert autoincrement
        migrate.upgrade(url, "0012")
        assert _columns(url) == (content, videos, deletes, True)
    finally:
        migrate.upgrade(url)
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT title, next_portrait_key, portrait_error FROM ar_content WHERE id = :id"),
            {"id": item},
        ).one()
        assert tuple(row) == ("Kept item", None, None)
        video = conn.execute(
            text("SELECT label, original_filename FROM videos WHERE content_id = :id"), {"id": item}
        ).one()
        assert tuple(video) == (None, None)
    engine.dispose()
