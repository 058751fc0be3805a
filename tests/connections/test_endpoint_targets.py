"""Storage connection endpoints may not point the server at itself or its private networks
(issue 10: server-side request forgery through an S3 endpoint URL), unless an operator allows
private endpoints (a MinIO on the LAN is a real case)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.support.api import Api
from tests.support.tenants import create_superadmin
from vertex_ar.app import create_app
from vertex_ar.core.settings import Settings

REFUSED = [
    "http://127.0.0.1:9000",
    "http://localhost:9000",
    "http://[::1]:9000",
    "http://169.254.169.254",  # cloud metadata
    "http://10.1.2.3:9000",
    "http://192.168.0.10",
    "http://0.0.0.0:9000",
    "http://metadata.google.internal",
]


def _s3(endpoint: str) -> dict[str, Any]:
    return {"name": f"s3 {endpoint}", "kind": "s3",
            "config": {"endpoint_url": endpoint, "bucket": "media", "access_key": "k",
                       "secret_key": "s"}}  # fmt: skip


@pytest.fixture
async def strict_root(settings: Settings) -> Any:
    app: FastAPI = create_app(
        settings.model_copy(update={"allow_private_storage_endpoints": False})
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield await create_superadmin(app, http)


@pytest.mark.parametrize("endpoint", REFUSED)
async def test_private_endpoints_are_refused(strict_root: Api, endpoint: str) -> None:
    response = await strict_root.post("/api/storage/connections", json=_s3(endpoint))
    assert response.status_code == 422, response.text
    assert "endpoint_url" in response.json()["error"]["message"]


async def test_public_endpoints_pass(strict_root: Api) -> None:
    public = await strict_root.post("/api/storage/connections", json=_s3("https://8.8.8.8"))
    assert public.status_code == 201, public.text


async def test_private_endpoints_pass_when_allowed(superadmin: Api) -> None:
    # The suite's own settings allow private endpoints (its MinIO and fakes run on loopback).
    lan = await superadmin.post("/api/storage/connections", json=_s3("http://10.1.2.3:9000"))
    assert lan.status_code == 201, lan.text
