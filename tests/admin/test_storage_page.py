# ruff: noqa: F811  (the storage fixtures are imported, then requested by name)
"""The admin Storage page over HTTP (superadmin): create a connection with its errors next to the
field, edit it, test it, see media per company, and connect a Yandex Disk through the OAuth flow
against the loopback Yandex fake, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI

from tests.admin.test_admin_http import _browser, _csrf, _log_in
from tests.storage.conftest import settings, yandex  # noqa: F401
from tests.storage.fake_yandex import FakeYandexDisk
from tests.support.api import Api
from tests.support.content import create_content
from tests.support.tenants import SUPERADMIN_EMAIL, SUPERADMIN_PASSWORD, Tenant
from vertex_ar.core.settings import Settings

PAGE = "/admin/storage"


async def test_superadmin_creates_edits_and_tests_a_connection(
    app: FastAPI, settings: Settings, superadmin: Api, tenant_a: Tenant, mp4_bytes: bytes
) -> None:
    assert (await create_content(tenant_a, videos=[mp4_bytes])).status_code == 201
    folder = settings.data_dir / "shared-media"
    async with await _browser(app) as http:
        await _log_in(http, SUPERADMIN_EMAIL, SUPERADMIN_PASSWORD)
        page = await http.get(PAGE)
        assert page.status_code == 200
        usage = page.text.split('id="h-usage"')[1]
        assert "Alpha Prints" in usage and "Platform disk" in usage and "KB" in usage

        token = await _csrf(http, PAGE)
        form = {"csrf_token": token, "name": "Shared disk", "kind": "local", "path": "relative"}
        refused = await http.post(PAGE, data=form)
        assert refused.status_code == 422
        assert 'id="n-local-path" name="path" value="relative"' in refused.text
        assert 'id="n-local-path-error">must be an absolute path' in refused.text
        listed = await superadmin.get("/api/storage/connections")
        assert listed.json()["total"] == 0  # nothing half-written

        made = await http.post(PAGE, data={**form, "path": str(folder)})
        assert made.status_code == 303, made.text
        created = (await superadmin.get("/api/storage/connections")).json()["items"][0]
        assert (created["name"], created["kind"]) == ("Shared disk", "local")
        assert created["config"]["path"] == str(folder)

        edit = f"{PAGE}/{created['id']}"
        renamed = await http.post(edit, data={"csrf_token": token, "name": "Shared folder",
                                              "path": str(folder), "active": "on"})  # fmt: skip
        assert renamed.status_code == 200 and 'role="status">Saved.' in renamed.text
        bad = await http.post(edit, data={"csrf_token": token, "name": "Shared folder",
                                          "path": "nope", "active": "on"})  # fmt: skip
        assert bad.status_code == 422
        assert f'id="e{created["id"]}-path-error">must be an absolute path' in bad.text
        kept = await superadmin.get(f"/api/storage/connections/{created['id']}")
        assert kept.json()["name"] == "Shared folder"
        assert kept.json()["config"]["path"] == str(folder)

        checked = await http.post(f"{edit}/test", headers={"X-CSRF-Token": token})
        assert checked.status_code == 200 and "Reachable in" in checked.text


async def test_yandex_disk_is_connected_from_the_page(
    app: FastAPI, superadmin: Api, yandex: FakeYandexDisk
) -> None:
    async with await _browser(app) as http:
        await _log_in(http, SUPERADMIN_EMAIL, SUPERADMIN_PASSWORD)
        token = await _csrf(http, PAGE)
        unnamed = await http.post(f"{PAGE}/yandex", data={"csrf_token": token, "yandex_name": ""})
        assert unnamed.status_code == 422 and 'id="y-yandex_name-error"' in unnamed.text
        started = await http.post(
            f"{PAGE}/yandex",
            data={"csrf_token": token, "yandex_name": "Agency Disk", "base_folder": "app:/ui"},
        )
        assert started.status_code == 303
        assert started.headers["location"].startswith(yandex.base_url + "/authorize?")
        # Yandex (the fake) approves and sends the browser back to the API's callback, which
        # answers a browser with the Storage page.
        async with httpx.AsyncClient() as outside:
            approved = await outside.get(started.headers["location"])
        back = urlsplit(approved.headers["location"])
        query = {k: v[0] for k, v in parse_qs(back.query).items()}
        html = {"Accept": "text/html,application/xhtml+xml"}
        done = await http.get(back.path, params=query, headers=html)
        assert done.status_code == 303, done.text
        assert done.headers["location"].startswith(f"{PAGE}?connected=")
        page = await http.get(done.headers["location"])
        assert "Yandex Disk connected: Agency Disk." in page.text
        items = (await superadmin.get("/api/storage/connections")).json()["items"]
        assert [(c["name"], c["kind"]) for c in items] == [("Agency Disk", "yandex_disk")]
        # The code is used up: a replay comes back to the page with the reason.
        again = await http.get(back.path, params=query, headers=html)
        assert again.status_code == 303 and "oauth_error=" in again.headers["location"]
        failed = await http.get(again.headers["location"])
        assert "Connecting the Yandex Disk failed" in failed.text


async def test_only_a_superadmin_reaches_the_storage_page(app: Any, tenant_a: Tenant) -> None:
    async with await _browser(app) as http:
        await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        assert (await http.get(PAGE)).status_code == 403
        token = await _csrf(http, "/admin")
        refused = await http.post(PAGE, data={"csrf_token": token, "name": "x", "kind": "local"})
        assert refused.status_code == 403
