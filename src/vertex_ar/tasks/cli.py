"""`vertex-ar jobs ...`: the periodic jobs Beat runs, listed and run at once by an operator."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from vertex_ar.core.settings import get_settings

# The jobs (and with them the database and the domains) are imported in the handlers.


def register(commands: Any) -> None:
    jobs = commands.add_parser("jobs", help="periodic jobs (the ones Celery Beat runs)")
    jobs_commands = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = jobs_commands.add_parser("list", help="the jobs, their Celery tasks and schedules")
    listing.set_defaults(handler=_list)
    run = jobs_commands.add_parser(
        "run", help="run one job now, in this process (same code as Beat)"
    )
    run.add_argument("name", help="a name from `vertex-ar jobs list`, e.g. expiry-warnings")
    run.set_defaults(handler=_run)


def _list(_args: argparse.Namespace) -> int:
    from vertex_ar.tasks.config import create_celery
    from vertex_ar.tasks.jobs import JOBS

    schedule = {
        entry["task"]: entry["schedule"]
        for entry in create_celery(get_settings()).conf.beat_schedule.values()
    }
    for job in JOBS.values():
        every = schedule.get(job.task)
        when = f"every {int(every.total_seconds())} s" if every is not None else "not scheduled"
        print(f"{job.name:<24} {job.task:<36} {when:<16} {job.help}")
    return 0


async def _run_job(name: str) -> Any:
    from vertex_ar.core.db import Database
    from vertex_ar.tasks.jobs import JOBS

    settings = get_settings()
    database = Database(settings.database_url, pooled=False)
    try:
        async with database.sessions() as session:
            return await JOBS[name].run(session, settings)
    finally:
        await database.dispose()


def _run(args: argparse.Namespace) -> int:
    from vertex_ar.tasks.jobs import JOBS

    if args.name not in JOBS:
        names = ", ".join(JOBS)
        print(f"error: no job named {args.name!r} (jobs: {names})", file=sys.stderr)
        return 2
    print(json.dumps({"job": args.name, "result": asyncio.run(_run_job(args.name))}))
    return 0
