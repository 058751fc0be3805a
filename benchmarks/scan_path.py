"""The scan path (active-video, the viewer page, /media) against bare FastAPI floors, in one run.

    .venv/bin/python -m benchmarks.scan_path [--seconds 5] [--runs 3] [--conns 50] [--quick]

Our app (`vertex_ar.app:app`) and the floors (`benchmarks/scan_baseline.py`) run side by side as
uvicorn processes with one worker each, as `vertex-ar serve` runs them (uvloop, httptools, our
logging, no access log), on a seeded SQLite database and then on PostgreSQL + Redis (skipped if
unreachable). wrk (Debian, scripts/install-system-deps.sh) loads each endpoint for ``--seconds``,
ours and its floor alternately, ``--runs`` times; the table shows medians and our share of the
floor's throughput. CPU/request is the server process' CPU time over the requests it answered.

Rows:
- active-video warm: one print scanned over and over (the day's answer cached) vs bare FastAPI
  returning the same JSON;
- active-video cold: every request a different print (20,000 seeded) vs FastAPI + SQLAlchemy
  running the viewer's one indexed query;
- viewer page `/ar/{id}` vs bare FastAPI serving the same HTML;
- /media, a 1 MiB Range of an 8 MiB video without Nginx vs Starlette's FileResponse;
- 4 workers (PostgreSQL + Redis): active-video warm and the bare floor with four workers each.

Rate limits stay on (raised so that one wrk client is never refused; the check still runs on
every request). Any non-2xx answer is counted and printed: a fast 429 is not a result.
The machine is shared: the 1-minute load average is printed; ratios within one run are what
count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy import create_engine, insert
from sqlalchemy.engine import make_url

import vertex_ar.models  # noqa: F401 - every table mapped before the first insert
from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, MarkerStatus, Video
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.projects.models import Project

ROOT = Path(__file__).resolve().parents[1]
COLD_PRINTS = 20_000
WARM_ID = "warm-content"
VIDEO_KEY, MARKER_KEY = "1/videos/bench-video.mp4", "1/markers/bench-marker.mind"
VIDEO_BYTES = 8 * 1024 * 1024
RANGE = "bytes=0-1048575"
HUGE_LIMIT = str(10**9)
# The launcher `vertex-ar serve` uses: uvicorn with the app's own logging and no access log.
LAUNCH = (
    "import sys, uvicorn; uvicorn.run(sys.argv[1], factory=True, host='127.0.0.1', "
    "port=int(sys.argv[2]), workers=int(sys.argv[3]), log_config=None, access_log=False, "
    "log_level='warning')"
)


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float | None  # server CPU per request
    errors: int


@dataclass
class Row:
    name: str
    ours: list[Load] = field(default_factory=list)
    floor: list[Load] = field(default_factory=list)
    floor_name: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


class Server:
    def __init__(self, target: str, env: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-c", LAUNCH, target, str(self.port), str(workers)],
            env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
            cwd=log.parent,  # no stray .env from the checkout
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        # Importing the app takes ~8 s of CPU, and the machine is shared.
        deadline = time.monotonic() + 300
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"{target} did not start:\n{tail}") from None
                time.sleep(0.1)
        self._settle(workers, deadline)

    def _settle(self, workers: int, deadline: float) -> None:
        """Wait until every worker has imported the app: the port is open as soon as uvicorn's
        supervisor binds it, and a load started then would measure the workers' imports."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        before = process_tree_cpu(pid)
        while time.monotonic() < deadline:
            time.sleep(1)
            now = process_tree_cpu(pid)
            spawned = workers == 1 or len(children.read_text().split()) >= workers
            if spawned and now - before < 0.05:
                return
            before = now

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.base + path, timeout=10) as answer:
            body: bytes = answer.read()
            return body

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@contextmanager
def running(target: str, env: dict[str, str], workers: int, log: Path) -> Iterator[Server]:
    server = Server(target, env, workers, log)
    try:
        yield server
    finally:
        server.stop()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


class Cold:
    """Hands out print numbers never requested before in this run (so no cache can help)."""

    def __init__(self) -> None:
        self.next = 0

    def script(self, folder: Path, prefix: str) -> Path:
        path = folder / f"cold-{self.next}.lua"
        path.write_text(
            f"counter = {self.next}\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            f'  local id = string.format("cold-%06d", counter % {COLD_PRINTS})\n'
            f'  return wrk.format(nil, "{prefix}" .. id .. "/active-video")\n'
            "end\n"
        )
        return path

    def used(self, requests: int) -> None:
        self.next += requests


