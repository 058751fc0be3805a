"""`vertex-ar admin ...`: platform administrators (superadmins)."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from typing import Any

from vertex_ar.core.passwords import password_problem
from vertex_ar.core.settings import DEV_ADMIN_PASSWORD, get_settings

# SQLAlchemy and the models are imported inside the handlers: `vertex-ar --help` stays fast.


def register(commands: Any) -> None:
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
    if problem := password_problem(password):
        print(f"error: {problem}", file=sys.stderr)
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
