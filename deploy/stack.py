"""The Docker Compose topology, started natively on loopback: `make stack` and the stack test.

PostgreSQL and Redis must already run (default: 127.0.0.1:5432 as `postgres`, 127.0.0.1:6379).
Each run gets a fresh database (migrations + first admin, as compose's `migrate` service), two
Redis databases of its own (broker and cache, apart as in compose), and a temporary folder for
media, logs and state; then the app under uvicorn with 4 workers, a Celery worker, Celery Beat
and Nginx with deploy/nginx/nginx.conf rendered for loopback. Ctrl-C or SIGTERM stops every
process and removes the database, the Redis data and the folder.

    python deploy/stack.py [--http-port 8080] [--postgres URL] [--redis URL] [--info-file F]

Settings the stack does not fix pass through from the environment, e.g.
`EXPIRY_CHECK_SECONDS=30 make stack` to watch Beat deactivate expired content.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType, ModuleType
from typing import IO, Any

import httpx
import psycopg
import redis
from psycopg import sql
from sqlalchemy.engine import make_url

from vertex_ar.tasks.config import beat_command, worker_command

REPO = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# Every process of a run carries this variable; after a stop, none may be left that has it.
MARKER_ENV = "VERTEX_AR_STACK_RUN"
# Redis databases a stack may claim: 0 is every client's default, 14 and 15 the test suite's
# (cache and broker, emptied by every test).
REDIS_DBS = range(1, 14)
REDIS_CLAIM_KEY = "vertex-ar:stack:owner"
START_TIMEOUT = 180.0  # seconds; 4 uvicorn workers and Celery import slowly on a busy machine
STOP_TIMEOUT = 30.0  # per service, before SIGKILL
ADMIN_EMAIL = "admin@vertex-ar.local"
DATABASE_PREFIX = "vertex_ar_stack_"
RUN_PREFIX = "vertex-ar-stack-"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class StackError(RuntimeError):
    """The stack could not start (the message carries the log tails that say why)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _render_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_loopback", REPO / "deploy" / "nginx" / "render_loopback.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)  # its dataclass looks the module up
    spec.loader.exec_module(module)
    return module