def wrk(
    server: Server,
    path: str,
    *,
    seconds: float,
    conns: int,
    script: Path | None = None,
    header: str | None = None,
) -> tuple[Load, int]:
    command = ["wrk", "-t1", f"-c{conns}", f"-d{seconds:g}s", "--latency", "--timeout", "10s"]
    if script is not None:
        command += ["-s", str(script)]
    if header is not None:
        command += ["-H", header]
    cpu_before = process_tree_cpu(server.process.pid)
    out = subprocess.run(
        [*command, server.base + path], check=True, capture_output=True, text=True
    ).stdout
    cpu = process_tree_cpu(server.process.pid) - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50, p99 = (
        _ms(found.group(1)) if (found := re.search(rf"{q}%\s+(\S+)", out)) else float("nan")
        for q in (50, 99)
    )
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    cpu_ms = cpu * 1000 / requests if requests else None
    return Load(rps, p50, p99, cpu_ms, failed), requests


def seed(database_url: str, storage: Path) -> None:
    migrate.upgrade(database_url)
    engine = create_engine(sync_url(database_url))
    prints = [WARM_ID] + [f"cold-{n:06d}" for n in range(COLD_PRINTS)]
    with engine.begin() as conn:
        conn.execute(insert(Company).values(id=1, name="Bench", slug="bench",
                                            timezone="Europe/Moscow"))  # fmt: skip
        conn.execute(insert(Project).values(id=1, company_id=1, name="P"))
        conn.execute(
            insert(ARContent),
            [
                {"id": n + 1, "company_id": 1, "project_id": 1, "unique_id": unique_id,
                 "title": f"Print {n}", "portrait_key": "1/portraits/p.jpg",
                 "portrait_mime": "image/jpeg", "portrait_width": 1200, "portrait_height": 800,
                 "marker_key": MARKER_KEY, "marker_status": MarkerStatus.ready}
                for n, unique_id in enumerate(prints)
            ],
        )  # fmt: skip
        conn.execute(
            insert(Video),
            [
                {"id": n + 1, "content_id": n + 1, "file_key": VIDEO_KEY, "mime": "video/mp4",
                 "size_bytes": VIDEO_BYTES, "duration_seconds": 10.0, "width": 1280,
                 "height": 720}
                for n in range(len(prints))
            ],
        )  # fmt: skip
    engine.dispose()
    for key, size in ((VIDEO_KEY, VIDEO_BYTES), (MARKER_KEY, 4096)):
        path = storage / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(secrets.token_bytes(size))


def app_env(database_url: str, storage: Path, redis_url: str) -> dict[str, str]:
    return {
        "ENV": "development",
        "DATABASE_URL": database_url,
        "STORAGE_ROOT": str(storage),
        "REDIS_CACHE_URL": redis_url,
        "NODE_MODULES_DIR": str(ROOT / "node_modules"),
        "VIEWER_RATE_PER_MINUTE": HUGE_LIMIT,
        "VIEWER_RATE_BURST": HUGE_LIMIT,
        "MEDIA_RATE_PER_MINUTE": HUGE_LIMIT,
        "MEDIA_RATE_BURST": HUGE_LIMIT,
    }


def compare(
    rows: list[Row],
    name: str,
    ours: tuple[Server, str],
    floor: tuple[Server, str],
    floor_name: str,
    args: argparse.Namespace,
    *,
    cold: Cold | None = None,
    folder: Path | None = None,
    header: str | None = None,
) -> None:
    row = Row(name, floor_name=floor_name)
    for server, path in (ours, floor):  # warm-up: connections, caches, imports
        wrk(server, path, seconds=1, conns=args.conns, header=header)
    for _ in range(args.runs):
        for server, path, samples in ((*ours, row.ours), (*floor, row.floor)):
            script = None
            if cold is not None and folder is not None:
                script = cold.script(folder, path)
                path = "/"
            load, requests = wrk(
                server, path, seconds=args.seconds, conns=args.conns, script=script, header=header
            )
            if cold is not None:
                cold.used(requests)
            samples.append(load)
    rows.append(row)
    print(f"  {name}: ours {median(row.ours).rps:,.0f} req/s, {floor_name} "
          f"{median(row.floor).rps:,.0f} req/s", flush=True)  # fmt: skip


def median(loads: Sequence[Load]) -> Load:
    cpus = [load.cpu_ms for load in loads if load.cpu_ms is not None]
    return Load(
        statistics.median(load.rps for load in loads),
        statistics.median(load.p50_ms for load in loads),
        statistics.median(load.p99_ms for load in loads),
        statistics.median(cpus) if cpus else None,
        sum(load.errors for load in loads),
    )


