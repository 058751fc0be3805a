"""Routing: each task lands on exactly its own queue, on both brokers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import redis

from vertex_ar.tasks.dispatch import TaskQueue


def _queue_depths(settings: Any) -> dict[str, int]:
    queues = ("markers", "media", "notifications", "default")
    if settings.celery_broker_url:
        client = redis.Redis.from_url(settings.celery_broker_url)
        return {q: int(client.llen(q)) for q in queues}  # type: ignore[arg-type]
    folder = Path(settings.data_dir) / "broker" / "queue"
    names = [p.name for p in folder.glob("*.msg")]
    return {q: sum(n.endswith(f".{q}.msg") for n in names) for q in queues}


def _sent(settings: Any, send: Any) -> dict[str, int]:
    """How many messages `send(tasks)` added to each queue."""
    tasks = TaskQueue(settings)
    # Bind every queue as a running worker does: a shared routing key would now copy the task.
    with tasks.celery.connection_for_write() as connection:
        for queue in tasks.celery.conf.task_queues:
            queue(connection.default_channel).declare()
    before = _queue_depths(settings)
    send(tasks)
    after = _queue_depths(settings)
    return {q: after[q] - before[q] for q in after}


def test_marker_task_goes_to_markers_queue_only(settings: Any) -> None:
    sent = _sent(settings, lambda tasks: tasks.compile_marker(12345))
    assert sent == {"markers": 1, "media": 0, "notifications": 0, "default": 0}


def test_rendition_task_goes_to_media_queue_only(settings: Any) -> None:
    sent = _sent(settings, lambda tasks: tasks.render_video(12345))
    assert sent == {"markers": 0, "media": 1, "notifications": 0, "default": 0}
