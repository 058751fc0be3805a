"""Analytics at scale: the overview, the breakdown (top content, per project) and the sessions
page over a million view sessions.

    .venv/bin/python -m benchmarks.analytics [--sessions 1000000] [--runs 5] [--postgres URL]

One company gets ``--sessions`` sessions spread over a year, a second company a fifth as many
(noise the scoping must skip). The queries are the API's own (AnalyticsService, as that
company's admin) on SQLite and, when reachable, PostgreSQL. The baseline in the same run is the
same queries after dropping the covering (company_id, created_at, ...) index of migration 0003,
so the ratio is what the index buys. Medians of ``--runs``; the 1-minute load average is
printed because the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import psycopg
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url

import vertex_ar.models  # noqa: F401 - every table mapped before the first flush
from vertex_ar.analytics.models import ARViewSession
from vertex_ar.analytics.service import AnalyticsService, OverviewQuery, SessionsQuery
from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent
from vertex_ar.core import migrate
from vertex_ar.core.db import Database, sync_url
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.tenancy import AuthSubject, Role
from vertex_ar.projects.models import Project

END = date(2026, 6, 30)
DAY, NEXT_DAY = datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 2, tzinfo=UTC)
DEVICES = np.array(["mobile", "tablet", "desktop", "other"])
CHUNK = 50_000


@dataclass
class Timing:
    name: str
    indexed_ms: float
    baseline_ms: float


def seed(engine: Engine, sessions: int) -> None:
    """Two companies with one project and ten content items each, then the sessions."""
    with engine.begin() as conn:
        for company in (1, 2):
            conn.execute(insert(Company).values(id=company, name=f"C{company}", slug=f"c{company}",
                                                timezone="Europe/Moscow"))  # fmt: skip
            conn.execute(insert(Project).values(id=company, company_id=company, name="P"))
            conn.execute(
                insert(ARContent),
                [
                    {"id": company * 100 + item, "company_id": company, "project_id": company,
                     "unique_id": f"u-{company}-{item}", "title": "t", "portrait_key": "k",
                     "portrait_mime": "image/png", "portrait_width": 1, "portrait_height": 1}
                    for item in range(10)
                ],
            )  # fmt: skip
    rng = np.random.default_rng(1)
    start = datetime.combine(END - timedelta(days=364), datetime.min.time(), UTC).timestamp()
    for company, count in ((1, sessions), (2, sessions // 5)):
        for offset in range(0, count, CHUNK):
            n = min(CHUNK, count - offset)
            stamps = np.sort(rng.uniform(start, start + 365 * 86400, n))
            found = rng.random(n) < 0.8
            rows = [
                {
                    "company_id": company,
                    "content_id": company * 100 + int(c),
                    "device_type": str(d),
                    "fps": float(f),
                    "duration_seconds": float(s),
                    "time_to_detection_ms": float(t) if ok else None,
                    "found": bool(ok),
                    "user_agent": "bench",
                    "created_at": datetime.fromtimestamp(float(ts), UTC),
                }
                for c, d, f, s, t, ok, ts in zip(
                    rng.integers(0, 10, n), rng.choice(DEVICES, n, p=[0.7, 0.1, 0.15, 0.05]),
                    rng.uniform(5, 30, n), rng.exponential(40, n), rng.exponential(1500, n),
                    found, stamps, strict=True,
                )
            ]  # fmt: skip
            with engine.begin() as conn:
                conn.execute(insert(ARViewSession), rows)


async def measure(url: str, runs: int) -> dict[str, float]:
    subject = AuthSubject(1, "bench@example.com", Role.company_admin, 1)
    queries: dict[str, Callable[[AnalyticsService], Awaitable[object]]] = {
        "overview, 30 days": lambda s: s.overview(OverviewQuery(END - timedelta(days=29), END)),
        "overview, 365 days": lambda s: s.overview(OverviewQuery(END - timedelta(days=364), END)),
        "breakdown, 30 days": lambda s: s.breakdown(OverviewQuery(END - timedelta(days=29), END)),
        "sessions, first page": lambda s: s.list(SessionsQuery(), PageParams()),
        "sessions, one day": lambda s: s.list(
            SessionsQuery(since=DAY, until=NEXT_DAY), PageParams()
        ),
    }
    database = Database(url)
    results = {}
    try:
        for name, query in queries.items():
            samples = []
            for _ in range(runs + 1):  # the first run warms caches and is dropped
                async with database.sessions() as session:
                    started = time.perf_counter()
                    await query(AnalyticsService(session, subject))
                    samples.append((time.perf_counter() - started) * 1000)
            results[name] = statistics.median(samples[1:])
    finally:
        await database.dispose()
    return results


def analyze(engine: Engine) -> None:
    """Fresh statistics; on PostgreSQL also the visibility map that index-only scans need."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))


def bench(label: str, url: str, sessions: int, runs: int) -> list[Timing]:
    migrate.upgrade(url)
    engine = create_engine(sync_url(url))
    started = time.perf_counter()
    seed(engine, sessions)
    analyze(engine)
    seconds = time.perf_counter() - started
    print(f"{label}: seeded {sessions + sessions // 5:,} sessions in {seconds:.0f} s")
    indexed = asyncio.run(measure(url, runs))
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_ar_view_sessions_company_time_cover"))
    analyze(engine)
    baseline = asyncio.run(measure(url, runs))
    engine.dispose()
    return [Timing(f"{label}: {name}", indexed[name], baseline[name]) for name in indexed]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="bench-analytics-") as folder:
        sqlite = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        timings += bench("SQLite", sqlite, args.sessions, args.runs)

    admin_url = make_url(args.postgres).set(drivername="postgresql")
    try:
        admin = psycopg.connect(admin_url.render_as_string(hide_password=False), autocommit=True,
                                connect_timeout=3)  # fmt: skip
    except psycopg.Error as exc:
        print(f"PostgreSQL skipped: {exc}")
    else:
        name = f"vertex_ar_bench_{os.getpid()}"
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
            timings += bench("PostgreSQL", url, args.sessions, args.runs)
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()

    print(f"\nload average (1 min): {os.getloadavg()[0]:.1f}; medians of {args.runs} runs")
    print(f"{'query':<44} {'indexed ms':>11} {'no index ms':>12} {'ratio':>7}")
    for t in timings:
        print(f"{t.name:<44} {t.indexed_ms:>11.1f} {t.baseline_ms:>12.1f} "
              f"{t.baseline_ms / t.indexed_ms:>7.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
