"""`vertex-ar backup ...` through the real command line, on SQLite and PostgreSQL: content made
through the API is backed up, the database emptied and the media deleted, restored, and the viewer
serves the same content and the same bytes; tampering is detected; a database holding rows is not
replaced without --force; a failed backup leaves nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from tests.support.backends import Backend, admin_conninfo, empty_all_tables
from tests.support.content import ready_content, storage_files
from tests.support.tenants import Tenant
from vertex_ar.core import migrate
from vertex_ar.core.settings import Settings
from vertex_ar.rotation.cache import PREFIX as ROTATION_PREFIX
from vertex_ar.viewer.answers import Generations, generation_file

# The migrations' head, which a backup of a current database records.
HEAD = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()


def _cli(settings: Settings, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "ENV": "test",
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "STORAGE_ROOT": str(settings.storage_root),
        "REDIS_CACHE_URL": settings.redis_cache_url,
        "CELERY_BROKER_URL": settings.celery_broker_url,
        "LOG_JSON": "true",
        **extra,
    }
    cwd = settings.data_dir.parent  # no stray .env
    return subprocess.run(
        [sys.executable, "-m", "vertex_ar.cli", "backup", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _ok(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@asynccontextmanager
async def _served(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A freshly started app on the same settings, as an operator restarts it after a restore."""
    from vertex_ar.app import create_app

    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


async def _what_the_viewer_serves(http: httpx.AsyncClient, unique_id: str) -> dict[str, Any]:
    page = await http.get(f"/ar/{unique_id}")
    assert page.status_code == 200, page.text
    assert f"/api/ar/{unique_id}/active-video" in page.text
    answer = await http.get(f"/api/ar/{unique_id}/active-video")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    served = {k: body[k] for k in ("video_id", "title", "mime", "width", "height", "duration")}
    for link in ("url", "poster", "marker_url"):
        fetched = await http.get(body[link])
        assert fetched.status_code == 200, link
        served[f"{link}_sha256"] = _sha(fetched.content)
    return served


async def _status(settings: Settings, unique_id: str) -> int:
    async with _served(settings) as http:
        return (await http.get(f"/api/ar/{unique_id}/active-video")).status_code


def _drop_schema(url: str) -> None:
    with psycopg.connect(admin_conninfo(url), autocommit=True) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


def _assert_no_cached_rotation(backend: Backend) -> None:
    if backend.cache_url:  # the answers that follow come from the restored database
        assert redis.Redis.from_url(backend.cache_url).keys(f"{ROTATION_PREFIX}:*") == []


