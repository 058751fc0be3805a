"""The database lost in the middle of a request: a clear 503 with Retry-After, nothing half-done.

PostgreSQL: the app's own connection is terminated (`pg_terminate_backend`, only this test's
database) inside the upload's transaction, after the media are stored and the content row is
flushed. SQLite: another process holds the write lock longer than the busy timeout.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select

from tests.support.backends import PG_URL, Backend, admin_conninfo
from tests.support.content import create_content, storage_files
from tests.support.tenants import Tenant
from vertex_ar.audit.models import AuditEntry
from vertex_ar.content.models import ARContent, Video
from vertex_ar.core.settings import Settings


async def count(app: FastAPI, model: Any) -> int:
    async with app.state.database.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def terminate_backend_on(app: FastAPI, statement_prefix: str) -> list[int]:
    """Terminate the app's connection when it is about to run `statement_prefix` (once); the
    terminated backends' pids are appended to the returned list."""
    killed: list[int] = []
    engine = app.state.database.engine.sync_engine

    @event.listens_for(engine, "before_cursor_execute")
    def kill(conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if killed or not statement.lstrip().upper().startswith(statement_prefix):
            return
        pid = conn.connection.driver_connection.info.backend_pid
        with psycopg.connect(admin_conninfo(PG_URL), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        killed.append(pid)

    return killed


async def test_connection_killed_mid_upload_is_a_503_and_leaves_nothing(
    backend: Backend, app: FastAPI, settings: Settings, tenant_a: Tenant, clips: list[bytes]
) -> None:
    if backend.name != "postgresql":
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    rows_before = [await count(app, model) for model in (ARContent, Video, AuditEntry)]
    killed = terminate_backend_on(app, "INSERT INTO VIDEOS")
    response = await create_content(tenant_a, videos=clips)
    assert killed, "the upload never reached its video rows"
    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "database_unavailable"
    assert "database" in error["message"]
    assert int(response.headers["Retry-After"]) > 0
    assert [await count(app, model) for model in (ARContent, Video, AuditEntry)] == rows_before
    assert storage_files(settings) == []  # the staged portrait, videos and thumbnails went
    # The pool dropped the dead connection: the same upload now goes through.
    again = await create_content(tenant_a, videos=clips)
    assert again.status_code == 201, again.text
