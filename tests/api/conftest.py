from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api import media
from vertex_ar.core.security import hash_password
from vertex_ar.core.tenancy import Role
from vertex_ar.users.models import User


@dataclass
class Api:
    """An API client logged in as one user."""

    http: httpx.AsyncClient
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return await self.http.request(method, url, headers=headers, **kw)

    async def get(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("GET", url, **kw)

    async def post(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("POST", url, **kw)

    async def patch(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kw)

    async def put(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("PUT", url, **kw)

    async def delete(self, url: str, **kw: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kw)


async def login(http: httpx.AsyncClient, email: str, password: str) -> Api:
    response = await http.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return Api(http, response.json()["access_token"])


@pytest.fixture
async def superadmin(app: Any, client: httpx.AsyncClient) -> Api:
    async with app.state.database.sessions() as session:
        session.add(
            User(email="root@example.com", password_hash=hash_password("root-password"),
                 role=Role.superadmin)
        )  # fmt: skip
        await session.commit()
    return await login(client, "root@example.com", "root-password")


@dataclass
class Tenant:
    company_id: int
    project_id: int
    admin: Api


async def make_tenant(root: Api, name: str) -> Tenant:
    company = await root.post("/api/companies", json={"name": name})
    assert company.status_code == 201, company.text
    company_id = company.json()["id"]
    email = f"admin@{company.json()['slug']}.example.com"
    user = await root.post(
        "/api/users",
        json={"email": email, "password": "tenant-password", "role": "company_admin",
              "company_id": company_id},
    )  # fmt: skip
    assert user.status_code == 201, user.text
    admin = await login(root.http, email, "tenant-password")
    project = await admin.post("/api/projects", json={"name": f"{name} launch"})
    assert project.status_code == 201, project.text
    return Tenant(company_id, project.json()["id"], admin)


@pytest.fixture
async def tenant_a(superadmin: Api) -> Tenant:
    return await make_tenant(superadmin, "Alpha Prints")


@pytest.fixture
async def tenant_b(superadmin: Api) -> Tenant:
    return await make_tenant(superadmin, "Beta Posters")


@pytest.fixture(scope="session")
def mp4_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return media.video(tmp_path_factory.mktemp("video") / "clip.mp4")


def storage_files(settings: Any) -> list[Path]:
    root = Path(settings.storage_root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def create_content(
    tenant: Tenant,
    *,
    image: bytes | None = None,
    videos: list[bytes] = (),
    **fields: Any,  # type: ignore[assignment]
) -> httpx.Response:
    files: list[tuple[str, tuple[str, bytes, str]]] = [
        (
            "portrait",
            ("poster.png", media.textured_image() if image is None else image, "image/png"),
        )
    ]
    files += [("video", (f"clip{i}.mp4", v, "video/mp4")) for i, v in enumerate(videos)]
    data = {"project_id": str(tenant.project_id), "title": "Poster", **fields}
    return await tenant.admin.post("/api/ar-content", data=data, files=files)
