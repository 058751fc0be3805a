"""Operator commands: database migrations, admins, serving the embedded platform."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import subprocess
import sys
from typing import Any

from vertex_ar.core.settings import DEV_ADMIN_PASSWORD, get_settings

# The web stack (SQLAlchemy, Alembic, FastAPI) is imported inside the handlers: `vertex-ar marker`
# and `--help` should not pay seconds of start-up for it.


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    up = db_commands.add_parser("upgrade", help="migrate to a revision (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=_db_upgrade)
    down = db_commands.add_parser("downgrade", help="migrate down to a revision")
    down.add_argument("revision")
    down.set_defaults(handler=_db_downgrade)

    admin = commands.add_parser("admin", help="platform administrators")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_commands.add_parser("create", help="create a superadmin")
    create.add_argument("--email", required=True)
    create.add_argument(
        "--password", help="read from the prompt (or VERTEX_AR_NEW_PASSWORD) when omitted"
    )
    create.set_defaults(handler=_admin_create)
    ensure = admin_commands.add_parser(
        "ensure",
        help="create the first superadmin from ADMIN_EMAIL / ADMIN_PASSWORD if none exists",
    )
    ensure.set_defaults(handler=_admin_ensure)

    serve = commands.add_parser("serve", help="serve the API (and, embedded, a worker with beat)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-worker", action="store_true", help="don't start a Celery worker")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run a Celery worker (all queues) with beat")
    worker.set_defaults(handler=_worker)


def _db_upgrade(args: argparse.Namespace) -> int:
    from vertex_ar.core import migrate

    migrate.upgrade(None, args.revision)
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from vertex_ar.core import migrate

    migrate.downgrade(None, args.revision)
    return 0


async def _create_superadmin(email: str, password: str) -> bool:
    """False when a user with that email exists already."""
    from vertex_ar.core.db import Database
    from vertex_ar.core.security import hash_password
    from vertex_ar.core.tenancy import Role
    from vertex_ar.users.models import User
    from vertex_ar.users.repository import UserRepository

    database = Database(get_settings().database_url, pooled=False)
    try:
        async with database.sessions() as session:
            if await UserRepository(session).by_email(email):
                return False
            session.add(
                User(
                    email=email.lower(), password_hash=hash_password(password), role=Role.superadmin
                )
            )
            await session.commit()
            return True
    finally:
        await database.dispose()


async def _any_superadmin() -> bool:
    from sqlalchemy import select

    from vertex_ar.core.db import Database
    from vertex_ar.core.tenancy import Role
    from vertex_ar.users.models import User

    database = Database(get_settings().database_url, pooled=False)
    try:
        async with database.sessions() as session:
            return (
                await session.scalar(select(User.id).where(User.role == Role.superadmin))
                is not None
            )
    finally:
        await database.dispose()


def _admin_create(args: argparse.Namespace) -> int:
    password = args.password or os.environ.get("VERTEX_AR_NEW_PASSWORD") or getpass.getpass()
    if len(password) < 8:
        print("error: the password needs at least 8 characters", file=sys.stderr)
        return 2
    if not asyncio.run(_create_superadmin(args.email, password)):
        print(f"error: a user with email {args.email} already exists", file=sys.stderr)
        return 1
    print(f"created superadmin {args.email}")
    return 0


def _admin_ensure(_args: argparse.Namespace) -> int:
    settings = get_settings()
    if asyncio.run(_any_superadmin()):
        print("a superadmin exists already; nothing to do")
        return 0
    asyncio.run(_create_superadmin(settings.admin_email, settings.admin_password))
    source = (
        "the built-in development default (set ADMIN_PASSWORD in .env to change it)"
        if settings.admin_password == DEV_ADMIN_PASSWORD
        else "ADMIN_PASSWORD from the environment / .env"
    )
    print(f"created the first superadmin {settings.admin_email}; password: {source}")
    if settings.admin_password == DEV_ADMIN_PASSWORD:
        print(f"  log in with email {settings.admin_email} and password {DEV_ADMIN_PASSWORD}")
    return 0


def _worker_command() -> list[str]:
    return [
        sys.executable, "-m", "celery", "-A", "vertex_ar.tasks.celery_app", "worker",
        "--beat", "--queues", "markers,notifications,default", "--concurrency", "2",
        "--loglevel", get_settings().log_level, "--without-mingle", "--without-gossip",
    ]  # fmt: skip


def _worker(_args: argparse.Namespace) -> int:
    return subprocess.call(_worker_command())  # noqa: S603 - fixed argv, no user input


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vertex_ar.core.metrics import (
        MULTIPROC_ENV,
        multiprocess_dir,
        reset_multiprocess_dir,
    )
    from vertex_ar.core.processes import start_group, stop_group

    settings = get_settings()
    if not multiprocess_dir():
        # Web workers and the embedded Celery worker share their metrics through files.
        os.environ[MULTIPROC_ENV] = str((settings.data_dir / "prometheus").resolve())
    reset_multiprocess_dir()  # stale files of a previous run would count twice
    worker = None
    if settings.embedded_broker and not args.no_worker:
        worker = start_group(_worker_command())
    print(f"Vertex AR on http://{args.host}:{args.port}  (API docs: /docs)", flush=True)
    # uvicorn re-raises SIGTERM after its graceful shutdown; turning it into SystemExit lets the
    # `finally` below stop the embedded worker instead of orphaning it.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        uvicorn.run(
            "vertex_ar.app:app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
        )
    finally:
        if worker is not None:
            stop_group(worker)
    return 0


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)
