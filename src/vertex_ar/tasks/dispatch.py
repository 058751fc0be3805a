"""Sending work to the queues. Tasks are addressed by name: the web process imports no task code."""

from __future__ import annotations

from typing import Any, cast

from celery import Celery

from vertex_ar.core.settings import Settings
from vertex_ar.tasks.config import create_celery

COMPILE_MARKER = "markers.compile"
RENDER_VIDEO = "media.render"
POOL_PING = "maintenance.pool_ping"


class TaskQueue:
    """The web side of the queues: one per app, bound to the app's settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.celery: Celery = create_celery(settings)

    def compile_marker(self, content_id: int) -> None:
        self.celery.send_task(COMPILE_MARKER, args=[content_id], queue="markers")

    def render_video(self, video_id: int) -> None:
        self.celery.send_task(RENDER_VIDEO, args=[video_id], queue="media")

    def ping_pool(self, hostname: str) -> None:
        """Ask a pool process to record that it runs tasks (`tasks.heartbeat.record_pool_ping`);
        an unanswered ping expires with the stall window instead of piling up."""
        self.celery.send_task(
            POOL_PING,
            args=[hostname],
            queue="default",
            expires=self.settings.worker_pool_stall_seconds,
        )

    def ping_broker(self) -> None:
        """Raise when the broker cannot be reached."""
        with self.celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            if not self.settings.embedded_broker:
                cast(Any, connection.default_channel).client.ping()
