"""deploy/backup/backup.sh against the real PostgreSQL of this machine: a restorable dump, a media
archive, pruning of old backups, nothing half-written left behind."""

from __future__ import annotations

import os
import subprocess
import tarfile
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.backends import PG_URL, REQUIRE_SERVICES

SCRIPT = Path(__file__).parents[2] / "deploy" / "backup" / "backup.sh"


@pytest.fixture
def pg_env() -> dict[str, str]:
    url = make_url(PG_URL)
    env = {
        **os.environ,
        "PGHOST": url.host or "127.0.0.1",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "postgres",
        "PGDATABASE": "postgres",
    }
    if url.password:
        env["PGPASSWORD"] = url.password
    try:
        psycopg.connect(
            host=env["PGHOST"], port=env["PGPORT"], user=env["PGUSER"], dbname="postgres",
            password=url.password, connect_timeout=3,
        ).close()  # fmt: skip
    except psycopg.Error as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return env


def test_backup_dumps_archives_and_prunes(tmp_path: Path, pg_env: dict[str, str]) -> None:
    backups, media = tmp_path / "backups", tmp_path / "media"
    (media / "1" / "videos").mkdir(parents=True)
    (media / "1" / "videos" / "clip.mp4").write_bytes(b"\x00" * 1000)
    backups.mkdir()
    old = backups / "vertex_ar-db-20000101T000000Z.dump"
    old.write_bytes(b"old")
    month_ago = time.time() - 30 * 86400
    os.utime(old, (month_ago, month_ago))

    env = {**pg_env, "BACKUP_DIR": str(backups), "MEDIA_DIR": str(media), "BACKUP_KEEP_DAYS": "14"}
    done = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr

    files = sorted(p.name for p in backups.iterdir())
    assert not old.exists()
    dumps = [f for f in files if f.endswith(".dump")]
    archives = [f for f in files if f.endswith(".tar.gz")]
    assert len(dumps) == 1 and len(archives) == 1 and len(files) == 2, files
    listing = subprocess.run(
        ["pg_restore", "--list", str(backups / dumps[0])],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "dbname: postgres" in listing.stdout
    with tarfile.open(backups / archives[0]) as archive:
        assert "./1/videos/clip.mp4" in archive.getnames()


def test_a_failed_dump_leaves_nothing(tmp_path: Path, pg_env: dict[str, str]) -> None:
    env = {**pg_env, "BACKUP_DIR": str(tmp_path), "PGDATABASE": "no_such_database_here"}
    done = subprocess.run(["sh", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert list(tmp_path.iterdir()) == []
