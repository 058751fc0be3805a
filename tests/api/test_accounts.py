"""Accounts and tokens (issue 10): a token belongs to one account state, not to a reusable id;
suspensions and password changes end it; logins are throttled; the password policy holds."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy import create_engine, inspect, text

from tests.support.api import Api, login
from tests.support.backends import Backend
from tests.support.content import client_from, create_content, ready_content
from tests.support.tenants import TENANT_ADMIN_PASSWORD, Tenant
from vertex_ar.core import migrate
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import Role
from vertex_ar.users.models import User


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Login buckets that refill slowly, so that only the burst decides (not the test's speed)."""
    return settings.model_copy(
        update={"login_account_per_minute": 1, "login_account_burst": 6,
                "login_ip_per_minute": 1, "login_ip_burst": 12}
    )  # fmt: skip


async def _me(api: Api) -> dict[str, Any]:
    response = await api.get("/api/auth/me")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_deleted_users_token_never_logs_in_the_next_user_of_its_id(
    superadmin: Api, tenant_a: Tenant
) -> None:
    victim = await _me(tenant_a.admin)
    deleted = await superadmin.delete(f"/api/users/{victim['id']}")
    assert deleted.status_code == 204
    # The next user created: a superadmin. SQLite without AUTOINCREMENT would give it the same id.
    created = await superadmin.post(
        "/api/users", json={"email": "second-root@example.com", "password": "another-root-pass",
                            "role": "superadmin"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["id"] != victim["id"]
    stale = await tenant_a.admin.get("/api/auth/me")
    assert stale.status_code == 401
    assert (await tenant_a.admin.get("/api/companies")).status_code == 401


def test_every_sqlite_table_never_reuses_ids(backend: Backend, settings: Settings) -> None:
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL sequences never hand out an id twice")
    engine = create_engine(sync_url(settings.database_url))
    with engine.connect() as conn:
        tables = conn.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%id%'"
                 " AND name NOT IN ('alembic_version', 'sqlite_sequence')")
        ).all()  # fmt: skip
    engine.dispose()
    assert tables
    plain = [name for name, sql in tables if '"id" INTEGER' in sql or "id INTEGER" in sql
             if "AUTOINCREMENT" not in sql]  # fmt: skip
    assert plain == []


def _schema(url: str) -> tuple[list[str], bool]:
    """The users table's columns, and whether SQLite's companies table says AUTOINCREMENT."""
    engine = create_engine(sync_url(url))
    try:
        columns = [c["name"] for c in inspect(engine).get_columns("users")]
        autoincrement = False
        if engine.dialect.name == "sqlite":
            with engine.connect() as conn:
                sql = conn.scalar(text("SELECT sql FROM sqlite_master WHERE name = 'companies'"))
            autoincrement = "AUTOINCREMENT" in str(sql)
    finally:
        engine.dispose()
    return columns, autoincrement


def test_migration_0004_up_and_down_keeps_rows(backend: Backend, settings: Settings) -> None:
    url = settings.database_url
    engine = create_engine(sync_url(url))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO companies (name, slug, active, timezone, created_at,"
                          " updated_at) VALUES ('Kept', 'kept', true, 'UTC', CURRENT_TIMESTAMP,"
                          " CURRENT_TIMESTAMP)"))  # fmt: skip
    sqlite = backend.name == "sqlite"
    assert _schema(url) == (_schema(url)[0], sqlite)
    assert "token_version" in _schema(url)[0]
    try:
        migrate.downgrade(url, "0003")
        columns, autoincrement = _schema(url)
        assert "token_version" not in columns
        assert not autoincrement
    finally:
        migrate.upgrade(url)
    columns, autoincrement = _schema(url)
    assert "token_version" in columns
    assert autoincrement is sqlite
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT name FROM companies WHERE slug = 'kept'")) == "Kept"
    engine.dispose()


async def test_password_change_revokes_existing_tokens(
    superadmin: Api, tenant_a: Tenant, client: httpx.AsyncClient
) -> None:
    me = await _me(tenant_a.admin)
    other_session = await login(client, me["email"], TENANT_ADMIN_PASSWORD)
    changed = await tenant_a.admin.patch(
        f"/api/users/{me['id']}", json={"password": "a-new-tenant-secret"}
    )
    assert changed.status_code == 200, changed.text
    assert (await other_session.get("/api/auth/me")).status_code == 401
    assert (await tenant_a.admin.get("/api/auth/me")).status_code == 401
    fresh = await login(client, me["email"], "a-new-tenant-secret")
    assert (await fresh.get("/api/auth/me")).status_code == 200


