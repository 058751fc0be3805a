"""The stack test: `deploy/stack.py` (what `make stack` runs) starts the compose topology natively
on loopback, and one scenario goes through Nginx only.

Real PostgreSQL and Redis (TEST_DATABASE_URL / TEST_REDIS_URL, as the rest of the suite), the app
under uvicorn with 4 workers, a Celery worker, Celery Beat (expiry check every 2 s) and Nginx with
deploy/nginx/nginx.conf rendered for loopback. The scenario: health, login, company, admin and
project, an image and a video uploaded, the marker compiled by the worker, the viewer page, the
active video's signed URL and a Range request of it (Nginx sends the file: MEDIA_X_ACCEL), the
app's /metrics by route template, Beat switching off expired content. Then SIGTERM, as Ctrl-C
under `make stack`: every process ends, the database and the Redis data are gone.

Marked `stack` (about 1-3 minutes; `-m "not stack"` leaves it out).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis
from sqlalchemy.engine import make_url

from tests.deploy.promtext import samples, total
from tests.support import media
from tests.support.backends import PG_URL, REDIS_URL, REQUIRE_SERVICES

pytestmark = [pytest.mark.stack, pytest.mark.timeout(360)]

REPO = Path(__file__).parents[2]
STACK = REPO / "deploy" / "stack.py"
START_SECONDS = 240
MARKER_SECONDS = 150
BEAT_SECONDS = 60
STOP_SECONDS = 120


@pytest.fixture(scope="module")
def servers() -> tuple[str, str]:
    """(PostgreSQL URL, Redis URL without database) of the servers the stack uses."""
    admin_url = make_url(PG_URL).set(drivername="postgresql").render_as_string(False)
    redis_server = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL
    try:
        psycopg.connect(admin_url, connect_timeout=3).close()
        redis.Redis.from_url(redis_server, socket_connect_timeout=3).ping()
    except (psycopg.Error, redis.RedisError) as exc:
        if REQUIRE_SERVICES:
            pytest.fail(f"PostgreSQL/Redis unreachable: {exc} (TEST_REQUIRE_SERVICES=1)")
        pytest.skip(f"PostgreSQL/Redis unreachable: {exc}")
    for tool in ("nginx", "ffmpeg"):
        if not (shutil.which(tool) or Path(f"/usr/sbin/{tool}").exists()):
            pytest.fail(f"{tool} is missing (make system-deps)")
    return admin_url, redis_server


def _stack_processes(marker: str, groups: set[int]) -> list[str]:
    """Live processes of the run, found independently of deploy/stack.py: by the marker
    variable in their environment or by the process groups of the services."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _ppid, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            environ = (entry / "environ").read_bytes().split(b"\0")
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if state != "Z" and (
            int(pgrp) in groups or f"VERTEX_AR_STACK_RUN={marker}".encode() in environ
        ):
            found.append(f"{entry.name}: {command[:150]}")
    return found


@contextmanager
def running_stack(servers: tuple[str, str], tmp_path: Path) -> Iterator[tuple[dict[str, Any], Any]]:
    """Start `deploy/stack.py` as people do; yields (its info, a function that SIGTERMs it and
    returns its exit code and output). Whatever happens, the process is stopped at the end."""
    info_file = tmp_path / "stack.json"
    log = (tmp_path / "stack.out").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(STACK), "--http-port", "0", "--postgres", servers[0],
         "--redis", servers[1], "--info-file", str(info_file)],
        env=os.environ | {"EXPIRY_CHECK_SECONDS": "2"},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip

    def output() -> str:
        return (tmp_path / "stack.out").read_text(errors="replace")

    def stop() -> tuple[int, str]:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=STOP_SECONDS)
        return code, output()

    try:
        deadline = time.monotonic() + START_SECONDS
        while not info_file.exists():
            assert process.poll() is None, f"the stack did not start:\n{output()}"
            assert time.monotonic() < deadline, f"the stack not ready in time:\n{output()}"
            time.sleep(0.5)
        yield json.loads(info_file.read_text()), stop
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def _login(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = http.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _poll(what: str, seconds: float, check: Any) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(1)


def test_stack_scenario_through_nginx(servers: tuple[str, str], tmp_path: Path) -> None:
    video = media.video(tmp_path / "clip.mp4", seconds=1.0, size="160x120")
    with running_stack(servers, tmp_path) as (info, stop):
        groups = set(info["pids"].values())
        assert set(info["pids"]) == {"app", "worker", "beat", "nginx"}
        storage_root = Path(info["storage_root"])
        with httpx.Client(base_url=info["http_url"], timeout=60) as http:
            _scenario(http, info, video, storage_root)
        code, output = stop()

    assert code == 0, output
    assert "stack: stopped" in output
    assert _stack_processes(info["marker"], groups) == [], output
    assert not Path(info["run_dir"]).exists()
    admin = psycopg.connect(servers[0], autocommit=True)
    with admin:
        left = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (info["database"],)
        ).fetchall()
    assert left == [], "the stack's database was not dropped"
    for url in (info["redis_broker_url"], info["redis_cache_url"]):
        assert redis.Redis.from_url(url).dbsize() == 0, url


