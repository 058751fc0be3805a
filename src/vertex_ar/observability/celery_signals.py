"""Celery task metrics through Celery's signals, and the worker's own /metrics endpoint.

Task code runs in the worker's pool processes, which the web app's /metrics cannot see (another
container, another multiprocess directory), so the worker serves its own endpoint for Prometheus.
"""

from __future__ import annotations

import time
from typing import Any

from celery.signals import task_failure, task_postrun, task_prerun, worker_init
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.multiprocess import MultiProcessCollector

from vertex_ar.observability.metrics import (
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


def connect_celery_metrics(metrics_port: int = 0) -> None:
    """Record task duration and failures; with `metrics_port` > 0 the worker serves /metrics there.

    Call once where the Celery app is created. The server starts only in a worker's main process
    (the `worker_init` signal), never in beat or in a web process that imports the app.
    """
    task_prerun.connect(_on_prerun, weak=False, dispatch_uid="vertex_ar.metrics.prerun")
    task_postrun.connect(_on_postrun, weak=False, dispatch_uid="vertex_ar.metrics.postrun")
    task_failure.connect(_on_failure, weak=False, dispatch_uid="vertex_ar.metrics.failure")
    if metrics_port > 0:

        def _serve(**_: Any) -> None:
            start_worker_metrics_server(metrics_port)

        worker_init.connect(_serve, weak=False, dispatch_uid="vertex_ar.metrics.server")
