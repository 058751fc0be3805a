"""Celery configuration: Redis broker in production, a filesystem broker when embedded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from kombu import Exchange, Queue

from vertex_ar.backups.schedule import backup_crontab
from vertex_ar.core.settings import Settings

# `media` (video renditions, minutes each) apart, so that a long conversion never holds up a
# marker or a notification; a host may run a worker of its own for it (`--queues=media`).
QUEUES = ("markers", "media", "notifications", "default")
BACKUP_TASK = "maintenance.backup"
WORKER_APP = "vertex_ar.worker"
WORKER_CONCURRENCY = 2


def worker_command(
    loglevel: str, *options: str, concurrency: int = WORKER_CONCURRENCY
) -> list[str]:
    """The worker's command line, written once: every queue, `concurrency` pool processes.

    `vertex-ar serve`, `vertex-ar worker`, deploy/stack.py and the tests run it as
    `python -m celery ...`; compose cannot import Python, so tests/deploy/test_compose.py checks
    its copy against this one. `options` add what one place needs (`--beat`, `--metrics-port=N`).
    """
    return [
        "celery", "-A", WORKER_APP, "worker", f"--queues={','.join(QUEUES)}",
        f"--concurrency={concurrency}", f"--loglevel={loglevel}", *options,
    ]  # fmt: skip


def beat_command(loglevel: str) -> list[str]:
    """Celery Beat on its own (production; the embedded worker runs it with `--beat`)."""
    return ["celery", "-A", WORKER_APP, "beat", f"--loglevel={loglevel}"]


def broker_options(settings: Settings) -> dict[str, Any]:
    if not settings.embedded_broker:
        # Visibility timeout above the longest task, so acks_late work is not redelivered early.
        return {"visibility_timeout": 3600}
    folder = (settings.data_dir / "broker").resolve()
    for sub in ("queue", "processed", "control"):
        Path(folder / sub).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = {
        "deactivate-expired-content": {
            "task": "maintenance.deactivate_expired",
            "schedule": timedelta(seconds=settings.expiry_check_seconds),
        },
        "expiry-warnings": {
            "task": "notifications.expiry_warnings",
            "schedule": timedelta(seconds=settings.expiry_warning_check_seconds),
        },
        "send-notifications": {
            "task": "notifications.send",
            "schedule": timedelta(seconds=settings.notification_send_seconds),
        },
        "purge-trash": {
            "task": "maintenance.purge_trash",
            "schedule": timedelta(seconds=settings.trash_purge_seconds),
        },
        "purge-deferred-storage-deletes": {
            "task": "maintenance.purge_storage_deletes",
            "schedule": timedelta(minutes=10),
        },
        # Probes every backend in use (5 s at most each, side by side); an outage is told once.
        "storage-check": {
            "task": "notifications.storage_check",
            "schedule": timedelta(minutes=5),
        },
    }
    backups = backup_crontab(settings.backup_schedule)
    if backups is not None:  # `vertex-ar backup create` (then retention), run by a worker
        schedule["backup"] = {"task": BACKUP_TASK, "schedule": backups}
    return schedule


def create_celery(settings: Settings) -> Celery:
    # The tasks are defined by `vertex_ar.worker`, the module that `celery -A` loads.
    app = Celery("vertex_ar", broker=settings.broker_url)
    app.conf.update(
        broker_transport_options=broker_options(settings),
        broker_connection_retry_on_startup=True,
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue="default",
        # One exchange and routing key per queue: a shared key would copy every task to all.
        task_queues=[
            Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUES
        ],
        task_routes={
            "markers.*": {"queue": "markers"},
            "media.*": {"queue": "media"},
            "notifications.*": {"queue": "notifications"},
        },
        timezone="UTC",
        beat_schedule=beat_schedule(settings),
        beat_schedule_filename=str((settings.data_dir / "celerybeat-schedule").resolve()),
    )
    return app
