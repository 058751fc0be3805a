"""Fixtures shared by the viewer, rotation, QR and analytics tests (imported by their conftests).

The platform's settings give the PostgreSQL backend a Redis cache (REDIS_CACHE_URL), so the Redis
rotation cache and the Redis rate limiter run there; on SQLite both are the embedded kind.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tests.api import media
from tests.api.conftest import Tenant, create_content
from vertex_ar.connections.routing import platform_storage
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.storage.base import new_key


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Two short test videos of different shapes (landscape 160×120, portrait 96×160)."""
    folder = tmp_path_factory.mktemp("clips")
    return [
        media.video(folder / "a.mp4", seconds=1.0, size="160x120"),
        media.video(folder / "b.mp4", seconds=1.0, size="96x160"),
    ]


async def make_content(tenant: Tenant, videos: list[bytes], **fields: Any) -> dict[str, Any]:
    response = await create_content(tenant, videos=videos, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def mark_ready(app: Any, content: dict[str, Any], marker: bytes = b"") -> str:
    """Stand in for the marker worker: store `.mind` bytes and mark the content ready.

    The API tests only sign links to the file; the browser test compiles a real one.
    """
    settings = app.state.settings
    key = new_key(content["company_id"], "markers", "mind")
    data = marker or b"MIND" + secrets.token_bytes(64)

    async def chunks() -> Any:
        yield data

    await platform_storage(settings).put_stream(key, chunks())
    await set_content(app, content["id"], marker_key=key, marker_status=MarkerStatus.ready)
    return key


async def set_content(app: Any, content_id: int, **values: Any) -> None:
    """Change a content row behind the API's back (states the API has no direct way to set)."""
    async with app.state.database.sessions() as session:
        await session.execute(update(ARContent).where(ARContent.id == content_id).values(**values))
        await session.commit()


async def ready_content(
    app: Any, tenant: Tenant, videos: list[bytes], **fields: Any
) -> dict[str, Any]:
    content = await make_content(tenant, videos, **fields)
    await mark_ready(app, content)
    return content


def client_from(app: Any, ip: str) -> httpx.AsyncClient:
    """An anonymous client that the app sees as coming from ``ip``."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def storage_path(app: Any, key: str) -> Path:
    return Path(app.state.settings.storage_root) / key
