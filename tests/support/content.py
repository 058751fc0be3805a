"""AR content as the API makes it, plus the states only the worker or time would reach."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from tests.support import media
from tests.support.tenants import Tenant
from vertex_ar.connections.routing import platform_storage
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import new_key


def storage_files(settings: Settings) -> list[Path]:
    root = Path(settings.storage_root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def storage_path(app: FastAPI, key: str) -> Path:
    return Path(app.state.settings.storage_root) / key


async def create_content(
    tenant: Tenant,
    *,
    image: bytes | None = None,
    videos: list[bytes] = (),  # type: ignore[assignment]
    **fields: Any,
) -> httpx.Response:
    """POST /api/ar-content as the tenant's admin; the response as it comes (tests of bad input)."""
    files: list[tuple[str, tuple[str, bytes, str]]] = [
        (
            "portrait",
            ("poster.png", media.textured_image() if image is None else image, "image/png"),
        )
    ]
    files += [("video", (f"clip{i}.mp4", v, "video/mp4")) for i, v in enumerate(videos)]
    data = {"project_id": str(tenant.project_id), "title": "Poster", **fields}
    return await tenant.admin.post("/api/ar-content", data=data, files=files)


async def make_content(tenant: Tenant, videos: list[bytes], **fields: Any) -> dict[str, Any]:
    response = await create_content(tenant, videos=videos, **fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def mark_ready(app: FastAPI, content: dict[str, Any], marker: bytes = b"") -> str:
    """Stand in for the marker worker: store `.mind` bytes and mark the content ready.

    The API tests only sign links to the file; the browser test compiles a real one.
    """
    settings = app.state.settings
    key = new_key(content["company_id"], "markers", "mind")
    data = marker or b"MIND" + secrets.token_bytes(64)

    async def chunks() -> AsyncIterator[bytes]:
        yield data

    await platform_storage(settings).put_stream(key, chunks())
    await set_content(app, content["id"], marker_key=key, marker_status=MarkerStatus.ready)
    return key


async def set_content(app: FastAPI, content_id: int, **values: Any) -> None:
    """Change a content row behind the API's back (states the API has no direct way to set)."""
    async with app.state.database.sessions() as session:
        await session.execute(update(ARContent).where(ARContent.id == content_id).values(**values))
        await session.commit()


async def ready_content(
    app: FastAPI, tenant: Tenant, videos: list[bytes], **fields: Any
) -> dict[str, Any]:
    content = await make_content(tenant, videos, **fields)
    await mark_ready(app, content)
    return content


def client_from(app: FastAPI, ip: str) -> httpx.AsyncClient:
    """An anonymous client that the app sees as coming from ``ip``."""
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")
