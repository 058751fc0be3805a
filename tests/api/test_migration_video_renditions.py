"""Migration 0015 adds the renditions' columns to `videos` and the chroma key to
`ar_content`: a video from before is `ready`, `plain` and playable as uploaded (the viewer keeps
playing its upload), rows survive up/down/up, and SQLite keeps AUTOINCREMENT."""

from __future__ import annotations

from sqlalchemy import create_engine, event, inspect, text

from tests.api.test_migration_0010 import _insert
from tests.support.backends import Backend
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings

VIDEO_COLUMNS = {"status", "status_reason", "layout", "rendition_key", "poster_key", "codec"}
CONTENT_COLUMNS = {"chroma_key_color", "chroma_key_tolerance"}


def _columns(url: str, table: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return {c["name"] for c in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def _autoincrement(url: str, table: str) -> bool:
    engine = create_engine(sync_url(url))
    try:
        if engine.dialect.name != "sqlite":
            return False
        with engine.connect() as conn:
            sql = conn.scalar(text(f"SELECT sql FROM sqlite_master WHERE name = '{table}'"))
        return "AUTOINCREMENT" in str(sql)
    finally:
        engine.dispose()


def test_migration_0015_up_down_up(backend: Backend, settings: Settings) -> None:
    url = settings.database_url
    sqlite = backend.name == "sqlite"
    migrate.downgrade(url, "0014")
    try:
        assert not VIDEO_COLUMNS & _columns(url, "videos")
        assert not CONTENT_COLUMNS & _columns(url, "ar_content")
        engine = create_engine(sync_url(url))
        if sqlite:  # as the app runs it: a rebuild that cascaded would take the videos along
            event.listen(engine, "connect", lambda conn, _: conn.execute("PRAGMA foreign_keys=ON"))
        with engine.begin() as conn:
            company = _insert(
                conn, "companies", name="'Kept'", slug="'kept-0015'", timezone="'UTC'"
            )
            project = _insert(conn, "projects", company_id=company, name="'P'", description="''")
            content = _insert(
                conn, "ar_content", company_id=company, project_id=project, unique_id="'u-0015'",
                title="'Old item'", portrait_key="'p.jpg'", portrait_mime="'image/jpeg'",
                portrait_width=10, portrait_height=10, marker_status="'ready'",
            )  # fmt: skip
            video = _insert(
                conn, "videos", content_id=content, file_key="'v.mp4'", mime="'video/mp4'",
                size_bytes=1, with_active=False,
            )  # fmt: skip
        migrate.upgrade(url)
        assert _columns(url, "videos") >= VIDEO_COLUMNS
        assert _columns(url, "ar_content") >= CONTENT_COLUMNS
        with engine.connect() as conn:
            old = conn.execute(
                text(
                    "SELECT status, layout, original_playable, rendition_key FROM videos "
                    f"WHERE id = {video}"
                )
            ).one()
            assert (old.status, old.layout, bool(old.original_playable)) == ("ready", "plain", True)
            assert old.rendition_key is None
            chroma = conn.execute(
                text(
                    "SELECT chroma_key_color, chroma_key_tolerance FROM ar_content "
                    f"WHERE id = {content}"
                )
            ).one()
            assert tuple(chroma) == (None, 0.3)

        migrate.downgrade(url, "0014")
        assert not VIDEO_COLUMNS & _columns(url, "videos")
        assert not CONTENT_COLUMNS & _columns(url, "ar_content")
        assert _autoincrement(url, "videos") is sqlite
        assert _autoincrement(url, "ar_content") is sqlite
        with engine.connect() as conn:
            assert conn.scalar(text(f"SELECT file_key FROM videos WHERE id = {video}")) == "v.mp4"
        engine.dispose()
    finally:
        migrate.upgrade(url)
    assert _columns(url, "videos") >= VIDEO_COLUMNS