def leftovers(marker: str, groups: Collection[int]) -> list[int]:
    """Pids of live processes of a run (Linux /proc): those whose environment has
    `MARKER_ENV=marker`, and those in one of the services' process groups (Nginx rewrites its
    processes' environment, so the marker alone would miss it)."""
    needle = f"{MARKER_ENV}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            # Fields after the parenthesised command: state, ppid, pgrp, ...
            state, _ppid, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            environ = (entry / "environ").read_bytes()
        except (OSError, ValueError):  # gone meanwhile, or not ours to read
            continue
        if state == "Z":  # a zombie is only an exit status waiting for its parent
            continue
        if int(pgrp) in groups or needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_gone(owner: str) -> bool:
    """Whether the run that wrote `host:pid:folder` (a claim on a database) has died: only
    answerable for runs on this machine."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    return host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid))


def _die_with(supervisor: int) -> Callable[[], None]:
    """For Popen's preexec_fn: the child gets SIGTERM when the supervisor dies, even by SIGKILL
    (Linux PR_SET_PDEATHSIG), so a killed `make stack` or test leaves no service running."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not after

    def arm() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != supervisor:  # died before the line above: nobody would tell us
            os._exit(1)

    return arm


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _log_file: IO[bytes] | None = None

    def start(self, cwd: Path) -> None:
        self._log_file = self.log.open("ab")
        # Own session: a terminal's Ctrl-C reaches only the supervisor, which stops the services
        # in order; and the whole group (uvicorn workers, Celery pool) can be killed at once.
        self.process = subprocess.Popen(  # noqa: S603 - argv built here, no shell
            self.argv,
            cwd=cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with(os.getpid()),
        )

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        process = self.process
        if process is not None:
            if process.poll() is None:
                process.send_signal(sig)
                try:
                    process.wait(timeout=STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    print(f"stack: {self.name} ignored {sig.name}; killing it", file=sys.stderr)
            # Whatever is left of its group (a stuck worker child): no grace any more.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


@dataclass
class Stack:
    """One native stack. `start()` then `stop()` (or use it as a context manager)."""

    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/postgres"
    redis_url: str = "redis://127.0.0.1:6379"
    http_port: int = 0  # 0: any free port
    app_workers: int = 4
    extra_env: Mapping[str, str] = field(default_factory=dict)

    run_dir: Path = field(init=False)
    database: str = field(init=False, default="")
    redis_dbs: list[int] = field(init=False, default_factory=list)
    admin_password: str = field(init=False, default_factory=lambda: secrets.token_urlsafe(12))
    app_port: int = field(init=False, default=0)
    worker_metrics_port: int = field(init=False, default=0)
    services: list[Service] = field(init=False, default_factory=list)
    _claim: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.run_dir = Path(tempfile.mkdtemp(prefix=RUN_PREFIX)).resolve()
        self._claim = f"{socket.gethostname()}:{os.getpid()}:{self.run_dir}"

    # ---- addresses ----------------------------------------------------------------------------

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}"

    @property
    def worker_metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.worker_metrics_port}/metrics"

    @property
    def database_url(self) -> str:
        url = make_url(self.postgres_url).set(
            drivername="postgresql+psycopg", database=self.database
        )
        return url.render_as_string(hide_password=False)

    def redis_db_url(self, db: int) -> str:
        return f"{self.redis_url.rstrip('/')}/{db}"

    def info(self) -> dict[str, Any]:
        return {
            "http_url": self.http_url,
            "app_url": self.app_url,
            "worker_metrics_url": self.worker_metrics_url,
            "admin_email": ADMIN_EMAIL,
            "admin_password": self.admin_password,
            "database": self.database,
            "database_url": self.database_url,
            "redis_broker_url": self.redis_db_url(self.redis_dbs[0]),
            "redis_cache_url": self.redis_db_url(self.redis_dbs[1]),
            "run_dir": str(self.run_dir),
            "storage_root": str(self.run_dir / "storage"),
            "marker": str(self.run_dir),
            "pids": {s.name: s.process.pid for s in self.services if s.process is not None},
        }

    # ---- start --------------------------------------------------------------------------------

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def start(self) -> None:
        """Start everything and wait until the site answers healthy through Nginx.

        On failure, whatever started is stopped again and StackError says why.
        """
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        if not Path(NGINX).exists():
            raise StackError("nginx is not installed (make system-deps)")
        if self.http_port == 0:
            self.http_port = free_port()
        elif not port_is_free(self.http_port):
            raise StackError(f"port {self.http_port} is in use; choose another with --http-port")
        self.app_port, self.worker_metrics_port = free_port(), free_port()
        for sub in ("var", "storage", "logs", "metrics/app", "metrics/worker"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)

        self._create_database()
        for _ in range(2):  # broker and cache (compose: two servers)
            self._claim_redis_db()
        env = self._env()

        # Compose's `migrate` service: the app and workers wait for it.
        migrate = subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-c", _MIGRATE],
            cwd=self.run_dir,
            env=env,
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT,
        )
        (self.run_dir / "logs" / "migrate.log").write_text(migrate.stdout + migrate.stderr)
        if migrate.returncode != 0:
            raise StackError(f"migrations failed:\n{migrate.stdout}{migrate.stderr}")

        app_metrics = self.run_dir / "metrics" / "app"
        worker_metrics = self.run_dir / "metrics" / "worker"
        python = sys.executable
        self._service(
            "app",
            [python, "-m", "uvicorn", "--factory", "vertex_ar.app:app",
             "--host", "127.0.0.1", "--port", str(self.app_port),
             "--workers", str(self.app_workers),
             "--no-proxy-headers"],  # the app believes X-Forwarded-For from loopback only
            env | {"PROMETHEUS_MULTIPROC_DIR": str(app_metrics)},
        )  # fmt: skip
        self._service(
            "worker",
            [python, "-m", *worker_command("INFO", f"--metrics-port={self.worker_metrics_port}")],
            env | {"PROMETHEUS_MULTIPROC_DIR": str(worker_metrics)},
        )
        self._service("beat", [python, "-m", *beat_command("INFO")], env)
        self._wait("the app", lambda: _answers(f"{self.app_url}/api/health/status"))

        render = _render_module()
        conf = render.write(
            render.Loopback(
                self.run_dir / "nginx",
                self.http_port,
                f"127.0.0.1:{self.app_port}",
                self.run_dir / "storage",
            )
        )
        # As root, Nginx workers would run as `nobody`, which cannot enter the 0700 run folder.
        directives = "daemon off;" + (" user root;" if os.geteuid() == 0 else "")
        self._service(
            "nginx",
            [NGINX, "-c", str(conf), "-p", str(conf.parent),
             "-e", str(conf.parent / "error.log"), "-g", directives],
            env,
        )  # fmt: skip
        # Ready: Nginx answers, and through it the app reports database, broker, storage and a
        # fresh worker heartbeat all well.
        self._wait("the stack", lambda: _healthy(f"{self.http_url}/api/health/status"))
        self._wait("the worker's metrics", lambda: _answers(self.worker_metrics_url))

    def _env(self) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
        return inherited | {
            "ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": self.admin_password,
            "DATABASE_URL": self.database_url,
            "CELERY_BROKER_URL": self.redis_db_url(self.redis_dbs[0]),
            "REDIS_CACHE_URL": self.redis_db_url(self.redis_dbs[1]),
            "DATA_DIR": str(self.run_dir / "var"),
            "STORAGE_ROOT": str(self.run_dir / "storage"),
            "NODE_MODULES_DIR": str(REPO / "node_modules"),
            "PUBLIC_BASE_URL": self.http_url,
            "MEDIA_X_ACCEL": "true",
            "PYTHONUNBUFFERED": "1",
            MARKER_ENV: str(self.run_dir),
            **self.extra_env,
        }

    def _service(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        service = Service(name, argv, env, self.run_dir / "logs" / f"{name}.log")
        self.services.append(service)
        # cwd: the run folder, where no developer's .env is read by accident.
        service.start(self.run_dir)

    def _wait(self, what: str, ready: Callable[[], bool]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not ready():
            for service in self.services:
                if service.exited() is not None:
                    raise StackError(
                        f"{service.name} exited with {service.exited()} while waiting for {what}:"
                        f"\n{service.tail()}"
                    )
            if time.monotonic() > deadline:
                tails = "\n".join(f"--- {s.name}\n{s.tail(15)}" for s in self.services)
                raise StackError(f"{what} not ready after {START_TIMEOUT:.0f} s\n{tails}")
            time.sleep(0.5)

    def _create_database(self) -> None:
        """A new database, its comment naming this run; first, what killed runs left behind
        (their database and folder) is removed."""
        with self._postgres() as admin:
            claims = admin.execute(
                "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database"
                " WHERE starts_with(datname, %s)",
                (DATABASE_PREFIX,),
            ).fetchall()
            for name, owner in claims:
                if owner and _owner_gone(owner):
                    folder = Path(owner.split(":", 2)[-1])
                    if folder.name.startswith(RUN_PREFIX):
                        shutil.rmtree(folder, ignore_errors=True)
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(name)
                        )
                    )
            self.database = DATABASE_PREFIX + secrets.token_hex(4)
            database = sql.Identifier(self.database)
            admin.execute(sql.SQL("CREATE DATABASE {}").format(database))
            admin.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(database, sql.Literal(self._claim))
            )

    @contextlib.contextmanager
    def _postgres(self) -> Iterator[psycopg.Connection[Any]]:
        conninfo = make_url(self.postgres_url).set(drivername="postgresql")
        try:
            connection = psycopg.connect(
                conninfo.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
            )
        except psycopg.Error as exc:
            raise StackError(f"PostgreSQL at {self.postgres_url} is unreachable: {exc}") from exc
        with connection:
            yield connection

    def _claim_redis_db(self) -> None:
        """Add to `redis_dbs` a Redis database nobody uses (or a killed stack left behind)."""
        for db in REDIS_DBS:
            if db in self.redis_dbs:
                continue
            client = redis.Redis.from_url(self.redis_db_url(db), socket_connect_timeout=5)
            try:
                owner = client.get(REDIS_CLAIM_KEY)
                if owner is not None and _owner_gone(owner.decode(errors="replace")):
                    client.flushdb()  # left by a stack that was killed
                if client.dbsize() == 0 and client.set(REDIS_CLAIM_KEY, self._claim, nx=True):
                    self.redis_dbs.append(db)
                    return
            except redis.RedisError as exc:
                raise StackError(f"Redis at {self.redis_url} is unreachable: {exc}") from exc
            finally:
                client.close()
        raise StackError(f"no empty Redis database among {list(REDIS_DBS)}")

    # ---- stop ---------------------------------------------------------------------------------

    def stop(self) -> list[int]:
        """Stop every process (edge first, like compose), drop the data; idempotent.

        Returns the pids that had to be killed after the services were stopped (should be none).
        """
        by_name = {s.name: s for s in self.services}
        # Each service leads its own session, so its pid is its process group.
        groups = {s.process.pid for s in self.services if s.process is not None}
        for name in ("nginx", "app", "beat", "worker"):
            if name in by_name:
                by_name[name].stop(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
        strays = leftovers(str(self.run_dir), groups)
        for pid in strays:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.services.clear()
        self._drop_data()
        return strays

    def _drop_data(self) -> None:
        if self.database:
            with contextlib.suppress(StackError), self._postgres() as admin:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(self.database)
                    )
                )
            self.database = ""
        for db in self.redis_dbs:
            client = redis.Redis.from_url(self.redis_db_url(db), socket_connect_timeout=5)
            with contextlib.suppress(redis.RedisError):
                if client.get(REDIS_CLAIM_KEY) == self._claim.encode():
                    client.flushdb()
            client.close()
        self.redis_dbs = []
        shutil.rmtree(self.run_dir, ignore_errors=True)


