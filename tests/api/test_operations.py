"""Operator-facing behaviour: migrations both ways, settings guards, the CLI, log hygiene."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from tests.support.backends import PG_URL, Backend, admin_conninfo
from tests.support.process_tree import alive as _alive
from tests.support.process_tree import descendants as _children
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import DEV_ADMIN_PASSWORD, DEV_SECRET_KEY, Settings
from vertex_ar.models import Base


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_up_and_down(backend: Backend, tmp_path: Path) -> None:
    if backend.name == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        cleanup = None
    else:
        name = f"vertex_ar_mig_{secrets.token_hex(4)}"
        admin = psycopg.connect(admin_conninfo(PG_URL), autocommit=True)
        admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        cleanup = (admin, name)
    try:
        migrate.upgrade(url)
        assert _tables(url) == set(Base.metadata.tables)
        migrate.downgrade(url, "base")
        assert _tables(url) == set()
        migrate.upgrade(url)
        assert _tables(url) == set(Base.metadata.tables)
    finally:
        if cleanup:
            admin, name = cleanup
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


def test_production_refuses_default_secrets() -> None:
    strong = secrets.token_urlsafe(40)
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(env="production", secret_key=DEV_SECRET_KEY, admin_password="x" * 20)
    with pytest.raises(ValidationError, match="ADMIN_PASSWORD"):
        Settings(env="production", secret_key=strong, admin_password=DEV_ADMIN_PASSWORD)
    with pytest.raises(ValidationError, match="ADMIN_PASSWORD"):
        Settings(env="production", secret_key=strong, admin_password="")
    ok = Settings(env="production", secret_key=strong, admin_password="a-real-password")
    assert ok.env == "production"


def _cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vertex_ar.cli", *args],
        cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_cli_first_admin_and_admin_create(tmp_path: Path) -> None:
    env = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "ADMIN_EMAIL": "owner@agency.example.com",
        "ADMIN_PASSWORD": "owner-password-123",
    }
    assert _cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    first = _cli("admin", "ensure", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "owner@agency.example.com" in first.stdout
    assert "ADMIN_PASSWORD from the environment" in first.stdout
    assert "owner-password-123" not in first.stdout
    again = _cli("admin", "ensure", cwd=tmp_path, env=env)
    assert "exists already" in again.stdout
    created = _cli(
        "admin", "create", "--email", "second@agency.example.com", cwd=tmp_path,
        env={**env, "VERTEX_AR_NEW_PASSWORD": "second-password"},
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    duplicate = _cli(
        "admin", "create", "--email", "second@agency.example.com",
        "--password", "another-long-passphrase-91", cwd=tmp_path, env=env,
    )  # fmt: skip
    assert duplicate.returncode == 1
    assert "already exists" in duplicate.stderr


async def test_logs_carry_request_id_and_no_secrets(
    superadmin: Any, capfd: pytest.CaptureFixture[str]
) -> None:
    response = await superadmin.get("/api/auth/me", headers={"X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"
    logged = capfd.readouterr().err
    assert '"request_id": "trace-42"' in logged
    assert "root-password" not in logged
    assert superadmin.token not in logged


async def test_openapi_lists_the_api(client: Any) -> None:
    assert (await client.get("/docs")).status_code == 200
    spec = (await client.get("/openapi.json")).json()
    paths = spec["paths"]
    for path in (
        "/api/auth/login",
        "/api/auth/me",
        "/api/companies",
        "/api/companies/{company_id}",
        "/api/users/{user_id}",
        "/api/projects/{project_id}",
        "/api/ar-content",
        "/api/ar-content/{content_id}",
        "/api/ar-content/{content_id}/videos",
        "/api/ar-content/{content_id}/videos/{video_id}",
        "/api/ar-content/{content_id}/generate-marker",
        "/api/health/status",
    ):
        assert path in paths, path
    upload = paths["/api/ar-content"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert {"portrait", "video", "project_id", "title"} <= set(upload["schema"]["properties"])


def test_serve_starts_and_stops_with_its_worker(tmp_path: Path) -> None:
    """`make run`'s process tree: web server + embedded worker; SIGTERM leaves no orphan."""
    import signal
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}",
        "DATA_DIR": str(tmp_path / "data"),
        "STORAGE_ROOT": str(tmp_path / "data" / "storage"),
        "WORKER_HEARTBEAT_SECONDS": "1",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    assert _cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "vertex_ar.cli", "serve", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=log, stderr=log,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        body: dict[str, Any] = {}
        while time.monotonic() < deadline:
            try:
                body = httpx.get(f"http://127.0.0.1:{port}/api/health/status").json()
                if body["checks"]["worker"]["ok"]:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        assert body.get("status") == "ok", (tmp_path / "serve.log").read_text()[-3000:]
        children = _children(serve.pid)
        assert any("celery" in cmd for cmd in children.values()), children
        _second_serve_is_refused(tmp_path, env, port)
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=120)  # worker grace (20 s) + kill wait, with room for a loaded machine
        log.close()
    # `serve` returns only once its worker's whole process group is gone: nothing may be left
    # now, zombies aside (reparented, waiting for init to reap them).
    alive = {pid: cmd for pid, cmd in children.items() if _alive(pid)}
    assert alive == {}, f"orphaned processes after serve exited: {alive}"


def _second_serve_is_refused(tmp_path: Path, env: dict[str, str], port: int) -> None:
    """Another `serve` on the same data folder (any port), or on the busy port, stops at once
    with one line, and leaves the running server's metrics files alone."""
    metrics = tmp_path / "data" / "prometheus"
    assert httpx.get(f"http://127.0.0.1:{port}/api/companies").status_code == 401  # counted
    before = sorted(p.name for p in metrics.glob("*.db"))
    assert before, "the running server has written no metrics yet"
    elsewhere = {**env, "DATA_DIR": str(tmp_path / "other"), "STORAGE_ROOT": str(tmp_path / "o")}
    for second_env, second_port, expected in [
        (env, port + 1 if port < 65535 else port - 1, "another `vertex-ar serve` is running"),
        (env, port, "another `vertex-ar serve` is running"),
        (elsewhere, port, f"cannot listen on 127.0.0.1:{port}"),
    ]:
        command = [sys.executable, "-m", "vertex_ar.cli", "serve", "--no-worker"]
        second = subprocess.run(
            [*command, "--port", str(second_port)],
            cwd=tmp_path, env=second_env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert second.returncode == 1, second.stderr[-2000:]
        assert second.stderr.strip().count("\n") == 0 and expected in second.stderr, second.stderr
    assert set(before) <= {p.name for p in metrics.glob("*.db")}  # its workers may add files


def test_cli_in_a_folder_without_the_database_refuses(tmp_path: Path) -> None:
    """Run where no `var/` is, the CLI names the database it did not find instead of creating
    an empty one there and failing on its missing tables."""
    env = {key: value for key, value in os.environ.items()
           if key not in {"DATABASE_URL", "DATA_DIR", "STORAGE_ROOT"}}  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "vertex_ar.cli", "admin", "ensure"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == result.stderr.strip().splitlines()[0], result.stderr
    assert f"no database at {tmp_path / 'var' / 'vertex_ar.db'}" in result.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created
