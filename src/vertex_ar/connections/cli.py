"""`vertex-ar storage ...`: moving a company between backends, retrying deferred deletes."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from vertex_ar.core.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from vertex_ar.connections.migrate import MigrationReport

T = TypeVar("T")

# Backends (boto3, httpx) and the database are imported in the handlers, not for `--help`.


async def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One session for the command, on an engine that lives as long as the command."""
    from vertex_ar.core.db import Database

    database = Database(get_settings().database_url, pooled=False)
    try:
        async with database.sessions() as session:
            return await work(session)
    finally:
        await database.dispose()


def register(commands: Any) -> None:
    storage = commands.add_parser("storage", help="media storage backends")
    storage_commands = storage.add_subparsers(dest="storage_command", required=True)
    migrate = storage_commands.add_parser(
        "migrate",
        help="copy a company's media to another connection, verify it, then switch the company",
    )
    migrate.add_argument("--company", type=int, required=True, help="company id")
    migrate.add_argument("--to", required=True, help="target storage connection: id or name")
    migrate.add_argument(
        "--delete-source", action="store_true", help="delete the old copies after the switch"
    )
    migrate.add_argument("--quiet", action="store_true", help="no line per object")
    migrate.set_defaults(handler=_migrate)
    purge = storage_commands.add_parser(
        "purge", help="retry deletes that failed while a backend was down"
    )
    purge.set_defaults(handler=_purge)


def _summary(report: MigrationReport) -> str:
    return (
        f"company {report.company_id}: {report.source} -> {report.target}: "
        f"{report.objects} object(s) verified ({report.copied} copied, "
        f"{report.already_there} already there, {report.bytes_copied} bytes); "
        f"switched: {'yes' if report.switched else 'no'}"
        + (f"; {report.source_deleted} source object(s) deleted" if report.source_deleted else "")
    )


def _migrate(args: argparse.Namespace) -> int:
    from vertex_ar.connections.migrate import MigrationError, migrate_company

    def progress(key: str, outcome: str) -> None:
        if not args.quiet:
            print(f"{outcome:8} {key}", flush=True)

    try:
        report = asyncio.run(
            _in_session(
                lambda session: migrate_company(
                    session,
                    get_settings(),
                    args.company,
                    args.to,
                    delete_source=args.delete_source,
                    progress=progress,
                )
            )
        )
    except MigrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.report is not None:
            for failure in exc.report.failures:
                print(f"  {failure}", file=sys.stderr)
            print(_summary(exc.report), file=sys.stderr)
            print("run the same command again to resume", file=sys.stderr)
        return 1
    print(_summary(report))
    return 0


def _purge(_args: argparse.Namespace) -> int:
    from vertex_ar.connections.routing import purge_pending_deletes

    done = asyncio.run(_in_session(lambda session: purge_pending_deletes(session, get_settings())))
    print(f"{done} deferred delete(s) done")
    return 0
