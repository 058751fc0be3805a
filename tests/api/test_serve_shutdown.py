"""`vertex-ar serve` stopped while its embedded worker is busy compiling (issue 16).

The worker gets a bounded grace, then SIGKILL (logged with what was killed); `serve` returns only
once nothing of its tree is left; the interrupted compile is not lost: the next `serve` finds its
lease lapsed and compiles it again.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support import media
from tests.support.process_tree import alive, descendants

ADMIN = {"email": "owner@agency.example.com", "password": "owner-password-123"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _wait_for(what: str, seconds: float, check: Any, log: Path) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if result := check():
                return result
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def _status_in_database(tmp_path: Path) -> str:
    """The item's marker status straight from the database, with no server running."""
    with sqlite3.connect(tmp_path / "serve.db") as db:
        (status,) = db.execute("SELECT marker_status FROM ar_content").fetchone()
    return str(status)


@contextmanager
def _serving(env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log_path.open("ab") as log:
        serve = subprocess.Popen(
            [sys.executable, "-m", "vertex_ar.cli", "serve", "--port", str(port)],
            cwd=log_path.parent, env=env, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"

            def worker_up() -> bool:
                body = httpx.get(f"{base}/api/health/status", timeout=10).json()
                return bool(body["checks"]["worker"]["ok"])

            _wait_for("the embedded worker's heartbeat", 180, worker_up, log_path)
            yield serve
        finally:
            if serve.poll() is None:
                serve.send_signal(signal.SIGTERM)
            serve.wait(timeout=180)


def test_serve_stopped_mid_compile_kills_the_worker_and_the_compile_resumes(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "STORAGE_ROOT": str(tmp_path / "data" / "storage"),
        "ADMIN_EMAIL": ADMIN["email"],
        "ADMIN_PASSWORD": ADMIN["password"],
        "WORKER_HEARTBEAT_SECONDS": "1",
        "WORKER_STOP_GRACE_SECONDS": "0.5",  # far shorter than the compile below
        "MARKER_MAX_SIDE": "4000",  # compile the 12 MP portrait at full size: seconds of work
        "MARKER_LEASE_SECONDS": "3",
        "MARKER_SWEEP_SECONDS": "1",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    for command in (["db", "upgrade"], ["admin", "ensure"]):
        done = subprocess.run(
            [sys.executable, "-m", "vertex_ar.cli", *command],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    log = tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    portrait = media.textured_image(4000, 3000, seed=7, fmt="JPEG")

    with _serving(env, port, log) as serve:
        http = httpx.Client(base_url=base, timeout=60)
        token = http.post("/api/auth/login", json=ADMIN).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        company = http.post("/api/companies", json={"name": "Busy Prints"}).json()["id"]
        project = http.post("/api/projects", json={"name": "P", "company_id": company}).json()
        created = http.post(
            "/api/ar-content",
            data={"project_id": str(project["id"]), "title": "Big poster"},
            files={"portrait": ("poster.jpg", portrait, "image/jpeg")},
        )
        assert created.status_code == 201, created.text
        content_id = created.json()["id"]

        def status() -> str:
            return str(http.get(f"/api/ar-content/{content_id}").json()["marker_status"])

        seen = _wait_for(
            "the compile to start", 180, lambda: (value := status()) != "pending" and value, log
        )
        assert seen == "processing", f"the compile ended before serve was stopped: {seen}"
        tree = descendants(serve.pid)
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=180)
        assert _status_in_database(tmp_path) == "processing"

    left = {pid: cmd for pid, cmd in tree.items() if alive(pid)}
    assert left == {}, f"processes outlived serve: {left}"
    assert "process_group.killed" in log.read_text(), "the SIGKILL of the busy worker is not logged"

    with _serving(env, port, log):
        http = httpx.Client(base_url=base, timeout=60)
        token = http.post("/api/auth/login", json=ADMIN).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"

        def ready() -> bool:
            item = http.get(f"/api/ar-content/{content_id}").json()
            assert item["marker_status"] != "failed", item
            return bool(item["marker_status"] == "ready")

        _wait_for("the interrupted compile to be done again", 300, ready, log)