async def test_deactivation_revokes_tokens_for_good(
    superadmin: Api, tenant_a: Tenant, client: httpx.AsyncClient
) -> None:
    me = await _me(tenant_a.admin)
    off = await superadmin.patch(f"/api/users/{me['id']}", json={"active": False})
    assert off.status_code == 200
    assert (await tenant_a.admin.get("/api/auth/me")).status_code == 401
    on = await superadmin.patch(f"/api/users/{me['id']}", json={"active": True})
    assert on.status_code == 200
    # Reactivating does not revive the tokens issued before the deactivation.
    assert (await tenant_a.admin.get("/api/auth/me")).status_code == 401
    assert (await login(client, me["email"], TENANT_ADMIN_PASSWORD)).token


async def test_role_change_revokes_tokens(app: FastAPI, tenant_a: Tenant) -> None:
    me = await _me(tenant_a.admin)
    # No endpoint changes a role today; an operator (or a future admin screen) does it in the
    # database. The token says which role it was issued for.
    async with app.state.database.sessions() as session:
        user = await session.get(User, me["id"])
        assert user is not None
        user.role = Role.superadmin
        user.company_id = None
        await session.commit()
    assert (await tenant_a.admin.get("/api/companies")).status_code == 401


async def test_suspended_company_cannot_log_in_or_call_the_api(
    superadmin: Api, tenant_a: Tenant, tenant_b: Tenant, client: httpx.AsyncClient
) -> None:
    me = await _me(tenant_a.admin)
    suspended = await superadmin.patch(
        f"/api/companies/{tenant_a.company_id}", json={"active": False}
    )
    assert suspended.status_code == 200
    for method, url, kw in [
        ("GET", "/api/auth/me", {}),
        ("POST", "/api/users", {"json": {"email": "new@alpha.example.com",
                                         "password": "long-enough-1"}}),
        ("POST", "/api/projects", {"json": {"name": "More"}}),
    ]:  # fmt: skip
        response = await tenant_a.admin.request(method, url, **kw)
        assert response.status_code == 401, (url, response.text)
    refused = await client.post(
        "/api/auth/login", json={"email": me["email"], "password": TENANT_ADMIN_PASSWORD}
    )
    assert refused.status_code == 403
    assert "suspended" in refused.json()["error"]["message"]
    upload = await create_content(tenant_a)
    assert upload.status_code == 401
    # Other tenants are untouched.
    assert (await tenant_b.admin.get("/api/auth/me")).status_code == 200

    await superadmin.patch(f"/api/companies/{tenant_a.company_id}", json={"active": True})
    assert (await tenant_a.admin.get("/api/auth/me")).status_code == 401  # revoked, not paused
    assert (await login(client, me["email"], TENANT_ADMIN_PASSWORD)).token


async def test_inactive_project_takes_no_uploads_and_serves_nothing(
    app: FastAPI, tenant_a: Tenant, mp4_bytes: bytes
) -> None:
    content = await ready_content(app, tenant_a, [mp4_bytes])
    viewer = client_from(app, "198.51.100.7")
    shown = await viewer.get(f"/api/ar/{content['unique_id']}/active-video")
    assert shown.status_code == 200, shown.text
    off = await tenant_a.admin.patch(f"/api/projects/{tenant_a.project_id}", json={"active": False})
    assert off.status_code == 200
    upload = await create_content(tenant_a, videos=[mp4_bytes])
    assert upload.status_code == 409, upload.text
    assert "project" in upload.json()["error"]["message"]
    more = await tenant_a.admin.post(
        f"/api/ar-content/{content['id']}/videos",
        files=[("video", ("more.mp4", mp4_bytes, "video/mp4"))],
    )
    assert more.status_code == 409, more.text
    gone = await viewer.get(f"/api/ar/{content['unique_id']}/active-video")
    assert gone.status_code == 410
    page = await viewer.get(f"/ar/{content['unique_id']}")
    assert page.status_code == 410
    await viewer.aclose()


