"""Backups at scale: `vertex-ar backup create / verify / restore` over N content rows and M MB of
local media, on SQLite and PostgreSQL: the RPO/RTO figures in the README.

    .venv/bin/python -m benchmarks.backup [--rows 10000] [--media-mb 500] [--runs 3] [--warm]
                                          [--postgres URL] [--dir FOLDER]

Each content row gets a portrait (a tenth of its media share), a video (the rest), a marker row,
a QR key and 3 view sessions; the media bytes are random (incompressible, like video). The
operations are the CLI's own functions (`vertex_ar.backups.service`). Restore runs into an emptied
database after the media were deleted, i.e. the disaster case. Before each step our files are
written back and dropped from the page cache (`posix_fadvise`), so reads come from the disk;
`--warm` skips that. PostgreSQL's own files stay cached (the database is tens of MB). Medians of
`--runs`; the 1-minute load average is printed because the machine is shared. `--dir` puts the
data and the backups on the disk to measure (default: a temp folder).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

import vertex_ar.models  # noqa: F401 - every table mapped before the first flush
from vertex_ar.analytics.models import ARViewSession
from vertex_ar.backups.service import create_backup, restore_backup, verify_backup
from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, MarkerStatus, Video
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings
from vertex_ar.models import Base
from vertex_ar.projects.models import Project

CHUNK = 2_000


@dataclass
class Row:
    label: str
    create_s: float
    verify_s: float
    restore_s: float
    backup_bytes: int


def seed(url: str, storage: Path, rows: int, media_mb: int) -> int:
    """Rows through SQL, media as files under the storage root; returns the media bytes."""
    engine = create_engine(sync_url(url))
    share = media_mb * 1024 * 1024 // max(rows, 1)
    portrait_size, video_size = max(share // 10, 1), max(share - share // 10, 1)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(Company).values(id=1, name="Bench", slug="bench"))
        conn.execute(insert(Project).values(id=1, company_id=1, name="P"))
    written = 0
    for start in range(0, rows, CHUNK):
        ids = range(start + 1, min(start + CHUNK, rows) + 1)
        contents, videos, sessions = [], [], []
        for i in ids:
            portrait, video = f"1/portraits/p{i}.png", f"1/videos/v{i}.mp4"
            for key, size in ((portrait, portrait_size), (video, video_size)):
                path = storage / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(os.urandom(size))
                written += size
            contents.append(
                {"id": i, "company_id": 1, "project_id": 1, "unique_id": secrets.token_hex(16),
                 "title": f"Poster {i}", "customer_name": "A. Customer",
                 "customer_email": "a@example.com", "portrait_key": portrait,
                 "portrait_mime": "image/png", "portrait_width": 640, "portrait_height": 480,
                 "marker_key": f"1/markers/m{i}.mind", "marker_status": MarkerStatus.ready,
                 "qr_key": f"1/qr/q{i}.png", "created_at": now, "updated_at": now}
            )  # fmt: skip
            videos.append(
                {"id": i, "content_id": i, "file_key": video, "mime": "video/mp4",
                 "size_bytes": video_size, "duration_seconds": 10.0, "width": 1280,
                 "height": 720, "created_at": now, "updated_at": now}
            )  # fmt: skip
            sessions += [
                {"company_id": 1, "content_id": i, "device_type": "mobile", "fps": 30.0,
                 "duration_seconds": 12.0, "time_to_detection_ms": 800.0, "found": True,
                 "user_agent": "bench", "created_at": now}
                for _ in range(3)
            ]  # fmt: skip
        with engine.begin() as conn:
            conn.execute(insert(ARContent), contents)
            conn.execute(insert(Video), videos)
            conn.execute(insert(ARViewSession), sessions)
    engine.dispose()
    return written


def evict(folder: Path) -> None:
    """Drop our own files from the page cache (written back first), so every operation reads
    from the disk as a server's would after a day of other work; other processes' pages stay."""
    os.sync()
    for path in folder.rglob("*"):
        if path.is_file():
            descriptor = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(descriptor)


def empty(url: str) -> None:
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    engine.dispose()


def bench(
    label: str, url: str, folder: Path, rows: int, media_mb: int, runs: int, warm: bool
) -> Row:
    data = folder / label.lower()
    settings = Settings(
        env="test", database_url=url, data_dir=data, storage_root=data / "storage",
        backup_dir=str(data / "backups"), _env_file=None,
    )  # fmt: skip
    migrate.upgrade(url)
    seeded = time.perf_counter()
    media = seed(url, settings.storage_root, rows, media_mb)
    print(f"{label}: seeded {rows:,} rows and {media / 2**20:,.0f} MB in "
          f"{time.perf_counter() - seeded:.0f} s", flush=True)  # fmt: skip
    creates, verifies, restores = [], [], []
    size = 0
    for run in range(runs):
        backups = data / "backups"
        shutil.rmtree(backups, ignore_errors=True)  # one backup on disk at a time
        if not warm:
            evict(data)
        started = time.perf_counter()
        created = create_backup(settings, backups)
        creates.append(time.perf_counter() - started)
        size = created.manifest.size_bytes
        if not warm:
            evict(data)
        started = time.perf_counter()
        report = verify_backup(settings, created.path)
        verifies.append(time.perf_counter() - started)
        assert report.ok, report.problems
        empty(url)
        shutil.rmtree(settings.storage_root)
        if not warm:
            evict(data)
        started = time.perf_counter()
        restore_backup(settings, created.path)
        restores.append(time.perf_counter() - started)
        print(f"{label} run {run + 1}: create {creates[-1]:.1f} s, verify {verifies[-1]:.1f} s, "
              f"restore {restores[-1]:.1f} s", flush=True)  # fmt: skip
    shutil.rmtree(data, ignore_errors=True)
    return Row(label, statistics.median(creates), statistics.median(verifies),
               statistics.median(restores), size)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--media-mb", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--warm", action="store_true", help="leave the files in the page cache between steps"
    )
    parser.add_argument("--dir", type=Path, help="where data and backups go (default: temp)")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    results: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-backup-", dir=args.dir) as name:
        folder = Path(name)
        sqlite = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
        results.append(
            bench("SQLite", sqlite, folder, args.rows, args.media_mb, args.runs, args.warm)
        )

        admin_url = make_url(args.postgres).set(drivername="postgresql")
        try:
            admin = psycopg.connect(admin_url.render_as_string(hide_password=False),
                                    autocommit=True, connect_timeout=3)  # fmt: skip
        except psycopg.Error as exc:
            print(f"PostgreSQL skipped: {exc}")
        else:
            db = f"vertex_ar_bench_{os.getpid()}"
            admin.execute(f'CREATE DATABASE "{db}"')
            try:
                url = make_url(args.postgres).set(database=db)
                results.append(
                    bench("PostgreSQL", url.render_as_string(hide_password=False), folder,
                          args.rows, args.media_mb, args.runs, args.warm)
                )  # fmt: skip
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                admin.close()

    print(f"\n{args.rows:,} content rows, {args.media_mb:,} MB of media; medians of "
          f"{args.runs} runs, {'warm' if args.warm else 'cold'} page cache; load average "
          f"(1 min): {os.getloadavg()[0]:.1f}; {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{'database':<12} {'backup MB':>10} {'create s':>9} {'verify s':>9} {'restore s':>10}")
    for r in results:
        print(f"{r.label:<12} {r.backup_bytes / 2**20:>10,.0f} {r.create_s:>9.1f} "
              f"{r.verify_s:>9.1f} {r.restore_s:>10.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