async def test_backup_then_restore_serves_the_same_content_and_files(
    app: FastAPI,
    backend: Backend,
    settings: Settings,
    client: httpx.AsyncClient,
    tenant_a: Tenant,
    clips: list[bytes],
    tmp_path: Path,
) -> None:
    content = await ready_content(app, tenant_a, clips, title="Golden wedding")
    uid = content["unique_id"]
    before = await _what_the_viewer_serves(client, uid)
    generations = Generations(settings.redis_cache_url, generation_file(settings))
    assert before["url_sha256"] == _sha(clips[0])
    media_before = {p.relative_to(settings.storage_root): _sha(p.read_bytes())
                    for p in storage_files(settings)}  # fmt: skip
    assert len(media_before) >= 4  # portrait, thumbnail, two videos, marker

    backups = tmp_path / "backups"
    created = _ok(_cli(settings, "create", "--dir", str(backups)))
    path = Path(created["path"])
    assert path.parent == backups and path.is_dir()
    assert created["database"] == backend.name
    assert created["alembic_revision"] == HEAD
    assert created["row_counts"]["ar_content"] == 1
    assert created["row_counts"]["videos"] == 2
    assert created["media"]["objects"] == len(media_before)
    dump = path / created["database_file"]["name"]
    assert created["database_file"]["sha256"] == _sha(dump.read_bytes())
    manifest = json.loads((path / "manifest.json").read_text())
    assert created["manifest_sha256"] == _sha((path / "manifest.json").read_bytes())
    assert {item["key"]: item["sha256"] for item in manifest["media"]} == {
        str(key): digest for key, digest in media_before.items()
    }
    assert [p.name for p in backups.iterdir() if not p.name.startswith(".")] == [path.name]
    if backend.name == "postgresql":
        listing = subprocess.run(
            ["pg_restore", "--list", str(dump)], capture_output=True, text=True, check=True
        )
        assert "TABLE DATA public ar_content" in listing.stdout  # a custom-format dump

    listed = _cli(settings, "list", "--dir", str(backups), "--json")
    assert [b["name"] for b in _ok(listed)] == [path.name]
    table = _cli(settings, "list", "--dir", str(backups))
    assert path.name in table.stdout and HEAD in table.stdout

    # Something made after the backup: a restore must not silently throw it away.
    later = await ready_content(app, tenant_a, clips[:1], title="Made after the backup")
    refused = _cli(settings, "restore", str(path))
    assert refused.returncode == 1
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert "ar_content (2)" in refused.stderr
    assert (await client.get(f"/api/ar/{later['unique_id']}/active-video")).status_code == 200

    # Disaster: every media file gone, and the database emptied (SQLite) or its schema dropped
    # (PostgreSQL: as a database created afresh, no migrations run).
    if backend.name == "postgresql":
        _drop_schema(settings.database_url)
    else:
        empty_all_tables(settings.database_url)
    shutil.rmtree(settings.storage_root)
    if backend.name == "sqlite":
        assert await _status(settings, uid) == 404

    generation_before = await generations.current()
    restored = _ok(_cli(settings, "restore", str(path)))
    assert restored["row_counts"]["ar_content"] == 1
    assert restored["media"]["restored"] == len(media_before)
    assert restored["next"] is None
    media_after = {p.relative_to(settings.storage_root): _sha(p.read_bytes())
                   for p in storage_files(settings)}  # fmt: skip
    assert media_after == media_before
    _assert_no_cached_rotation(backend)  # restore dropped the choices naming old ids
    # ...and the web processes' kept answers (links to the replaced rows): the generation moved.
    assert await generations.current() != generation_before
    await generations.aclose()
    async with _served(settings) as http:
        assert await _what_the_viewer_serves(http, uid) == before
        gone = await http.get(f"/api/ar/{later['unique_id']}/active-video")
        assert gone.status_code == 404  # not in the backup
        # The tenant's admin account is back: the token issued before the backup works.
        me = await http.get("/api/auth/me", headers=tenant_a.admin.headers)
        assert me.status_code == 200, me.text


async def test_force_replaces_a_database_holding_rows(
    app: FastAPI,
    backend: Backend,
    settings: Settings,
    tenant_a: Tenant,
    clips: list[bytes],
    tmp_path: Path,
) -> None:
    content = await ready_content(app, tenant_a, clips[:1])
    path = Path(_ok(_cli(settings, "create", "--dir", str(tmp_path / "b")))["path"])
    later = await ready_content(app, tenant_a, clips[1:])

    forced = _ok(_cli(settings, "restore", str(path), "--force"))
    assert forced["row_counts"]["ar_content"] == 1
    assert (
        forced["media"]["unchanged"] == forced["media"]["restored"] + forced["media"]["unchanged"]
    )  # every file was still there
    _assert_no_cached_rotation(backend)
    assert await _status(settings, content["unique_id"]) == 200
    assert await _status(settings, later["unique_id"]) == 404


async def test_verify_detects_tampering(
    app: FastAPI, settings: Settings, tenant_a: Tenant, clips: list[bytes], tmp_path: Path
) -> None:
    await ready_content(app, tenant_a, clips)
    path = Path(_ok(_cli(settings, "create", "--dir", str(tmp_path / "b")))["path"])

    verified = _ok(_cli(settings, "verify", str(path)))
    assert verified["ok"] is True and verified["problems"] == []
    assert verified["row_counts"]["ar_content"] == 1  # counted in the scratch database
    if settings.database_url.startswith("postgresql"):
        scratch = make_url(settings.database_url).database
        assert scratch is not None  # the scratch database was dropped again:
        _assert_no_scratch_databases(settings.database_url, scratch)

    video = next(p for p in (path / "media").rglob("*.mp4"))
    original = video.read_bytes()
    video.write_bytes(original[:100] + bytes([original[100] ^ 0xFF]) + original[101:])
    tampered = _cli(settings, "verify", str(path))
    assert tampered.returncode == 1
    assert f"{video.relative_to(path).as_posix()}: checksum mismatch" in tampered.stderr
    assert "does not verify: 1 problem(s)" in tampered.stderr
    video.write_bytes(original)

    manifest_file = path / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["row_counts"]["videos"] = 3
    manifest_file.write_text(json.dumps(manifest))
    counted = _cli(settings, "verify", str(path))
    assert counted.returncode == 1
    assert "table videos: 2 row(s) after restoring, manifest says 3" in counted.stderr

    # A tampered media file is not restored, and the database is left alone.
    video.write_bytes(b"not the video")
    lost = settings.storage_root / video.relative_to(path / "media")
    lost.unlink()
    manifest["row_counts"]["videos"] = 2
    manifest_file.write_text(json.dumps(manifest))
    refused = _cli(settings, "restore", str(path), "--force")
    assert refused.returncode == 1
    assert "checksum mismatch" in refused.stderr and "database left as it was" in refused.stderr
    assert not lost.exists() and not list(lost.parent.glob(".*.part"))


