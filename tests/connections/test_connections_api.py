"""Storage connections API (superadmin only), secrets at rest and in answers, assignment rules,
and connecting a Yandex Disk through OAuth with the state checked against CSRF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select, text

from tests.connections.conftest import connect, tenant_on
from tests.storage.conftest import S3_KEYS
from tests.storage.fake_yandex import FakeYandexDisk
from tests.support.api import Api
from tests.support.content import create_content
from vertex_ar.app import create_app
from vertex_ar.connections.models import StorageConnection
from vertex_ar.connections.routing import full_config
from vertex_ar.connections.schemas import MASK


async def test_connection_crud_masks_and_encrypts_secrets(
    app: Any, settings: Any, superadmin: Api, s3_config: dict[str, Any], capfd: Any
) -> None:
    created = await superadmin.post(
        "/api/storage/connections", json={"name": "Agency S3", "kind": "s3", "config": s3_config}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["config"]["secret_key"] == MASK
    assert body["config"]["access_key"] == MASK
    assert body["config"]["bucket"] == s3_config["bucket"]
    connection_id = body["id"]

    for answer in (
        await superadmin.get(f"/api/storage/connections/{connection_id}"),
        await superadmin.get("/api/storage/connections"),
    ):
        assert answer.status_code == 200
        assert S3_KEYS["secret_key"] not in answer.text
        assert S3_KEYS["access_key"] not in answer.text

    # At rest: the plain secret is nowhere in the row, yet the app can read it back.
    async with app.state.database.sessions() as session:
        raw = (
            await session.execute(
                text("SELECT config, secrets_token FROM storage_connections WHERE id = :id"),
                {"id": connection_id},
            )
        ).one()
        assert S3_KEYS["secret_key"] not in str(raw) and S3_KEYS["access_key"] not in str(raw)
        row = await session.get(StorageConnection, connection_id)
        assert row is not None
        assert full_config(settings, row)["secret_key"] == S3_KEYS["secret_key"]

    tested = await superadmin.post(f"/api/storage/connections/{connection_id}/test")
    assert tested.status_code == 200
    assert tested.json()["ok"] is True and tested.json()["latency_ms"] > 0

    # PATCH: the mask keeps the stored secret; other fields change.
    patched = await superadmin.patch(
        f"/api/storage/connections/{connection_id}",
        json={"name": "Agency S3 (main)", "config": {"secret_key": MASK, "prefix": "media/"}},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["config"]["prefix"] == "media/"
    assert (await superadmin.post(f"/api/storage/connections/{connection_id}/test")).json()["ok"]

    # A wrong bucket: the test reports the exact failure, not a 500.
    broken = await superadmin.patch(
        f"/api/storage/connections/{connection_id}", json={"config": {"bucket": "no-such-bucket"}}
    )
    assert broken.status_code == 200
    failed = (await superadmin.post(f"/api/storage/connections/{connection_id}/test")).json()
    assert failed["ok"] is False and "NoSuchBucket" in failed["error"]

    usage = await superadmin.get(f"/api/storage/connections/{connection_id}/usage")
    assert usage.status_code == 503  # the bucket is gone: a clear 503, not a crash

    bad = await superadmin.post(
        "/api/storage/connections",
        json={"name": "Bad", "kind": "s3", "config": {**s3_config, "bucket": "X"}},
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "config.bucket"
    assert S3_KEYS["secret_key"] not in bad.text
    unknown_field = await superadmin.post(
        "/api/storage/connections",
        json={"name": "Bad", "kind": "local", "config": {"path": "/srv/media", "x": 1}},
    )
    assert unknown_field.status_code == 422
    duplicate = await superadmin.post(
        "/api/storage/connections",
        json={"name": "Agency S3 (main)", "kind": "local", "config": {"path": "/srv/media"}},
    )
    assert duplicate.status_code == 409

    assert (await superadmin.delete(f"/api/storage/connections/{connection_id}")).status_code == 204
    assert (await superadmin.get(f"/api/storage/connections/{connection_id}")).status_code == 404

    logged = capfd.readouterr()
    assert S3_KEYS["secret_key"] not in logged.out + logged.err
    assert S3_KEYS["access_key"] not in logged.out + logged.err


async def test_only_superadmins_manage_connections(superadmin: Api, settings: Any) -> None:
    tenant = await tenant_on(superadmin, "Tenant", None, own_admin=True)
    connection_id = await connect(superadmin, "local", {"path": str(settings.data_dir / "x")})
    admin = tenant.admin
    base = "/api/storage/connections"
    assert (await admin.get(base)).status_code == 403
    assert (await admin.get(f"{base}/{connection_id}")).status_code == 403
    new = {"name": "n", "kind": "local", "config": {"path": "/tmp"}}
    assert (await admin.post(base, json=new)).status_code == 403
    assert (await admin.patch(f"{base}/{connection_id}", json={"name": "x"})).status_code == 403
    assert (await admin.post(f"{base}/{connection_id}/test")).status_code == 403
    assert (await admin.delete(f"{base}/{connection_id}")).status_code == 403
    # ...nor assign one to their own company.
    own = await admin.patch(
        f"/api/companies/{tenant.company_id}", json={"storage_connection_id": connection_id}
    )
    assert own.status_code == 403
    assert (await admin.get("/api/oauth/yandex/authorize?name=x")).status_code == 403


async def test_assignment_rules(
    superadmin: Api, settings: Any, s3_config: dict[str, Any], s3_direct: Any, mp4_bytes: bytes
) -> None:
    s3_id = await connect(superadmin, "s3", s3_config)
    other_id = await connect(superadmin, "s3", s3_config)
    tenant = await tenant_on(superadmin, "Rules", s3_id)
    company = f"/api/companies/{tenant.company_id}"
    # Created on the platform's disk, then assigned: both layouts were provisioned.
    cid = tenant.company_id
    assert (Path(settings.storage_root) / str(cid) / "portraits").is_dir()
    listed = s3_direct.list_objects_v2(Bucket=s3_config["bucket"])["Contents"]
    folders = {o["Key"] for o in listed}
    assert {f"vertex/{cid}/{kind}/" for kind in ("portraits", "videos", "markers")} <= folders

    in_use = await superadmin.delete(f"/api/storage/connections/{s3_id}")
    assert in_use.status_code == 409
    assert in_use.json()["error"]["details"]["company_ids"] == [tenant.company_id]
    deactivate = await superadmin.patch(f"/api/storage/connections/{s3_id}", json={"active": False})
    assert deactivate.status_code == 409

    missing = await superadmin.patch(company, json={"storage_connection_id": 99999})
    assert missing.status_code == 422
    assert (await create_content(tenant, videos=[mp4_bytes])).status_code == 201
    moving = await superadmin.patch(company, json={"storage_connection_id": other_id})
    assert moving.status_code == 409
    assert "vertex-ar storage migrate" in moving.json()["error"]["message"]


async def test_platform_local_storage_refused_for_clients_by_default(
    settings: Any, superadmin: Api
) -> None:
    strict = create_app(settings.model_copy(update={"storage_allow_local_for_companies": False}))
    async with strict.router.lifespan_context(strict):
        transport = httpx.ASGITransport(app=strict)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            root = Api(http, superadmin.token)
            local_id = await connect(root, "local", {"path": str(settings.data_dir / "shared")})
            tenant = await tenant_on(root, "Strict", None)
            refused = await root.patch(
                f"/api/companies/{tenant.company_id}", json={"storage_connection_id": local_id}
            )
            assert refused.status_code == 403
            assert "STORAGE_ALLOW_LOCAL_FOR_COMPANIES" in refused.json()["error"]["message"]


async def test_yandex_oauth_flow(
    client: httpx.AsyncClient, superadmin: Api, yandex: FakeYandexDisk
) -> None:
    started = await superadmin.get(
        "/api/oauth/yandex/authorize", params={"name": "Agency Disk", "base_folder": "app:/agency"}
    )
    assert started.status_code == 200, started.text
    nonce = started.cookies["vertex_ar_yandex_oauth"]
    state = started.json()["state"]
    authorize_url = started.json()["authorize_url"]
    assert authorize_url.startswith(yandex.base_url + "/authorize?")

    # The browser at Yandex: the fake approves and redirects back with a code and the state.
    async with httpx.AsyncClient() as browser:
        approved = await browser.get(authorize_url)
    assert approved.status_code == 307
    back = urlsplit(approved.headers["location"])
    assert back.path == "/api/oauth/yandex/callback"
    query = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert query["state"] == state

    # The state is signed, but it is no access token.
    as_bearer = await client.get("/api/auth/me", headers={"Authorization": f"Bearer {state}"})
    assert as_bearer.status_code == 401

    client.cookies.clear()
    forged = await client.get("/api/oauth/yandex/callback", params=query)  # no cookie: CSRF
    assert forged.status_code == 403
    client.cookies.set("vertex_ar_yandex_oauth", "someone-elses-nonce")
    assert (await client.get("/api/oauth/yandex/callback", params=query)).status_code == 403
    client.cookies.set("vertex_ar_yandex_oauth", nonce)
    tampered = {**query, "state": state[:-4] + ("AAAA" if not state.endswith("AAAA") else "BBBB")}
    assert (await client.get("/api/oauth/yandex/callback", params=tampered)).status_code == 403
    denied = await client.get(
        "/api/oauth/yandex/callback", params={"state": state, "error": "access_denied"}
    )
    assert denied.status_code == 422

    done = await client.get("/api/oauth/yandex/callback", params=query)
    assert done.status_code == 200, done.text
    connection = done.json()
    assert connection["kind"] == "yandex_disk"
    assert connection["config"] == {
        "base_folder": "app:/agency", "token": MASK, "refresh_token": MASK
    }  # fmt: skip
    client.cookies.clear()
    tested = await superadmin.post(f"/api/storage/connections/{connection['id']}/test")
    assert tested.json()["ok"] is True, tested.text
    assert any(path.startswith("app:/agency") for path in yandex.folders | set(yandex.files))

    # The code was used up: replaying the same callback fails at Yandex, not silently.
    client.cookies.set("vertex_ar_yandex_oauth", nonce)
    replay = await client.get("/api/oauth/yandex/callback", params=query)
    assert replay.status_code == 503


async def test_refreshed_yandex_token_is_saved(
    app: Any, settings: Any, superadmin: Api, yandex: FakeYandexDisk,
    yandex_config: dict[str, Any],
) -> None:  # fmt: skip
    connection_id = await connect(superadmin, "yandex_disk", yandex_config)
    yandex.tokens.discard(yandex_config["token"])  # expired
    usage = await superadmin.get(f"/api/storage/connections/{connection_id}/usage")
    assert usage.status_code == 200, usage.text
    async with app.state.database.sessions() as session:
        row = await session.scalar(
            select(StorageConnection).where(StorageConnection.id == connection_id)
        )
        assert row is not None
        saved = full_config(settings, row)
    assert saved["token"] != yandex_config["token"] and saved["token"] in yandex.tokens


@pytest.mark.parametrize("kind", ["s3", "yandex_disk"])
async def test_health_reports_tenant_backends(
    kind: str,
    superadmin: Api,
    backend_configs: dict[str, dict[str, Any]],
    s3_proxy: Any,
    yandex: FakeYandexDisk,
) -> None:
    connection_id = await connect(superadmin, kind, backend_configs[kind], name=f"{kind} main")
    await tenant_on(superadmin, "Health", connection_id)
    report = (await superadmin.get("/api/health/status")).json()
    assert report["checks"]["storage"]["ok"] is True  # the platform's own disk
    backends = report["checks"]["storage_backends"]
    assert backends["ok"] is True
    assert backends["backends"][0]["name"] == f"{kind} main"
    assert backends["backends"][0]["kind"] == kind
    assert backends["backends"][0]["companies"] == 1

    if kind == "s3":
        s3_proxy.cut()
    else:
        yandex.down = True
    try:
        down = await superadmin.get("/api/health/status")
    finally:
        yandex.down = False
    assert down.json()["status"] in ("degraded", "down")
    entry = down.json()["checks"]["storage_backends"]["backends"][0]
    assert entry["ok"] is False and entry["error"]


async def test_anonymous_health_is_an_aggregate_from_cached_probes(
    client: httpx.AsyncClient,
    superadmin: Api,
    backend_configs: dict[str, dict[str, Any]],
    yandex: FakeYandexDisk,
) -> None:
    """An anonymous caller learns ok/degraded/down and one flag per check, never a backend's name
    or error; its calls reuse the last storage probes instead of writing into every tenant's
    backend each time, while a superadmin's call probes afresh."""
    connection_id = await connect(superadmin, "yandex_disk", backend_configs["yandex_disk"])
    await tenant_on(superadmin, "Cached", connection_id)
    first = await client.get("/api/health/status")
    assert first.json()["checks"]["storage_backends"] == {"ok": True}
    assert all(set(check) == {"ok"} for check in first.json()["checks"].values()), first.text

    yandex.down = True
    try:
        cached = await client.get("/api/health/status")  # within HEALTH_PROBE_TTL_SECONDS
        assert cached.json()["checks"]["storage_backends"] == {"ok": True}
        fresh = await superadmin.get("/api/health/status")
    finally:
        yandex.down = False
    detail = fresh.json()["checks"]["storage_backends"]["backends"][0]
    assert detail["ok"] is False and detail["error"]
    after = (await client.get("/api/health/status")).json()
    assert after["status"] == "degraded"
    assert after["checks"]["storage_backends"] == {"ok": False}
    assert "yandex" not in json.dumps(after).lower()
