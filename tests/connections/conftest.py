"""Connections under test: the backends of tests/storage behind the HTTP API."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.storage.conftest import (  # noqa: F401 - the backends under test
    backend_configs,
    moto_endpoint,
    s3_config,
    s3_direct,
    s3_proxy,
    settings,
    yandex,
    yandex_config,
)
from tests.support.api import Api
from tests.support.tenants import Tenant, make_tenant


async def connect(root: Api, kind: str, config: dict[str, Any], name: str | None = None) -> int:
    response = await root.post(
        "/api/storage/connections",
        json={"name": name or f"{kind}-{secrets.token_hex(3)}", "kind": kind, "config": config},
    )
    assert response.status_code == 201, response.text
    connection_id: int = response.json()["id"]
    return connection_id


async def tenant_on(
    root: Api, name: str, connection_id: int | None, *, own_admin: bool = False
) -> Tenant:
    """A company with a project on the given connection; run by the superadmin unless
    `own_admin` (a company admin costs two argon2 hashes, ~1 s on a busy machine)."""
    if own_admin:
        tenant = await make_tenant(root, name)
    else:
        company = await root.post("/api/companies", json={"name": name})
        assert company.status_code == 201, company.text
        company_id = company.json()["id"]
        project = await root.post("/api/projects", json={"name": name, "company_id": company_id})
        assert project.status_code == 201, project.text
        tenant = Tenant(company_id, project.json()["id"], root)
    if connection_id is not None:
        assigned = await root.patch(
            f"/api/companies/{tenant.company_id}", json={"storage_connection_id": connection_id}
        )
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["storage_connection_id"] == connection_id
    return tenant


async def fetch_range(app_client: Any, url: str, first: int, last: int) -> Any:
    """GET a byte range the way a browser would: app-relative links through the app, absolute
    ones (presigned S3 URLs) over real HTTP."""
    headers = {"Range": f"bytes={first}-{last}"}
    if url.startswith("/"):
        return await app_client.get(url, headers=headers)
    async with httpx.AsyncClient() as http:
        return await http.get(url, headers=headers)
