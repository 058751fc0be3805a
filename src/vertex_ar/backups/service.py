"""Backups: create (then retention), list, verify, restore. The CLI and Celery Beat run these.

A backup is one folder `BACKUP_DIR/vertex_ar-<UTC time>` holding the database dump, `media/` (the
platform's local storage) and `manifest.json` (time, Alembic revision, rows per table, size and
SHA-256 of every file). It is written in a hidden `.partial` folder and renamed when complete: a
failed run leaves no half backup under a backup's name.

The database is dumped first, then the media: an object uploaded meanwhile is an unreferenced
extra; an object deleted in between is missing (its row was deleted right after the dump).
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import redis
import structlog
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from vertex_ar.backups import database, retention
from vertex_ar.backups.manifest import MANIFEST, Manifest, sha256_of
from vertex_ar.backups.media import copy_media, restore_media
from vertex_ar.core.migrate import alembic_config
from vertex_ar.core.settings import Settings
from vertex_ar.notifications.operators import backup_failed
from vertex_ar.rotation.cache import PREFIX as ROTATION_PREFIX
from vertex_ar.viewer.answers import drop_kept_answers

log = structlog.get_logger(__name__)

PREFIX = "vertex_ar-"
NAME = re.compile(r"^vertex_ar-\d{8}T\d{6}Z(-\d+)?$")
PARTIAL = ".partial-"
STALE_PARTIAL_SECONDS = 24 * 3600


class BackupError(Exception):
    """A backup could not be made, verified or restored; the message says why."""


@dataclass(frozen=True)
class Created:
    path: Path
    manifest: Manifest
    manifest_sha256: str
    pruned: list[str] = field(default_factory=list)
    media_linked: int = 0

    def as_json(self) -> dict[str, Any]:
        m = self.manifest
        return {
            "path": str(self.path),
            "name": m.name,
            "created_at": m.created_at.isoformat(),
            "database": m.database,
            "alembic_revision": m.alembic_revision,
            "size_bytes": m.size_bytes,
            "database_file": {"name": m.database_file, **m.files[m.database_file].model_dump()},
            "media": {
                "objects": len(m.media),
                "bytes": m.media_bytes,
                "linked_to_previous_backup": self.media_linked,
            },
            "row_counts": m.row_counts,
            "manifest_sha256": self.manifest_sha256,
            "pruned": self.pruned,
        }


# --- create -------------------------------------------------------------------------------------


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """One backup or prune at a time per folder (Beat and an operator may start one together)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupError(f"another backup is running in {folder}") from exc
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _free_name(folder: Path, now: datetime) -> str:
    base = PREFIX + now.strftime("%Y%m%dT%H%M%SZ")
    name, n = base, 1
    while (folder / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def create_backup(settings: Settings, folder: Path | None = None) -> Created:
    """Dump the database and copy the media into a new backup folder, then apply retention."""
    folder = (folder or settings.backups_dir).resolve()
    with _exclusive(folder):
        now = datetime.now(UTC).replace(microsecond=0)
        name = _free_name(folder, now)
        partial = folder / f"{PARTIAL}{name}"
        try:
            partial.mkdir()
            snapshot = database.dump(settings.database_url, partial)
            files = {snapshot.file_name: sha256_of(partial / snapshot.file_name)}
            root = Path(settings.storage_root).resolve()
            previous, before = _newest(folder) or (None, None)
            known = {item.key: item for item in before.media} if before else {}
            media = copy_media(root, partial, previous, known)
            objects = media.objects
            files.update(media.files)
            manifest = Manifest(
                name=name,
                created_at=now,
                database=database.kind_of(settings.database_url),
                database_file=snapshot.file_name,
                alembic_revision=snapshot.revision,
                row_counts=snapshot.row_counts,
                media_root=str(root),
                media=objects,
                files=files,
            )
            (partial / MANIFEST).write_text(manifest.model_dump_json(indent=1))
            os.sync()  # every byte on disk before the backup gets its name
            partial.rename(folder / name)
            _fsync_folder(folder)
        except database.DatabaseBackupError as exc:
            raise BackupError(str(exc)) from exc
        except (psycopg.Error, sqlite3.Error) as exc:
            raise BackupError(f"the database cannot be read: {exc}") from exc
        except OSError as exc:
            raise BackupError(f"writing the backup failed: {exc}") from exc
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        pruned = _prune_locked(settings, folder)
    created = Created(
        folder / name, manifest, sha256_of(folder / name / MANIFEST).sha256, pruned, media.linked
    )
    log.info(
        "backup.created", path=str(created.path), size_bytes=manifest.size_bytes,
        media_objects=len(objects), pruned=len(pruned),
    )  # fmt: skip
    return created


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def on_backup_failed(settings: Settings, error: str) -> None:
    """A failed backup (scheduled or by hand): logged, and the operators are told
    (OPERATOR_EMAILS, OPERATOR_TELEGRAM_CHAT_IDS) through the notifications' outbox."""
    log.error("backup.failed", error=error)
    try:
        told = backup_failed(settings, error)
    except Exception as exc:  # telling must never hide the backup's own error
        log.error("backup.failure_not_told", error=str(exc)[:300])
        return
    log.info("backup.failure_told", **told)


def run_backup(settings: Settings, folder: Path | None = None) -> Created:
    """`vertex-ar backup create` and the Beat task: create, prune, report a failure."""
    try:
        return create_backup(settings, folder)
    except BackupError as exc:
        on_backup_failed(settings, str(exc))
        raise
    except Exception as exc:
        on_backup_failed(settings, f"{type(exc).__name__}: {exc}")
        raise


# --- list and retention ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Listed:
    name: str
    path: Path
    manifest: Manifest | None  # None: unreadable manifest
    problem: str | None = None

    @property
    def created_at(self) -> datetime | None:
        if self.manifest is not None:
            return self.manifest.created_at
        stamp = self.name[len(PREFIX) : len(PREFIX) + 16]
        try:
            return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return None

    def as_json(self) -> dict[str, Any]:
        m = self.manifest
        created = self.created_at
        return {
            "name": self.name,
            "path": str(self.path),
            "created_at": created.isoformat() if created else None,
            "database": m.database if m else None,
            "alembic_revision": m.alembic_revision if m else None,
            "size_bytes": m.size_bytes if m else None,
            "media_objects": len(m.media) if m else None,
            "problem": self.problem,
        }


def read_manifest(path: Path) -> Manifest:
    file = path / MANIFEST
    if not file.is_file():
        raise BackupError(f"{path} is not a backup: no {MANIFEST}")
    try:
        return Manifest.model_validate_json(file.read_bytes())
    except ValueError as exc:
        raise BackupError(f"{file} is unreadable: {exc}") from exc


def list_backups(folder: Path) -> list[Listed]:
    """The backups in `folder`, oldest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if not (path.is_dir() and NAME.match(path.name)):
            continue
        try:
            found.append(Listed(path.name, path, read_manifest(path)))
        except BackupError as exc:
            found.append(Listed(path.name, path, None, str(exc)))
    return found


def _newest(folder: Path) -> tuple[Path, Manifest] | None:
    """The newest readable backup, whose unchanged media the next one links to."""
    readable = [(b.path, b.manifest) for b in list_backups(folder) if b.manifest is not None]
    return max(readable, key=lambda item: item[1].created_at, default=None)


def _prune_locked(settings: Settings, folder: Path) -> list[str]:
    # Only readable backups count: an unreadable one must not take a good one's place, and is
    # left for the operator (`backup list` shows its problem).
    backups = [(b.name, b.manifest.created_at) for b in list_backups(folder) if b.manifest]
    kept = retention.keep(
        backups,
        daily=settings.backup_keep_daily,
        weekly=settings.backup_keep_weekly,
        monthly=settings.backup_keep_monthly,
    )
    removed = []
    for name, _ in backups:
        if name not in kept:
            shutil.rmtree(folder / name)
            removed.append(name)
    for path in folder.glob(f"{PARTIAL}*"):  # left by a killed run
        if time.time() - path.stat().st_mtime > STALE_PARTIAL_SECONDS:
            shutil.rmtree(path, ignore_errors=True)
    if removed:
        log.info("backup.pruned", removed=removed)
    return removed


def prune(settings: Settings, folder: Path | None = None) -> list[str]:
    folder = (folder or settings.backups_dir).resolve()
    with _exclusive(folder):
        return _prune_locked(settings, folder)


# --- verify -------------------------------------------------------------------------------------


@dataclass
class Verified:
    path: Path
    problems: list[str]
    files_checked: int
    row_counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "files_checked": self.files_checked,
            "row_counts": self.row_counts,
            "problems": self.problems,
        }


def _check_files(path: Path, manifest: Manifest) -> list[str]:
    problems = []
    for relative, expected in sorted(manifest.files.items()):
        file = path / relative
        if not file.is_file():
            problems.append(f"{relative}: missing")
            continue
        actual = sha256_of(file)
        if actual.size != expected.size:
            problems.append(f"{relative}: size {actual.size}, manifest says {expected.size}")
        elif actual.sha256 != expected.sha256:
            problems.append(f"{relative}: checksum mismatch (the file was changed)")
    listed = set(manifest.files) | {MANIFEST}
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        relative = file.relative_to(path).as_posix()
        if relative not in listed:
            problems.append(f"{relative}: not in the manifest")
    for item in manifest.media:
        entry = manifest.files.get(f"media/{item.key}")
        if entry is None or (entry.size, entry.sha256) != (item.size, item.sha256):
            problems.append(f"media object {item.key}: no matching file in the backup")
    return problems


def _compare_counts(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    problems = []
    for table in sorted(set(expected) | set(actual)):
        want, got = expected.get(table), actual.get(table)
        if want != got:
            problems.append(
                f"table {table}: {got if got is not None else 'missing'} row(s) after restoring, "
                f"manifest says {want if want is not None else 'no such table'}"
            )
    return problems


def verify_backup(settings: Settings, path: Path) -> Verified:
    """Check every file's checksum, restore the database into a scratch database of the
    configured kind and compare its row counts with the manifest."""
    path = path.resolve()
    manifest = read_manifest(path)
    problems = _check_files(path, manifest)
    counts: dict[str, int] = {}
    dump_file = path / manifest.database_file
    if _kind_matches(settings, manifest) and dump_file.is_file():
        try:
            with database.scratch_database(settings.database_url) as scratch:
                database.restore(dump_file, scratch)
                counts, revision = database.row_counts(scratch)
            problems += _compare_counts(manifest.row_counts, counts)
            if revision != manifest.alembic_revision:
                problems.append(
                    f"alembic revision {revision} after restoring, manifest says "
                    f"{manifest.alembic_revision}"
                )
        except (database.DatabaseBackupError, OSError, sqlite3.Error, psycopg.Error) as exc:
            problems.append(f"the database does not restore: {exc}")
    elif not _kind_matches(settings, manifest):
        problems.append(
            f"this backup holds a {manifest.database} database and DATABASE_URL is "
            f"{database.kind_of(settings.database_url)}: verify it where it was made"
        )
    return Verified(path, problems, len(manifest.files), counts)


def _kind_matches(settings: Settings, manifest: Manifest) -> bool:
    return database.kind_of(settings.database_url) == manifest.database


# --- restore ------------------------------------------------------------------------------------


@dataclass
class Restored:
    path: Path
    row_counts: dict[str, int]
    alembic_revision: str | None
    head_revision: str | None
    media_restored: int
    media_unchanged: int
    media_bytes: int

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "row_counts": self.row_counts,
            "alembic_revision": self.alembic_revision,
            "media": {
                "restored": self.media_restored,
                "unchanged": self.media_unchanged,
                "bytes_written": self.media_bytes,
            },
            "next": None
            if self.alembic_revision == self.head_revision
            else "vertex-ar db upgrade (the backup is at an older schema revision)",
        }


def _forget_cached_rotation(settings: Settings) -> None:
    """The viewer's cached video choices name ids of the replaced database: drop them all."""
    if not settings.redis_cache_url:
        return
    client = redis.Redis.from_url(settings.redis_cache_url, socket_timeout=5)
    try:
        keys = list(client.scan_iter(match=f"{ROTATION_PREFIX}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    except redis.RedisError as exc:  # the entries expire within a day anyway
        log.warning("backup.cache_not_cleared", error=str(exc))
    finally:
        client.close()


def _head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _check_revision_known(revision: str | None) -> None:
    if revision is None:
        return
    try:
        found = ScriptDirectory.from_config(alembic_config()).get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        raise BackupError(
            f"the backup is at schema revision {revision}, unknown to this version of vertex-ar: "
            "restore it with the version that made it"
        )


def restore_backup(settings: Settings, path: Path, *, force: bool = False) -> Restored:
    """Media back into the platform's storage (each file checked), then the database, replaced
    as a whole. Refuses a database holding rows unless `force`."""
    path = path.resolve()
    manifest = read_manifest(path)
    if not _kind_matches(settings, manifest):
        raise BackupError(
            f"this backup holds a {manifest.database} database and DATABASE_URL is "
            f"{database.kind_of(settings.database_url)}"
        )
    _check_revision_known(manifest.alembic_revision)
    dump_file = path / manifest.database_file
    expected = manifest.files.get(manifest.database_file)
    if not dump_file.is_file() or expected is None or sha256_of(dump_file) != expected:
        raise BackupError(f"{dump_file}: missing or changed since the backup (checksum mismatch)")
    try:
        occupied = database.data_rows(settings.database_url)
    except (OSError, sqlite3.Error, psycopg.Error) as exc:
        raise BackupError(f"the configured database cannot be read: {exc}") from exc
    if occupied and not force:
        tables = ", ".join(f"{t} ({n})" for t, n in sorted(occupied.items()))
        raise BackupError(
            f"the database is not empty: {tables}; restore replaces it, pass --force to do so"
        )

    media = restore_media(path, manifest.media, Path(settings.storage_root))
    if media.problems:
        raise BackupError(
            "media not restored, the database left as it was: " + "; ".join(media.problems[:20])
        )
    os.sync()  # the media on disk before the database names them
    try:
        database.restore(dump_file, settings.database_url)
        counts, revision = database.row_counts(settings.database_url)
    except (database.DatabaseBackupError, sqlite3.Error, psycopg.Error) as exc:
        raise BackupError(f"the database was not restored: {exc}") from exc
    mismatches = _compare_counts(manifest.row_counts, counts)
    if mismatches:
        raise BackupError("restored, but the rows differ: " + "; ".join(mismatches))
    _forget_cached_rotation(settings)
    drop_kept_answers(settings)  # the web processes' answers name the replaced rows' links
    log.info(
        "backup.restored", path=str(path), media_restored=media.restored,
        revision=revision, forced=force and bool(occupied),
    )  # fmt: skip
    return Restored(
        path, counts, revision, _head_revision(), media.restored, media.unchanged,
        media.bytes_written,
    )  # fmt: skip
