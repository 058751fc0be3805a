"""Celery task metrics through Celery's signals, and the worker's own /metrics endpoint.

Task code runs in the worker's pool processes, which the web app's /metrics cannot see (another
container, another multiprocess directory), so the worker serves its own endpoint for Prometheus.
"""

from __future__ import annotations

import time
from typing import Any

import click
from celery import Celery, bootsteps
from celery.signals import task_failure, task_postrun, task_prerun
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from vertex_ar.core.metrics import (
    CELERY_TASK_DURATION,
    CELERY_TASK_FAILURES,
    MULTIPROC_ENV,
    multiprocess_dir,
)

_started: dict[str, float] = {}  # task id -> perf_counter at start, per pool process


def _task_name(task: Any, sender: Any = None) -> str:
    name = getattr(task, "name", None) or getattr(sender, "name", None)
    return str(name) if name else "unknown"


def _on_prerun(task_id: str | None = None, **_: Any) -> None:
    if task_id is not None:
        _started[task_id] = time.perf_counter()


def _on_postrun(
    task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any
) -> None:
    start = _started.pop(task_id, None) if task_id is not None else None
    if start is not None:
        CELERY_TASK_DURATION.labels(_task_name(task), state or "UNKNOWN").observe(
            time.perf_counter() - start
        )


def _on_failure(sender: Any = None, **_: Any) -> None:
    CELERY_TASK_FAILURES.labels(_task_name(sender)).inc()


def start_worker_metrics_server(port: int, addr: str = "0.0.0.0") -> None:  # noqa: S104
    """Serve the metrics of the worker and of all its pool processes on `addr:port`."""
    directory = multiprocess_dir()
    if directory is None:
        # Without the shared directory, pool processes' samples would silently be missing.
        raise RuntimeError(f"worker metrics need {MULTIPROC_ENV} set before the worker starts")
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=str(directory))  # type: ignore[no-untyped-call]
    start_http_server(port, addr=addr, registry=registry)


class _MetricsServer(bootsteps.StartStopStep):
    """Worker bootstep: /metrics from the main worker process when --metrics-port is set."""

    def __init__(self, worker: Any, metrics_port: int = 0, **options: Any) -> None:
        super().__init__(worker, **options)
        self.port = metrics_port

    def start(self, worker: Any) -> None:
        if self.port:
            start_worker_metrics_server(self.port)


def connect_celery_metrics(app: Celery) -> None:
    """Record task duration and failures, and give `celery worker` a `--metrics-port` option.

    Call once where the Celery app is created. `celery -A ... worker --metrics-port 9808` serves
    the metrics of the worker and its pool processes on that port (needs PROMETHEUS_MULTIPROC_DIR);
    without the option, or in beat and in web processes that import the app, no server starts.
    """
    task_prerun.connect(_on_prerun, weak=False, dispatch_uid="vertex_ar.metrics.prerun")
    task_postrun.connect(_on_postrun, weak=False, dispatch_uid="vertex_ar.metrics.postrun")
    task_failure.connect(_on_failure, weak=False, dispatch_uid="vertex_ar.metrics.failure")
    app.user_options["worker"].add(
        click.Option(
            ["--metrics-port"],
            type=int,
            default=0,
            help="Serve Prometheus metrics of this worker on this port (0: off).",
        )
    )
    app.steps["worker"].add(_MetricsServer)
