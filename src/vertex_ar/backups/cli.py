"""`vertex-ar backup create|list|verify|restore|prune`: JSON on stdout, errors on stderr, exit 1."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vertex_ar.core.settings import Settings, get_settings


def register(commands: Any) -> None:
    backup = commands.add_parser("backup", help="back up, verify and restore database and media")
    sub = backup.add_subparsers(dest="backup_command", required=True)

    create = sub.add_parser(
        "create", help="a new backup under BACKUP_DIR (database, media, manifest), then retention"
    )
    create.add_argument("--dir", type=Path, help="backup folder (default: BACKUP_DIR)")
    create.set_defaults(handler=_create)

    listing = sub.add_parser("list", help="the backups, oldest first")
    listing.add_argument("--dir", type=Path, help="backup folder (default: BACKUP_DIR)")
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    listing.set_defaults(handler=_list)

    verify = sub.add_parser(
        "verify", help="check checksums, restore into a scratch database, compare row counts"
    )
    verify.add_argument("path", type=Path)
    verify.set_defaults(handler=_verify)

    restore = sub.add_parser(
        "restore", help="restore media and the database (refuses a database holding rows)"
    )
    restore.add_argument("path", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a database that holds rows")
    restore.set_defaults(handler=_restore, creates_database=True)  # into a deleted database too

    prune = sub.add_parser("prune", help="apply retention (BACKUP_KEEP_DAILY/WEEKLY/MONTHLY)")
    prune.add_argument("--dir", type=Path, help="backup folder (default: BACKUP_DIR)")
    prune.set_defaults(handler=_prune)


def _settings() -> Settings:
    """The settings, with logs on stderr (stdout carries the JSON answer)."""
    from vertex_ar.core.logging import configure_logging

    settings = get_settings()
    configure_logging(settings)
    return settings


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2), flush=True)


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr, flush=True)
    return 1


def _create(args: argparse.Namespace) -> int:
    from vertex_ar.backups.service import BackupError, run_backup

    try:
        created = run_backup(_settings(), args.dir)
    except BackupError as exc:
        return _fail(f"backup failed: {exc}")
    _print(created.as_json())
    return 0


def _human(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(size)


def _list(args: argparse.Namespace) -> int:
    from vertex_ar.backups.service import list_backups

    folder = args.dir or _settings().backups_dir
    backups = list_backups(folder)
    if args.json:
        _print([b.as_json() for b in backups])
        return 0
    if not backups:
        print(f"no backups in {folder}")
        return 0
    print(f"{'name':30} {'created (UTC)':20} {'database':10} {'revision':10} {'size':>10} objects")
    for b in backups:
        row = b.as_json()
        created = (row["created_at"] or "?")[:19].replace("T", " ")
        print(
            f"{b.name:30} {created:20} {row['database'] or '?':10} "
            f"{row['alembic_revision'] or '?':10} {_human(row['size_bytes']):>10} "
            f"{row['media_objects'] if row['media_objects'] is not None else '?'}"
            + (f"  ({b.problem})" if b.problem else "")
        )
    return 0


def _verify(args: argparse.Namespace) -> int:
    from vertex_ar.backups.service import BackupError, verify_backup

    try:
        report = verify_backup(_settings(), args.path)
    except BackupError as exc:
        return _fail(str(exc))
    _print(report.as_json())
    if not report.ok:
        for problem in report.problems:
            print(f"problem: {problem}", file=sys.stderr)
        return _fail(f"{args.path} does not verify: {len(report.problems)} problem(s)")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from vertex_ar.backups.service import BackupError, restore_backup

    try:
        report = restore_backup(_settings(), args.path, force=args.force)
    except BackupError as exc:
        return _fail(f"restore failed: {exc}")
    _print(report.as_json())
    return 0


def _prune(args: argparse.Namespace) -> int:
    from vertex_ar.backups.service import BackupError, prune

    try:
        removed = prune(_settings(), args.dir)
    except BackupError as exc:
        return _fail(str(exc))
    _print({"removed": removed})
    return 0
