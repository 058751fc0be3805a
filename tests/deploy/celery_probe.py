"""A small Celery app on the filesystem broker, for testing the task metrics in a real worker."""

from __future__ import annotations

from pathlib import Path

from celery import Celery

QUEUE = "probe"


def make_app(folder: Path) -> Celery:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    app = Celery("probe", broker="filesystem://")
    app.conf.update(
        broker_transport_options={
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            # Without it Kombu writes broadcast state to ./control in the working directory.
            "control_folder": str(folder / "control"),
            "store_processed": False,
            "polling_interval": 0.2,
        },
        task_default_queue=QUEUE,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
    )

    @app.task(name="probe.ok")
    def ok() -> int:
        return 1

    @app.task(name="probe.fail")
    def fail() -> None:
        raise ValueError("probe failure")

    return app
