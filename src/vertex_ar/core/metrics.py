"""The metric objects every process writes to, and the exposition of all processes' values.

With several processes (uvicorn workers, Celery prefork children), prometheus-client runs in its
multiprocess mode: each process writes its samples to files in `PROMETHEUS_MULTIPROC_DIR`, and a
scrape aggregates the files. The variable must be set before `prometheus_client` is imported (it is
read at import time), and the directory must be emptied when the service starts, otherwise the
counters of a previous run are added to the new one: `reset_multiprocess_dir()` does that, and the
Docker entrypoint does the same before exec'ing the server.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# Request latencies: fine steps below a second (API), coarse above (uploads).
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
# Task and marker-compile durations: seconds to minutes.
TASK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

HTTP_REQUESTS = Counter(
    "vertex_ar_http_requests",
    "HTTP requests answered, by route template (not raw path) and status code.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "vertex_ar_http_request_duration_seconds",
    "Time from request start to the end of the response body, by route template and status.",
    ["method", "route", "status"],
    buckets=HTTP_BUCKETS,
)
CELERY_TASK_DURATION = Histogram(
    "vertex_ar_celery_task_duration_seconds",
    "Celery task run time by task name and final state (SUCCESS, FAILURE, RETRY, ...).",
    ["task", "state"],
    buckets=TASK_BUCKETS,
)
CELERY_TASK_FAILURES = Counter(
    "vertex_ar_celery_task_failures",
    "Celery task runs that raised, by task name.",
    ["task"],
)
MARKER_COMPILE_DURATION = Histogram(
    "vertex_ar_marker_compile_seconds",
    "Wall time of one marker compilation, by outcome (success or failure).",
    ["outcome"],
    buckets=TASK_BUCKETS,
)


def multiprocess_dir() -> Path | None:
    value = os.environ.get(MULTIPROC_ENV)
    return Path(value) if value else None


def reset_multiprocess_dir() -> Path | None:
    """Empty (or create) the multiprocess directory; once per service start, before any fork.

    Returns the directory, or None when multiprocess mode is off.
    """
    directory = multiprocess_dir()
    if directory is None:
        return None
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    return directory


@contextmanager
def marker_compile_timer() -> Iterator[None]:
    """Time one marker compilation; an exception is recorded as a failure and re-raised."""
    start = time.perf_counter()
    outcome = "failure"
    try:
        yield
        outcome = "success"
    finally:
        MARKER_COMPILE_DURATION.labels(outcome).observe(time.perf_counter() - start)


class _Families(Collector):
    """Already-computed metric families (scrape-time values) as a collector."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self._families = list(families)

    def collect(self) -> Iterable[Metric]:
        return self._families


class _ProcessRegistry(Collector):
    """The default registry of this process, when there is only one process."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def render_latest(extra: Iterable[Metric] = ()) -> bytes:
    """Text exposition of every process's metrics plus `extra` families computed at scrape time."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory is not None:
        MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    else:
        registry.register(_ProcessRegistry())
    registry.register(_Families(extra))
    return generate_latest(registry)
