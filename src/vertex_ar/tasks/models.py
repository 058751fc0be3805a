from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from vertex_ar.core.db import Base


class WorkerHeartbeat(Base):
    """Last sign of life of each Celery worker, read by the health check."""

    __tablename__ = "worker_heartbeats"

    hostname: Mapped[str] = mapped_column(String(255), primary_key=True)
    seen_at: Mapped[datetime]
    # When a pool process last ran this worker's ping (tasks.heartbeat): a main process that
    # beats while its pool takes no task is a stuck worker.
    pool_seen_at: Mapped[datetime | None] = mapped_column(default=None)