_MIGRATE = """
import sys
from vertex_ar.cli import main
sys.argv = ["vertex-ar", "db", "upgrade"]
code = main()
if code == 0:
    sys.argv = ["vertex-ar", "admin", "ensure"]
    code = main()
sys.exit(code)
"""


def _answers(url: str) -> bool:
    try:
        httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return False
    return True


def _healthy(url: str) -> bool:
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and response.json().get("status") == "ok"


class _Stop(Exception):
    """SIGINT or SIGTERM arrived."""


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _summary(stack: Stack) -> str:
    logs = stack.run_dir / "logs"
    return "\n".join(
        [
            "Vertex AR stack is up. Ctrl-C stops everything and deletes its data.",
            f"  site (Nginx)         {stack.http_url}/   API docs {stack.http_url}/docs",
            f"  app (uvicorn x{stack.app_workers})     {stack.app_url}/   (/metrics: here only)",
            f"  worker metrics       {stack.worker_metrics_url}",
            f"  first admin          {ADMIN_EMAIL} / {stack.admin_password}",
            f"  database             {stack.database_url}",
            f"  redis                broker db {stack.redis_dbs[0]}, cache db {stack.redis_dbs[1]}",
            f"  logs                 {logs}/{{migrate,app,worker,beat,nginx}}.log",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--http-port",
        type=int,
        default=8080,
        help="Nginx port on 127.0.0.1 (busy: a free one); 0: any free port",
    )
    parser.add_argument(
        "--postgres",
        default=Stack.postgres_url,
        help="a PostgreSQL URL allowed to create databases",
    )
    parser.add_argument("--redis", default=Stack.redis_url, help="Redis server URL, no database")
    parser.add_argument(
        "--info-file", type=Path, help="write the addresses and credentials here as JSON once ready"
    )
    args = parser.parse_args(argv)

    port = args.http_port
    if port and not port_is_free(port):
        print(f"stack: port {port} is in use; taking a free one", file=sys.stderr)
        port = 0
    stack = Stack(postgres_url=args.postgres, redis_url=args.redis, http_port=port)
    # Until the services run, a signal interrupts the start; from then on, the wait below.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_stop)
    code = 0
    try:
        stack.start()
        if args.info_file:
            tmp = args.info_file.with_name(args.info_file.name + ".tmp")
            tmp.write_text(json.dumps(stack.info(), indent=1))
            tmp.replace(args.info_file)
        print(_summary(stack), flush=True)
        while True:
            time.sleep(1)
            dead = [s for s in stack.services if s.exited() is not None]
            if dead:
                for service in dead:
                    print(f"stack: {service.name} exited ({service.exited()}):\n{service.tail()}",
                          file=sys.stderr)  # fmt: skip
                code = 1
                break
    except _Stop as stop:
        print(f"stack: {stop}, stopping", flush=True)
    except StackError as exc:
        print(f"stack: {exc}", file=sys.stderr)
        code = 1
    finally:
        # Stopping must finish: no second Ctrl-C may leave half the processes behind.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_IGN)
        strays = stack.stop()
        if strays:
            print(f"stack: killed leftover processes {strays}", file=sys.stderr)
            code = code or 1
    print("stack: stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
