"""Auth, companies, users and projects, and the tenancy rule: another tenant's id is a 404."""

from __future__ import annotations

from typing import Any

import httpx
import jwt

from tests.support.api import Api, login
from tests.support.tenants import Tenant


async def test_login_and_me(superadmin: Api) -> None:
    me = await superadmin.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == "root@example.com"
    assert me.json()["role"] == "superadmin"


async def test_login_rejects_wrong_password_and_bad_tokens(
    superadmin: Api, client: httpx.AsyncClient, settings: Any
) -> None:
    wrong = await client.post(
        "/api/auth/login", json={"email": "root@example.com", "password": "nope"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "unauthorized"
    unknown = await client.post("/api/auth/login", json={"email": "x@example.com", "password": "p"})
    assert unknown.status_code == 401
    missing = await client.post("/api/auth/login", json={"email": "root@example.com"})
    assert missing.status_code == 422
    assert "password" in missing.json()["error"]["message"]
    assert (await client.get("/api/auth/me")).status_code == 401
    forged = await client.get("/api/auth/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert forged.status_code == 401
    # Signed with the right key but not an access token (no "typ": "access"): refused.
    other = jwt.encode({"sub": "1", "exp": 4102444800}, settings.secret_key, algorithm="HS256")
    not_access = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {other}"})
    assert not_access.status_code == 401


async def test_company_crud_by_superadmin(superadmin: Api) -> None:
    created = await superadmin.post(
        "/api/companies", json={"name": "Gamma Studio", "timezone": "Europe/Moscow"}
    )
    assert created.status_code == 201, created.text
    company = created.json()
    assert company["slug"] == "gamma-studio"
    assert company["timezone"] == "Europe/Moscow"
    same_name = await superadmin.post("/api/companies", json={"name": "Gamma Studio"})
    assert same_name.status_code == 201
    assert same_name.json()["slug"] != "gamma-studio"
    taken = await superadmin.post("/api/companies", json={"name": "X", "slug": "gamma-studio"})
    assert taken.status_code == 409
    bad_tz = await superadmin.post("/api/companies", json={"name": "X", "timezone": "Mars/Base"})
    assert bad_tz.status_code == 422

    patched = await superadmin.patch(f"/api/companies/{company['id']}", json={"active": False})
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    listed = await superadmin.get("/api/companies")
    assert {c["id"] for c in listed.json()["items"]} >= {company["id"]}
    assert (await superadmin.delete(f"/api/companies/{company['id']}")).status_code == 204
    assert (await superadmin.get(f"/api/companies/{company['id']}")).status_code == 404


async def test_company_admin_cannot_manage_companies(tenant_a: Tenant, tenant_b: Tenant) -> None:
    admin = tenant_a.admin
    assert (await admin.post("/api/companies", json={"name": "Mine"})).status_code == 403
    listed = await admin.get("/api/companies")
    assert [c["id"] for c in listed.json()["items"]] == [tenant_a.company_id]
    other = f"/api/companies/{tenant_b.company_id}"
    assert (await admin.get(other)).status_code == 404
    assert (await admin.patch(other, json={"name": "Hijacked"})).status_code == 404
    assert (await admin.delete(other)).status_code == 404


async def test_users_scoped_to_company(superadmin: Api, tenant_a: Tenant, tenant_b: Tenant) -> None:
    admin_a = tenant_a.admin
    created = await admin_a.post(
        "/api/users", json={"email": "Editor@Alpha.example.com", "password": "long-enough-1"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["company_id"] == tenant_a.company_id
    assert created.json()["email"] == "editor@alpha.example.com"
    dup = await admin_a.post(
        "/api/users", json={"email": "editor@alpha.example.com", "password": "long-enough-1"}
    )
    assert dup.status_code == 409

    # A company admin cannot create users elsewhere, nor superadmins.
    elsewhere = await admin_a.post(
        "/api/users",
        json={"email": "x@b.example.com", "password": "long-enough-1",
              "company_id": tenant_b.company_id},
    )  # fmt: skip
    assert elsewhere.status_code == 404
    escalate = await admin_a.post(
        "/api/users", json={"email": "s@a.example.com", "password": "long-enough-1",
                            "role": "superadmin"},
    )  # fmt: skip
    assert escalate.status_code == 403

    users_a = {u["email"] for u in (await admin_a.get("/api/users")).json()["items"]}
    assert users_a == {"admin@alpha-prints.example.com", "editor@alpha.example.com"}
    b_users = (await tenant_b.admin.get("/api/users")).json()["items"]
    b_admin_id = b_users[0]["id"]
    for call in (admin_a.get, admin_a.delete):
        assert (await call(f"/api/users/{b_admin_id}")).status_code == 404
    patch = await admin_a.patch(f"/api/users/{b_admin_id}", json={"active": False})
    assert patch.status_code == 404
    all_users = (await superadmin.get("/api/users")).json()
    assert all_users["total"] == 4


async def test_deactivated_user_loses_access(superadmin: Api, tenant_a: Tenant) -> None:
    me = (await tenant_a.admin.get("/api/auth/me")).json()
    off = await superadmin.patch(f"/api/users/{me['id']}", json={"active": False})
    assert off.status_code == 200
    assert (await tenant_a.admin.get("/api/projects")).status_code == 401
    relogin = await tenant_a.admin.http.post(
        "/api/auth/login", json={"email": me["email"], "password": "tenant-password"}
    )
    assert relogin.status_code == 401


async def test_projects_scoped(superadmin: Api, tenant_a: Tenant, tenant_b: Tenant) -> None:
    admin_a = tenant_a.admin
    own = await admin_a.get(f"/api/projects/{tenant_a.project_id}")
    assert own.status_code == 200
    assert own.json()["company_id"] == tenant_a.company_id
    other = f"/api/projects/{tenant_b.project_id}"
    assert (await admin_a.get(other)).status_code == 404
    assert (await admin_a.patch(other, json={"name": "mine now"})).status_code == 404
    assert (await admin_a.delete(other)).status_code == 404
    into_b = await admin_a.post(
        "/api/projects", json={"name": "sneaky", "company_id": tenant_b.company_id}
    )
    assert into_b.status_code == 404
    listed = (await admin_a.get("/api/projects")).json()
    assert [p["id"] for p in listed["items"]] == [tenant_a.project_id]
    assert (await superadmin.get("/api/projects")).json()["total"] == 2
    no_company = await superadmin.post("/api/projects", json={"name": "orphan"})
    assert no_company.status_code == 422

    renamed = await admin_a.patch(
        f"/api/projects/{tenant_a.project_id}", json={"name": "Spring campaign"}
    )
    assert renamed.json()["name"] == "Spring campaign"
    assert (await admin_a.delete(f"/api/projects/{tenant_a.project_id}")).status_code == 204
    assert (await tenant_b.admin.get(other)).status_code == 200


async def test_login_with_fresh_admin(superadmin: Api, tenant_a: Tenant) -> None:
    again = await login(tenant_a.admin.http, "admin@alpha-prints.example.com", "tenant-password")
    assert (await again.get("/api/auth/me")).json()["company_id"] == tenant_a.company_id