async def test_login_is_throttled_per_account(
    app: FastAPI, tenant_a: Tenant, client: httpx.AsyncClient, settings: Settings
) -> None:
    email = "guessed@alpha.example.com"  # an account nobody has logged in to yet
    created = await tenant_a.admin.post(
        "/api/users", json={"email": email, "password": TENANT_ADMIN_PASSWORD}
    )
    assert created.status_code == 201, created.text
    statuses = []
    for i in range(settings.login_account_burst + 1):  # each guess from another address
        async with client_from(app, f"203.0.113.{i + 1}") as guesser:
            wrong = await guesser.post(
                "/api/auth/login", json={"email": email, "password": "wrong-guess"}
            )
        statuses.append(wrong.status_code)
    assert statuses[:-1] == [401] * settings.login_account_burst
    assert statuses[-1] == 429
    # Even the right password waits now: a guesser learns nothing from the answer.
    right = await client.post(
        "/api/auth/login", json={"email": email, "password": TENANT_ADMIN_PASSWORD}
    )
    assert right.status_code == 429
    assert int(right.headers["Retry-After"]) >= 1
    assert right.json()["error"]["code"] == "rate_limited"


async def test_login_is_throttled_per_ip(app: FastAPI, settings: Settings) -> None:
    attacker = client_from(app, "192.0.2.50")
    statuses = []
    for i in range(settings.login_ip_burst + 1):
        response = await attacker.post(
            "/api/auth/login", json={"email": f"user{i}@example.com", "password": "guess"}
        )
        statuses.append(response.status_code)
    assert statuses == [401] * settings.login_ip_burst + [429]
    assert int(response.headers["Retry-After"]) >= 1
    other = client_from(app, "192.0.2.51")
    assert (
        await other.post("/api/auth/login", json={"email": "x@example.com", "password": "guess"})
    ).status_code == 401
    await attacker.aclose()
    await other.aclose()


async def test_password_verification_does_not_block_the_event_loop(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """While one login verifies a 64 MiB Argon2 hash (about a second here), other requests are
    answered; on the event loop, none would be until it ends."""
    strong = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY)
    async with app.state.database.sessions() as session:
        session.add(User(email="slow@example.com", password_hash=strong.hash("slow-hash-pass"),
                         role=Role.superadmin))  # fmt: skip
        await session.commit()
    async with client_from(app, "198.51.100.1") as http:
        login = asyncio.create_task(
            http.post(
                "/api/auth/login", json={"email": "slow@example.com", "password": "slow-hash-pass"}
            )
        )
        answered_meanwhile = 0
        while not login.done():
            assert (await client.get("/api/auth/me")).status_code == 401  # needs no password
            answered_meanwhile += 1
        assert (await login).status_code == 200
    assert answered_meanwhile >= 15, answered_meanwhile


@pytest.mark.parametrize("password", ["password", "12345678", "qwerty123", "Password1", "short"])
async def test_weak_passwords_are_refused(tenant_a: Tenant, password: str) -> None:
    response = await tenant_a.admin.post(
        "/api/users", json={"email": "weak@alpha.example.com", "password": password}
    )
    assert response.status_code == 422, response.text
    assert "password" in response.json()["error"]["message"]


def test_production_refuses_a_common_admin_password() -> None:
    with pytest.raises(ValidationError, match="ADMIN_PASSWORD"):
        Settings(env="production", secret_key="k" * 40, admin_password="password",
                 _env_file=None)  # type: ignore[call-arg]  # fmt: skip


async def test_email_of_another_tenant_is_not_confirmed(tenant_a: Tenant, tenant_b: Tenant) -> None:
    other = (await _me(tenant_b.admin))["email"]
    own = (await _me(tenant_a.admin))["email"]
    taken_elsewhere = await tenant_a.admin.post(
        "/api/users", json={"email": other, "password": "long-enough-1"}
    )
    taken_here = await tenant_a.admin.post(
        "/api/users", json={"email": own, "password": "long-enough-1"}
    )
    assert taken_elsewhere.status_code == taken_here.status_code == 409
    assert taken_elsewhere.json() == taken_here.json()
    assert other not in taken_elsewhere.text


async def test_concurrent_creations_of_one_email_one_wins(
    tenant_a: Tenant, capfd: pytest.CaptureFixture[str]
) -> None:
    async def create() -> int:
        response = await tenant_a.admin.post(
            "/api/users", json={"email": "race@alpha.example.com", "password": "long-enough-1"}
        )
        return response.status_code

    statuses = await asyncio.gather(*(create() for _ in range(8)))
    assert sorted(statuses) == [201] + [409] * 7, statuses
    out, err = capfd.readouterr()
    assert "$argon2" not in out + err
