"""The `vertex-ar` command: operator commands (db, serve, worker) and each domain's own (admin,
marker, storage, backup, assets)."""

from __future__ import annotations

import argparse
import fcntl
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from vertex_ar.core.settings import get_settings

Handler = Callable[[argparse.Namespace], int]

# The web stack (SQLAlchemy, Alembic, FastAPI, Celery) is imported inside the handlers:
# `vertex-ar marker` and `--help` should not pay seconds of start-up for it.


def build_parser() -> argparse.ArgumentParser:
    from vertex_ar.backups import cli as backup_cli
    from vertex_ar.connections import cli as storage_cli
    from vertex_ar.markers import cli as marker_cli
    from vertex_ar.tasks import cli as jobs_cli
    from vertex_ar.users import cli as users_cli
    from vertex_ar.viewer import cli as assets_cli

    parser = argparse.ArgumentParser(prog="vertex-ar", description=__doc__)
    parser.set_defaults(creates_database=False)  # only commands that make one say otherwise
    commands = parser.add_subparsers(dest="command", required=True)
    _register_operator_commands(commands)
    users_cli.register(commands)
    marker_cli.register(commands)
    storage_cli.register(commands)
    jobs_cli.register(commands)
    backup_cli.register(commands)
    assets_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        _share_metrics_through_files()
    # The marker compiler and the asset build need no database: keep them fast.
    if args.command not in ("marker", "assets"):
        import vertex_ar.models  # noqa: F401 - every table mapped before the first flush
        from vertex_ar.viewer.answers import watch_commits

        watch_commits(get_settings())  # `storage migrate`, `jobs run`...: drop kept answers too
        problem = None if args.creates_database else _missing_database(get_settings().database_url)
        if problem:
            print(f"vertex-ar: {problem}", file=sys.stderr)
            return 2
    handler: Handler = args.handler
    return handler(args)


def _register_operator_commands(commands: Any) -> None:
    db = commands.add_parser("db", help="database migrations")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    up = db_commands.add_parser("upgrade", help="migrate to a revision (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=_db_upgrade, creates_database=True)
    down = db_commands.add_parser("downgrade", help="migrate down to a revision")
    down.add_argument("revision")
    down.set_defaults(handler=_db_downgrade)

    serve = commands.add_parser("serve", help="serve the API (and, embedded, a worker with beat)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-worker", action="store_true", help="don't start a Celery worker")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run a Celery worker (all queues) with beat")
    worker.set_defaults(handler=_worker)


def _missing_database(database_url: str) -> str | None:
    """Why a command would run on no database: an SQLite file that does not exist (a relative
    default resolved in the wrong folder would otherwise become a fresh, empty database)."""
    prefix, _, path = database_url.partition(":///")
    if not prefix.startswith("sqlite") or not path or path.startswith(":memory:"):
        return None
    file = Path(path.split("?", 1)[0])
    if file.exists():
        return None
    return (
        f"no database at {file.resolve()}; run vertex-ar in the folder `make run` ran in, set "
        "DATABASE_URL (and DATA_DIR, STORAGE_ROOT), or create one with `vertex-ar db upgrade`"
    )


def _db_upgrade(args: argparse.Namespace) -> int:
    from vertex_ar.core import migrate

    migrate.upgrade(None, args.revision)
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from vertex_ar.core import migrate

    migrate.downgrade(None, args.revision)
    return 0


def _worker_command() -> list[str]:
    """All queues with beat; no mingle or gossip (the embedded broker has no broadcast)."""
    from vertex_ar.tasks.config import worker_command

    options = ("--beat", "--without-mingle", "--without-gossip")
    return [sys.executable, "-m", *worker_command(get_settings().log_level, *options)]


def _worker(_args: argparse.Namespace) -> int:
    return subprocess.call(_worker_command())  # noqa: S603 - fixed argv, no user input


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from vertex_ar.core.logging import configure_logging
    from vertex_ar.core.metrics import multiprocess_dir, reset_multiprocess_dir
    from vertex_ar.core.processes import start_group, stop_group

    settings = get_settings()
    configure_logging(settings)  # uvicorn's records in our format too (log_config=None below)
    if "public_base_url" not in settings.model_fields_set:
        # Links and QR codes name the port served (`make run PORT=8100`); the worker inherits it.
        public_host = "127.0.0.1" if args.host in {"0.0.0.0", "::"} else args.host  # noqa: S104
        os.environ["PUBLIC_BASE_URL"] = f"http://{public_host}:{args.port}"
        get_settings.cache_clear()
        settings = get_settings()
    metrics_dir = multiprocess_dir()
    # Refuse before touching anything a running server uses: its metrics folder above all.
    problem = _port_taken(args.host, args.port)
    lock = _hold_lock(Path(f"{metrics_dir}.lock")) if metrics_dir else None
    if metrics_dir and lock is None:
        problem = f"another `vertex-ar serve` is running with the metrics folder {metrics_dir}"
    if problem:
        print(f"vertex-ar serve: {problem}", file=sys.stderr)
        return 1
    reset_multiprocess_dir()  # stale files of a previous run would count twice
    worker = None
    if settings.embedded_broker and not args.no_worker:
        worker = start_group(_worker_command())
    print(
        f"Vertex AR on http://{args.host}:{args.port}  (API docs: /docs; "
        f"links and QR codes: {settings.public_base_url})",
        flush=True,
    )
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
            log_config=None,  # keep configure_logging's handler
            access_log=False,  # RequestIdMiddleware logs each request once
            proxy_headers=False,  # the app applies X-Forwarded-For from FORWARDED_ALLOW_IPS only
        )
    finally:
        if worker is not None:
            stop_group(worker, grace_seconds=settings.worker_stop_grace_seconds)
    return 0


def _share_metrics_through_files() -> None:
    """The web process and the embedded Celery worker write their metrics to files that /metrics
    adds up. prometheus_client picks memory or files when it is first imported, so this runs
    before anything imports it (tests/api/test_operations.py sees the files)."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        folder = (get_settings().data_dir / "prometheus").resolve()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def _port_taken(host: str, port: int) -> str | None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            return f"cannot listen on {host}:{port}: {exc.strerror}"
    return None


def _hold_lock(path: Path) -> IO[bytes] | None:
    """An exclusive lock on ``path`` held until this process (and its children) exit, or None
    when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("ab")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
