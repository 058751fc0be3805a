"""One log format for the whole platform, checked on a real `vertex-ar serve` with its worker."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

OUR_REQUESTS = {"log-health": "/api/health/status", "log-viewer": "/ar/unknown"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve_until_the_worker_beats(tmp_path: Path, port: int) -> tuple[str, str]:
    """Run `vertex-ar serve` (web + embedded Celery worker and beat), send our requests once the
    worker is up, stop it; its stdout and stderr."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "STORAGE_ROOT": str(tmp_path / "data" / "storage"),
        "WORKER_HEARTBEAT_SECONDS": "1",
        "LOG_JSON": "true",
        # Celery warns when run as root (CI containers); production runs as uid 1000.
        "PYTHONWARNINGS": "ignore:You're running the worker with superuser privileges",
    }
    for name in ("PROMETHEUS_MULTIPROC_DIR", "PUBLIC_BASE_URL"):
        env.pop(name, None)
    command = [sys.executable, "-m", "vertex_ar.cli"]
    migrated = subprocess.run([*command, "db", "upgrade"], cwd=tmp_path, env=env, timeout=120)
    assert migrated.returncode == 0
    out, err = (tmp_path / "serve.out").open("wb"), (tmp_path / "serve.err").open("wb")
    serve = subprocess.Popen(
        [*command, "serve", "--port", str(port)], cwd=tmp_path, env=env, stdout=out, stderr=err
    )
    try:
        deadline = time.monotonic() + 120
        body: dict[str, Any] = {}
        while time.monotonic() < deadline and not body.get("checks", {}).get("worker", {}).get(
            "ok"
        ):
            time.sleep(1)
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/health/status").json()
            except httpx.HTTPError:
                continue
        assert body.get("status") == "ok", (tmp_path / "serve.err").read_text()[-3000:]
        for request_id, path in OUR_REQUESTS.items():
            httpx.get(
                f"http://127.0.0.1:{port}{path}?t=signed-secret",
                headers={"X-Request-ID": request_id},
            )
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=120)
        out.close()
        err.close()
    return (tmp_path / "serve.out").read_text(), (tmp_path / "serve.err").read_text()


def test_serve_uvicorn_and_celery_log_one_json_line_per_event(tmp_path: Path) -> None:
    port = _free_port()
    stdout, stderr = _serve_until_the_worker_beats(tmp_path, port)

    events = []
    for line in stderr.splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"a log line in another format: {line!r}") from None
    assert all({"event", "level", "timestamp"} <= set(e) for e in events)
    loggers = {e.get("logger", "").split(".")[0] for e in events}
    assert {"uvicorn", "celery"} <= loggers, loggers  # the libraries' records, in our format

    # Each request once: our middleware's line, no uvicorn access line; no query string.
    for request_id, path in OUR_REQUESTS.items():
        logged = [e for e in events if e.get("request_id") == request_id]
        assert [(e["event"], e["path"]) for e in logged] == [("http.request", path)], logged
    assert "signed-secret" not in stderr
    assert "HTTP/1.1" not in stderr

    # PUBLIC_BASE_URL was not set: links follow the port served.
    assert f"links and QR codes: http://127.0.0.1:{port}" in stdout
