"""The app served for real on a loopback port (uvicorn in a thread; SQLite, embedded broker),
with one superadmin: what the browser tests drive."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp

from tests.support.worker import wait_for
from vertex_ar.app import create_app
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.security import hash_password
from vertex_ar.core.settings import Settings
from vertex_ar.users.models import Role, User

ROOT_EMAIL, ROOT_PASSWORD = "root@example.com", "root-password"


@dataclass
class Live:
    base_url: str
    settings: Settings
    root: httpx.Client  # the API, as the superadmin


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def bearer(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = http.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@contextmanager
def serving(app: ASGIApp, port: int) -> Iterator[str]:
    """``app`` under uvicorn in a thread on ``port``: its base URL while the block runs."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, 60, "the web server to start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@contextmanager
def live_app(
    folder: Path, wrap: Callable[[ASGIApp], ASGIApp] | None = None, **overrides: Any
) -> Iterator[Live]:
    """A fresh database in ``folder`` with one superadmin, the app serving it; `overrides` are
    more settings (a loopback SMTP server, say), `wrap` goes around the app (to record requests)."""
    port = free_port()
    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{folder / 'vertex_ar.db'}",
        celery_broker_url="",
        data_dir=folder / "data",
        storage_root=folder / "data" / "storage",
        public_base_url=f"http://127.0.0.1:{port}",
        _env_file=None,  # type: ignore[call-arg]
        **overrides,
    )
    migrate.upgrade(settings.database_url)
    engine = create_engine(sync_url(settings.database_url))
    with Session(engine) as session:
        session.add(User(email=ROOT_EMAIL, password_hash=hash_password(ROOT_PASSWORD),
                         role=Role.superadmin))  # fmt: skip
        session.commit()
    engine.dispose()
    app: ASGIApp = create_app(settings)
    with (
        serving(wrap(app) if wrap else app, port) as base_url,
        httpx.Client(base_url=base_url, timeout=60) as root,
    ):
        root.headers.update(bearer(root, ROOT_EMAIL, ROOT_PASSWORD))
        yield Live(base_url, settings, root)
