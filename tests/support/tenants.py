"""Tenants as the API makes them: a company, its admin, one project."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from httpx import AsyncClient

from tests.support.api import Api, login
from vertex_ar.core.security import hash_password
from vertex_ar.core.tenancy import Role
from vertex_ar.users.models import User

SUPERADMIN_EMAIL = "root@example.com"
SUPERADMIN_PASSWORD = "root-password"
TENANT_ADMIN_PASSWORD = "tenant-password"


@dataclass
class Tenant:
    company_id: int
    project_id: int
    admin: Api


async def create_superadmin(app: FastAPI, http: AsyncClient) -> Api:
    """The platform's first superadmin (written directly, as `vertex-ar admin ensure` does)."""
    async with app.state.database.sessions() as session:
        session.add(
            User(email=SUPERADMIN_EMAIL, password_hash=hash_password(SUPERADMIN_PASSWORD),
                 role=Role.superadmin)
        )  # fmt: skip
        await session.commit()
    return await login(http, SUPERADMIN_EMAIL, SUPERADMIN_PASSWORD)


async def make_tenant(root: Api, name: str) -> Tenant:
    company = await root.post("/api/companies", json={"name": name})
    assert company.status_code == 201, company.text
    company_id = company.json()["id"]
    email = f"admin@{company.json()['slug']}.example.com"
    user = await root.post(
        "/api/users",
        json={"email": email, "password": TENANT_ADMIN_PASSWORD, "role": "company_admin",
              "company_id": company_id},
    )  # fmt: skip
    assert user.status_code == 201, user.text
    admin = await login(root.http, email, TENANT_ADMIN_PASSWORD)
    project = await admin.post("/api/projects", json={"name": f"{name} launch"})
    assert project.status_code == 201, project.text
    return Tenant(company_id, project.json()["id"], admin)
