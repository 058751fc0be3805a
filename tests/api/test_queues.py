"""Routing: each task lands on exactly its own queue, on both brokers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis

from vertex_ar.tasks.dispatch import TaskQueue


def _queue_depths(settings: Any) -> dict[str, int]:
    queues = ("markers", "notifications", "default")
    if settings.celery_broker_url:
        client = redis.Redis.from_url(settings.celery_broker_url)
        return {q: int(client.llen(q)) for q in queues}  # type: ignore[arg-type]
    folder = Path(settings.data_dir) / "broker" / "queue"
    names = [p.name for p in folder.glob("*.msg")]
    return {q: sum(n.endswith(f".{q}.msg") for n in names) for q in queues}


def test_marker_task_goes_to_markers_queue_only(settings: Any) -> None:
    tasks = TaskQueue(settings)
    # Bind every queue as a running worker does: a shared routing key would now copy the task.
    with tasks.celery.connection_for_write() as connection:
        for queue in tasks.celery.conf.task_queues:
            queue(connection.default_channel).declare()
    before = _queue_depths(settings)
    tasks.compile_marker(12345)
    after = _queue_depths(settings)
    assert {q: after[q] - before[q] for q in after} == {
        "markers": 1,
        "notifications": 0,
        "default": 0,
    }