def bench_backend(
    label: str, database_url: str, redis_url: str, folder: Path, args: argparse.Namespace
) -> list[Row]:
    storage = folder / "storage"
    seed(database_url, storage)
    env = app_env(database_url, storage, redis_url)
    rows: list[Row] = []
    print(f"{label}: seeded {COLD_PRINTS + 1:,} prints", flush=True)
    with running("vertex_ar.app:app", env, 1, folder / "ours.log") as ours:
        answer = json.loads(ours.get(f"/api/ar/{WARM_ID}/active-video"))
        (folder / "page.html").write_bytes(ours.get(f"/ar/{WARM_ID}"))
        floor_env = {
            "BENCH_DATABASE_URL": database_url,
            "BENCH_HTML_FILE": str(folder / "page.html"),
            "BENCH_MEDIA_FILE": str(storage / VIDEO_KEY),
        }
        with running("benchmarks.scan_baseline:app", floor_env, 1, folder / "floor.log") as floor:
            warm = f"/api/ar/{WARM_ID}/active-video"
            compare(rows, f"{label}: active-video, warm", (ours, warm),
                    (floor, f"/bare/active-video/{WARM_ID}"), "bare FastAPI", args)  # fmt: skip
            compare(rows, f"{label}: active-video, cold", (ours, "/api/ar/"),
                    (floor, "/one-query/"), "FastAPI + 1 query", args,
                    cold=Cold(), folder=folder)  # fmt: skip
            compare(rows, f"{label}: viewer page", (ours, f"/ar/{WARM_ID}"),
                    (floor, "/bare/page"), "bare FastAPI, same HTML", args)  # fmt: skip
            compare(rows, f"{label}: /media 1 MiB Range", (ours, answer["url"]),
                    (floor, "/file"), "Starlette FileResponse", args,
                    header=f"Range: {RANGE}")  # fmt: skip
    if args.workers > 1 and redis_url:
        with (
            running("vertex_ar.app:app", env, args.workers, folder / "ours4.log") as ours,
            running("benchmarks.scan_baseline:app", floor_env, args.workers,
                    folder / "floor4.log") as floor,
        ):  # fmt: skip
            compare(rows, f"{label}: active-video, warm, {args.workers} workers",
                    (ours, f"/api/ar/{WARM_ID}/active-video"),
                    (floor, f"/bare/active-video/{WARM_ID}"), "bare FastAPI", args)  # fmt: skip
    return rows


@contextmanager
def postgres_database(url: str) -> Iterator[str | None]:
    admin_url = make_url(url).set(drivername="postgresql")
    try:
        admin = psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True,
                                connect_timeout=3)  # fmt: skip
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped: {exc}")
        yield None
        return
    name = f"vertex_ar_bench_{os.getpid()}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def flush_redis(url: str) -> bool:
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        client = Redis.from_url(url, socket_timeout=2)
        client.flushdb()  # the benchmark's own database: no stale cache or buckets
        client.close()
    except RedisError as exc:
        print(f"Redis skipped: {exc}")
        return False
    return True


def table(rows: list[Row], args: argparse.Namespace) -> str:
    lines = [
        f"load average (1 min): {os.getloadavg()[0]:.1f}; wrk -t1 -c{args.conns} "
        f"-d{args.seconds:g}s, medians of {args.runs} runs; one uvicorn worker unless said",
        "",
        "| path | ours req/s | p50 / p99 ms | CPU ms/req | floor | floor req/s | p50 / p99 ms "
        "| CPU ms/req | ratio |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        ours, floor = median(row.ours), median(row.floor)
        cells = []
        for load in (ours, floor):
            cpu = f"{load.cpu_ms:.2f}" if load.cpu_ms is not None else "-"
            cells.append(
                f"{load.rps:,.0f} | {load.p50_ms:.1f} / {load.p99_ms:.1f} | {cpu}"
                + (f" ({load.errors} non-2xx)" if load.errors else "")
            )
        lines.append(
            f"| {row.name} | {cells[0]} | {row.floor_name} | {cells[1]} "
            f"| {ours.rps / floor.rps:.0%} |"
        )
    scaled = {row.name: row for row in rows}
    for row in rows:
        one = scaled.get(row.name.split(f", {args.workers} workers")[0])
        if one is not None and one is not row:
            ours_gain = median(row.ours).rps / median(one.ours).rps
            floor_gain = median(row.floor).rps / median(one.floor).rps
            lines.append(
                f"\n{args.workers} workers vs 1: ours x{ours_gain:.2f}, floor x{floor_gain:.2f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--conns", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="1 run of 2 s, SQLite only")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.runs = 2, 1
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        folder = Path(tmp) / "sqlite"
        folder.mkdir()
        rows += bench_backend(
            "SQLite", f"sqlite+aiosqlite:///{folder / 'bench.db'}", "", folder, args
        )
        if not args.quick and flush_redis(args.redis):
            with postgres_database(args.postgres) as url:
                if url is not None:
                    folder = Path(tmp) / "postgres"
                    folder.mkdir()
                    rows += bench_backend("PostgreSQL + Redis", url, args.redis, folder, args)
    print()
    print(table(rows, args))


if __name__ == "__main__":
    main()
