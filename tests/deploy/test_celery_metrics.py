"""Task duration and failures recorded in a real prefork worker, served by the worker itself."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.deploy.celery_probe import QUEUE, make_app
from tests.deploy.promtext import value

REPO = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _scrape(port: int) -> str | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.TransportError:
        return None


def test_prefork_worker_reports_task_metrics(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ, "PROBE_BROKER_DIR": str(tmp_path / "broker"),
"PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"),
        "PYTHONPATH": str(REPO),
    }  # fmt: skip
    command = [
        str(REPO / "deploy" / "docker-entrypoint.sh"), sys.executable, "-m", "celery",
        "-A", "tests.deploy.celery_probe_worker", "worker", "--pool", "prefork",
        "--concurrency", "1", "--queues", QUEUE, "--without-mingle", "--without-gossip",
        "--without-heartbeat", "--loglevel", "WARNING", "--metrics-port", str(port),
    ]  # fmt: skip
    worker = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
    )
    try:
        producer = make_app(tmp_path / "broker")
        for name in ("probe.ok", "probe.ok", "probe.fail"):
            producer.send_task(name, queue=QUEUE)
        deadline = time.monotonic() + 120
        text = None
        while time.monotonic() < deadline:
            text = _scrape(port)
            if text is not None:
                counts = "vertex_ar_celery_task_duration_seconds_count"
                failed = value(text, counts, task="probe.fail", state="FAILURE")
                succeeded = value(text, counts, task="probe.ok", state="SUCCESS")
                if (failed, succeeded) == (1, 2):
                    break
            assert worker.poll() is None, "worker exited"
            time.sleep(0.5)
        else:
            pytest.fail(f"tasks not reported in time; last scrape:\n{text}")
        assert text is not None
        assert value(text, "vertex_ar_celery_task_failures_total", task="probe.fail") == 1
        assert value(text, "vertex_ar_celery_task_failures_total", task="probe.ok") is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def test_worker_server_refuses_to_run_without_the_multiprocess_dir() -> None:
    code = (
        "from vertex_ar.observability.celery_signals import start_worker_metrics_server\n"
        "start_worker_metrics_server(0)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR" in done.stderr


def test_the_projects_worker_has_the_metrics_port_option() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "vertex_ar.worker", "worker", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "--metrics-port" in done.stdout