def _assert_no_scratch_databases(url: str, name: str) -> None:
    with psycopg.connect(admin_conninfo(url), autocommit=True) as admin:
        rows = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", (f"{name[:40]}_verify_%",)
        ).fetchall()
    assert rows == []


def test_a_failed_backup_leaves_nothing(
    backend: Backend, settings: Settings, tmp_path: Path
) -> None:
    backups = tmp_path / "backups"
    if backend.name == "sqlite":
        # (A missing file never gets here: the CLI refuses to run on no database at all.)
        (tmp_path / "broken.db").write_bytes(b"not an SQLite file")
        broken = f"sqlite+aiosqlite:///{tmp_path / 'broken.db'}"
        expected = "the database cannot be read: file is not a database"
    else:
        broken = make_url(settings.database_url).set(database="no_such_database_here")
        broken = broken.render_as_string(hide_password=False)
        expected = "the database cannot be read: connection failed"
        assert "no_such_database_here" in broken
    done = _cli(settings, "create", "--dir", str(backups), DATABASE_URL=broken)
    assert done.returncode == 1
    assert expected in done.stderr
    assert '"event": "backup.failed"' in done.stderr  # the failure hook logged it
    assert [p.name for p in backups.iterdir()] == [".lock"]
    assert done.stdout == ""


def test_verify_and_restore_name_what_is_not_a_backup(settings: Settings, tmp_path: Path) -> None:
    done = _cli(settings, "verify", str(tmp_path))
    assert done.returncode == 1 and "is not a backup: no manifest.json" in done.stderr
    done = _cli(settings, "restore", str(tmp_path / "nowhere"))
    assert done.returncode == 1 and "is not a backup" in done.stderr


def test_unchanged_media_are_shared_with_the_previous_backup(
    settings: Settings, tmp_path: Path
) -> None:
    kept, changed = (
        settings.storage_root / "1/videos/kept.mp4",
        settings.storage_root / "1/qr/c.png",
    )
    for path, data in ((kept, os.urandom(50_000)), (changed, b"first version")):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    folder = tmp_path / "b"
    first = _ok(_cli(settings, "create", "--dir", str(folder)))
    assert first["media"]["linked_to_previous_backup"] == 0
    # Made yesterday (retention keeps one backup per day: the newest).
    yesterday = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    first_path = folder / yesterday.strftime("vertex_ar-%Y%m%dT%H%M%SZ")
    Path(first["path"]).rename(first_path)
    manifest = json.loads((first_path / "manifest.json").read_text())
    manifest.update(name=first_path.name, created_at=yesterday.isoformat())
    (first_path / "manifest.json").write_text(json.dumps(manifest))
    changed.write_bytes(b"second version")  # same key, other bytes: must not be linked
    second = _ok(_cli(settings, "create", "--dir", str(folder)))
    assert second["media"] == {"objects": 2, "bytes": 50_000 + 14, "linked_to_previous_backup": 1}
    assert second["pruned"] == []

    old, new = first_path / "media", Path(second["path"]) / "media"
    assert (new / "1/videos/kept.mp4").stat().st_ino == (old / "1/videos/kept.mp4").stat().st_ino
    assert (new / "1/qr/c.png").read_bytes() == b"second version"
    assert (old / "1/qr/c.png").read_bytes() == b"first version"
    shutil.rmtree(first_path)  # pruning the first backup leaves the second whole
    assert _ok(_cli(settings, "verify", second["path"]))["ok"] is True