def _scenario(http: httpx.Client, info: dict[str, Any], video: bytes, storage: Path) -> None:
    # Health: Nginx itself, then the app through it (database, broker, storage, worker).
    assert http.get("/health").text == "ok\n"
    status = http.get("/api/health/status")
    assert status.status_code == 200 and status.json()["status"] == "ok", status.text
    assert http.get("/metrics").status_code == 404  # Nginx never exposes the app's metrics

    root = _login(http, info["admin_email"], info["admin_password"])
    company = http.post("/api/companies", json={"name": "Stack Prints"}, headers=root)
    assert company.status_code == 201, company.text
    user = {"email": "boss@stack-prints.example.com", "password": "stack-password",
            "role": "company_admin", "company_id": company.json()["id"]}  # fmt: skip
    created_user = http.post("/api/users", json=user, headers=root)
    assert created_user.status_code == 201, created_user.text
    boss = _login(http, user["email"], user["password"])
    project = http.post("/api/projects", json={"name": "Spring"}, headers=boss)
    assert project.status_code == 201, project.text

    def upload(image: bytes, **fields: str) -> dict[str, Any]:
        response = http.post(
            "/api/ar-content",
            data={"project_id": str(project.json()["id"]), "title": "Poster", **fields},
            files=[("portrait", ("poster.png", image, "image/png")),
                   ("video", ("clip.mp4", video, "video/mp4"))],
            headers=boss,
        )  # fmt: skip
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    content = upload(media.textured_image(640, 480))
    # Created already expired: Beat's deactivation (every 2 s here) must switch it off.
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    expired = upload(media.textured_image(320, 240, seed=2), expires_at=yesterday)
    assert (expired["active"], expired["expired"]) == (False, True)  # shown at once

    def switched_on(item: dict[str, Any]) -> bool:
        """The stored switch, which Beat turns off (the API shows expiry before it runs)."""
        url = make_url(info["database_url"]).set(drivername="postgresql")
        with psycopg.connect(url.render_as_string(False)) as db:
            row = db.execute(
                "SELECT active FROM ar_content WHERE id = %s", (item["id"],)
            ).fetchone()
        assert row is not None
        return bool(row[0])

    def fetch(item: dict[str, Any]) -> dict[str, Any]:
        response = http.get(f"/api/ar-content/{item['id']}", headers=boss)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def marker_done() -> dict[str, Any] | None:
        body = fetch(content)
        assert body["marker_status"] != "failed", body["marker_error"]
        return body if body["marker_status"] == "ready" else None

    ready = _poll("marker compiled by the worker", MARKER_SECONDS, marker_done)
    assert ready["marker_quality"], ready

    # The viewer page and its script, through Nginx.
    unique_id = content["unique_id"]
    page = http.get(f"/ar/{unique_id}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert f"/api/ar/{unique_id}/active-video" in page.text  # the viewer, not a message page
    script = re.search(r'src="(/ar-assets/\w+/viewer\.js)"', page.text)
    assert script is not None, page.text[:2000]
    assert http.get(script[1]).status_code == 200

    # The worker's web rendition becomes what the viewer plays.
    def rendition_ready() -> dict[str, Any] | None:
        active = http.get(f"/api/ar/{unique_id}/active-video")
        assert active.status_code == 200, active.text
        body: dict[str, Any] = active.json()
        assert body["status"] != "failed", body
        return body if body["status"] == "ready" and body["rendition"] else None

    active = _poll("the video's web rendition", MARKER_SECONDS, rendition_ready)
    # The signed video URL; Nginx answers the Range from the file the app names (X-Accel).
    url = active["url"]
    assert url.startswith("/media?t=")
    whole = http.get(url)
    assert whole.status_code == 200 and len(whole.content) == active["rendition"]["size_bytes"]
    assert whole.content != video  # the rendition, not the upload
    part = http.get(url, headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206, part.text
    assert part.content == whole.content[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(whole.content)}"
    assert part.headers["content-type"] == "video/mp4"
    assert "x-accel-redirect" not in part.headers
    tail = http.get(url, headers={"Range": "bytes=-64"})
    assert tail.status_code == 206 and tail.content == whole.content[-64:]
    app_answer = httpx.get(info["app_url"] + url, headers={"Range": "bytes=100-1099"})
    assert app_answer.status_code == 200 and app_answer.content == b""
    key = app_answer.headers["x-accel-redirect"].removeprefix("/_media/")
    assert (storage / key).read_bytes() == whole.content
    # The marker the worker compiled, the same way.
    marker = http.get(active["marker_url"])
    assert marker.status_code == 200
    marker_key = httpx.get(info["app_url"] + active["marker_url"]).headers["x-accel-redirect"]
    assert marker.content == (storage / marker_key.removeprefix("/_media/")).read_bytes() != b""

    # Beat: the expired item is switched off, the other stays on.
    _poll("Beat deactivating expired content", BEAT_SECONDS, lambda: not switched_on(expired))
    assert fetch(content)["active"] is True

    # The app's metrics (all 4 workers' files): these requests, by route template.
    metrics = httpx.get(info["app_url"] + "/metrics").text
    counted = {
        ("POST", "/api/auth/login", "200"): 2,
        ("POST", "/api/ar-content", "201"): 2,
        ("GET", "/ar/{unique_id}", "200"): 1,
        ("GET", "/api/ar/{unique_id}/active-video", "200"): 1,
        ("GET", "/media", "200"): 4,
        ("GET", "/api/ar-content/{content_id}", "200"): 2,
    }
    for (method, route, code), least in counted.items():
        seen = total(metrics, "vertex_ar_http_requests_total", method=method, route=route,
                     status=code)  # fmt: skip
        assert seen >= least, (method, route, code, seen)
    routes = {s.labels["route"] for s in samples(metrics) if "route" in s.labels}
    assert not any(unique_id in r or str(content["id"]) in r.split("/") for r in routes), routes

    # The worker's metrics: the compilations and Beat's task.
    worker = httpx.get(info["worker_metrics_url"]).text
    assert total(worker, "vertex_ar_marker_compile_seconds_count", outcome="success") >= 1
    beat_runs = total(
        worker, "vertex_ar_celery_task_duration_seconds_count",
        task="maintenance.deactivate_expired", state="SUCCESS",
    )  # fmt: skip
    assert beat_runs >= 1
