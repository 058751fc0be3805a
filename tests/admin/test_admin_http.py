"""The admin UI over HTTP (no browser): sessions, CSRF, tenancy, roles, languages and the offline
API docs, on SQLite and on PostgreSQL + Redis."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.api import Api, login
from tests.support.content import create_content, storage_files
from tests.support.tenants import Tenant, make_tenant
from vertex_ar.analytics.models import ARViewSession

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


async def _csrf(http: httpx.AsyncClient, path: str = "/admin/login") -> str:
    page = await http.get(path)
    match = CSRF.search(page.text)
    assert match, page.text[:500]
    return match.group(1)


async def _browser(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _log_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    token = await _csrf(http)
    return await http.post(
        "/admin/login", data={"email": email, "password": password, "csrf_token": token}
    )


async def _member(tenant: Tenant, role: str) -> str:
    email = f"{role}@members.example.com"
    created = await tenant.admin.post(
        "/api/users", json={"email": email, "password": "member-password", "role": role}
    )
    assert created.status_code == 201, created.text
    return email


async def test_pages_need_a_session_and_forms_a_csrf_token(app: Any, tenant_a: Tenant) -> None:
    async with await _browser(app) as http:
        root = await http.get("/")
        assert (root.status_code, root.headers["location"]) == (307, "/admin")
        page = await http.get("/admin/content?project=1")
        assert page.status_code == 303
        assert page.headers["location"] == "/admin/login?next=%2Fadmin%2Fcontent%3Fproject%3D1"
        htmx = await http.get("/admin", headers={"HX-Request": "true"})
        assert htmx.headers["HX-Redirect"].startswith("/admin/login")

        # A login post without the form's token is refused with a readable page.
        forged = await http.post(
            "/admin/login",
            data={"email": "admin@alpha-prints.example.com", "password": "tenant-password"},
        )
        assert forged.status_code == 403
        assert "This form has expired" in forged.text
        assert "vertex_session" not in forged.cookies

        wrong = await _log_in(http, "admin@alpha-prints.example.com", "not-the-password")
        assert wrong.status_code == 401
        assert "Wrong email or password." in wrong.text

        done = await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        assert done.status_code == 303 and done.headers["location"] == "/admin"
        cookie = done.headers["set-cookie"]
        assert "vertex_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # only in production

        # Logged in, a form post without its token changes nothing.
        before = await tenant_a.admin.get("/api/projects")
        refused = await http.post("/admin/projects", data={"name": "Forged"})
        assert refused.status_code == 403
        after = await tenant_a.admin.get("/api/projects")
        assert after.json()["total"] == before.json()["total"]
        made = await http.post(
            "/admin/projects", data={"name": "Real", "csrf_token": await _csrf(http, "/admin")}
        )
        assert made.status_code == 303
        assert (await tenant_a.admin.get("/api/projects")).json()["total"] == before.json()[
            "total"
        ] + 1

        out = await http.post("/admin/logout", data={"csrf_token": await _csrf(http, "/admin")})
        assert out.status_code == 303
        assert (await http.get("/admin")).status_code == 303


async def test_session_follows_the_api_token_rules(app: Any, superadmin: Api) -> None:
    tenant = await make_tenant(superadmin, "Delta Design")
    email = await _member(tenant, "editor")
    async with await _browser(app) as http:
        assert (await _log_in(http, email, "member-password")).status_code == 303
        assert (await http.get("/admin")).status_code == 200
        # A password change ends every token of the account but starts this session anew.
        api = await login(tenant.admin.http, email, "member-password")
        form = {"current_password": "member-password", "new_password": "Fresh-passw0rd-2026",
                "confirm_password": "Fresh-passw0rd-2026"}  # fmt: skip
        changed = await http.post(
            "/admin/profile/password", data={**form, "csrf_token": await _csrf(http, "/admin")}
        )
        assert changed.status_code == 200 and "Password changed." in changed.text
        assert (await api.get("/api/projects")).status_code == 401
        assert (await http.get("/admin")).status_code == 200
        wrong = await http.post(
            "/admin/profile/password",
            data={**form, "current_password": "nope", "csrf_token": await _csrf(http, "/admin")},
        )
        assert wrong.status_code == 422 and 'id="current_password-error"' in wrong.text
        me = await tenant.admin.get("/api/users")
        member = next(u for u in me.json()["items"] if u["email"] == email)
        off = await tenant.admin.patch(f"/api/users/{member['id']}", json={"active": False})
        assert off.status_code == 200, off.text
        # The same cookie no longer opens anything.
        assert (await http.get("/admin")).status_code == 303


async def test_logout_revokes_this_session_only(app: Any, tenant_a: Tenant) -> None:
    """A copied session cookie (or the same token as a bearer) is dead after logout; the
    account's other sessions (another browser, an API script) keep working."""
    email, password = "admin@alpha-prints.example.com", "tenant-password"
    async with await _browser(app) as laptop, await _browser(app) as phone:
        assert (await _log_in(laptop, email, password)).status_code == 303
        assert (await _log_in(phone, email, password)).status_code == 303
        copied = laptop.cookies["vertex_session"]
        script = await login(tenant_a.admin.http, email, password)
        out = await laptop.post("/admin/logout", data={"csrf_token": await _csrf(laptop, "/admin")})
        assert out.status_code == 303
        async with await _browser(app) as thief:
            thief.cookies.set("vertex_session", copied)
            assert (await thief.get("/admin")).status_code == 303
        bearer = {"Authorization": f"Bearer {copied}"}
        assert (await laptop.get("/api/projects", headers=bearer)).status_code == 401
        assert (await phone.get("/admin")).status_code == 200
        assert (await script.get("/api/projects")).status_code == 200
        # Logging out twice, or with a dead cookie, is a plain redirect to the login form.
        laptop.cookies.set("vertex_session", copied)
        again = await laptop.post(
            "/admin/logout", data={"csrf_token": await _csrf(laptop, "/admin/login")}
        )
        assert again.status_code == 303


async def test_api_logout_revokes_the_bearer_token(app: Any, tenant_a: Tenant) -> None:
    api = await login(tenant_a.admin.http, "admin@alpha-prints.example.com", "tenant-password")
    assert (await api.get("/api/auth/me")).status_code == 200
    assert (await api.post("/api/auth/logout")).status_code == 204
    assert (await api.get("/api/auth/me")).status_code == 401
    assert (await tenant_a.admin.get("/api/auth/me")).status_code == 200


async def test_tenants_and_roles_apply_to_pages(
    app: Any, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    theirs = await create_content(tenant_b)
    assert theirs.status_code == 201, theirs.text
    editor, viewer = await _member(tenant_a, "editor"), await _member(tenant_a, "viewer")
    async with await _browser(app) as http:
        await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        other = await http.get(f"/admin/content/{theirs.json()['id']}")
        assert other.status_code == 404
        assert "not found" in other.text
        assert (await http.get(f"/admin/content/{theirs.json()['id']}/qr.png")).status_code == 404
        assert (await http.get("/admin/team")).status_code == 200
        assert (await http.get("/admin/companies")).status_code == 403

    cases = [  # (who, path, status)
        (editor, "/admin/content/new", 200),
        (editor, "/admin/team", 403),
        (editor, "/admin/storage", 403),
        (viewer, "/admin/content", 200),
        (viewer, "/admin/analytics", 200),
        (viewer, "/admin/content/new", 403),
        (viewer, "/admin/team", 403),
    ]
    for email, path, status in cases:
        async with await _browser(app) as http:
            await _log_in(http, email, "member-password")
            page = await http.get(path)
            assert page.status_code == status, (email, path, page.text[:300])
            if status == 403:
                assert 'role="alert"' in page.text
    async with await _browser(app) as http:
        await _log_in(http, viewer, "member-password")
        nav = (await http.get("/admin")).text
        assert "New AR content" not in nav and "/admin/team" not in nav


async def test_analytics_page_ranks_content_and_projects_and_exports_csv(
    app: Any, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    mine = (await create_content(tenant_a, title="Most viewed poster")).json()
    theirs = (await create_content(tenant_b, title="Not ours")).json()
    now = datetime.now(UTC)
    async with app.state.database.sessions() as session:
        session.add_all(
            ARViewSession(company_id=c["company_id"], content_id=c["id"], device_type="mobile",
                          found=True, duration_seconds=5.0, created_at=now)
            for c in (mine, mine, theirs)
        )  # fmt: skip
        await session.commit()
    async with await _browser(app) as http:
        await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        page = await http.get("/admin/analytics")
        assert page.status_code == 200
        top = page.text.split('id="h-top"')[1].split("</section>")[0]
        assert f'<a href="/admin/content/{mine["id"]}">Most viewed poster</a></td><td>2<' in top
        assert "Not ours" not in page.text
        projects = page.text.split('id="h-projects"')[1].split("</section>")[0]
        assert f'href="/admin/projects/{tenant_a.project_id}"' in projects
        csv_answer = await http.get("/admin/analytics.csv")
        assert csv_answer.status_code == 200
        assert csv_answer.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(csv_answer.text)))
        assert rows[0][:3] == ["id", "created_at", "content_id"]
        assert [row[2] for row in rows[1:]] == [str(mine["id"])] * 2


async def test_setup_wizard_steps_and_the_polled_marker_keep_the_portrait(
    app: Any, tenant_a: Tenant
) -> None:
    content = (await create_content(tenant_a, title="Wizard poster")).json()
    base = f"/admin/content/{content['id']}"
    async with await _browser(app) as http:
        await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        quality = await http.get(f"{base}/setup/quality")
        assert quality.status_code == 200
        assert 'aria-current="step">1. Quality check' in quality.text
        assert f'href="{base}/setup/rotation">Next step' in quality.text
        assert f'href="{base}">Skip the rest' in quality.text
        rotation = await http.get(f"{base}/setup/rotation")
        assert "rotation-form" in rotation.text and 'id="calendar"' in rotation.text
        qr = await http.get(f"{base}/setup/qr")
        assert "Download QR (PNG)" in qr.text and "Open viewer" in qr.text
        assert f'href="{base}">Finish' in qr.text
        assert (await http.get(f"{base}/setup/elsewhere")).status_code == 404
        # The status block polls itself; each poll still shows the portrait.
        polled = await http.get(f"{base}/marker", headers={"HX-Request": "true"})
        src = re.search(r'class="portrait" src="([^"]*)"', polled.text)
        assert src and src.group(1).startswith("/media?"), polled.text[:400]


async def test_language_from_browser_then_the_users_pick(app: Any, tenant_a: Tenant) -> None:
    async with await _browser(app) as http:
        ru = await http.get("/admin/login", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
        assert '<html lang="ru">' in ru.text and "Войти" in ru.text
        en = await http.get("/admin/login", headers={"Accept-Language": "de-DE,en;q=0.8"})
        assert '<html lang="en">' in en.text and "Log in" in en.text
        picked = await http.post(
            "/admin/language",
            data={"lang": "en", "back": "/admin/login", "csrf_token": await _csrf(http)},
        )
        assert picked.status_code == 303
        again = await http.get("/admin/login", headers={"Accept-Language": "ru"})
        assert '<html lang="en">' in again.text
        bad = await http.post(
            "/admin/language", data={"lang": "xx", "csrf_token": await _csrf(http)}
        )
        assert bad.status_code == 422


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_api_docs_are_served_offline(client: httpx.AsyncClient, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        asset = await client.get(source)
        assert asset.status_code == 200, source
    assert (await client.get("/openapi.json")).status_code == 200
    traversal = await client.get("/admin/vendor/htmx.org@2.0.11/../../package.json")
    assert traversal.status_code == 404


async def test_api_errors_read_next_to_their_form(app: Any, tenant_a: Tenant) -> None:
    """A superadmin's company edit with a bad time zone: the API's message, in the row's form."""
    async with await _browser(app) as http:
        await _log_in(http, "root@example.com", "root-password")
        token = await _csrf(http, "/admin/companies")
        bad = await http.post(
            f"/admin/companies/{tenant_a.company_id}",
            data={"name": "Alpha Prints", "timezone": "Mars/Olympus", "active": "on",
                  "csrf_token": token},
        )  # fmt: skip
        assert bad.status_code == 422
        assert "unknown time zone &#39;Mars/Olympus&#39;" in bad.text  # escaped, as shown
        good = await http.post(
            f"/admin/companies/{tenant_a.company_id}",
            data={"name": "Alpha Prints", "timezone": "Europe/Moscow", "active": "on",
                  "csrf_token": token},
        )  # fmt: skip
        assert good.status_code == 200 and "Saved." in good.text
        company = await tenant_a.admin.get(f"/api/companies/{tenant_a.company_id}")
        assert company.json()["timezone"] == "Europe/Moscow"
        # A project without a name: the message sits under the Project name field.
        empty = await http.post(
            "/admin/projects", data={"name": "", "company_id": "", "csrf_token": token}
        )
        assert empty.status_code == 422
        assert 'id="p-name-error"' in empty.text or 'id="p-company-error"' in empty.text

    # The content page's details and the project editor: each message under its own field.
    content = (await create_content(tenant_a)).json()
    async with await _browser(app) as http:
        await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        token = await _csrf(http, "/admin")
        details = await http.post(
            f"/admin/content/{content['id']}",
            data={"title": "Poster", "customer_email": "not-an-email", "csrf_token": token},
            headers={"HX-Request": "true"},
        )
        assert details.status_code == 422
        assert 'id="d-cemail" name="customer_email"' in details.text
        assert 'aria-invalid="true" aria-describedby="d-cemail-error"' in details.text
        assert re.search(r'id="d-cemail-error">[^<]*email', details.text), details.text[-1500:]
        renamed = await http.post(
            f"/admin/projects/{tenant_a.project_id}",
            data={"name": "x" * 201, "description": "", "active": "on", "csrf_token": token},
        )
        assert renamed.status_code == 422
        assert re.search(r'id="p-name-error">[^<]*200', renamed.text), renamed.text[-2500:]


async def test_delete_button_moves_to_the_trash_page_and_restore_brings_it_back(
    app: Any, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    content = (await create_content(tenant_a, title="Poster in the bin")).json()
    async with await _browser(app) as http:
        assert (
            await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        ).is_redirect
        token = await _csrf(http, f"/admin/content/{content['id']}")
        deleted = await http.post(
            f"/admin/content/{content['id']}/delete", data={"csrf_token": token}
        )
        assert deleted.status_code == 303
        assert (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).status_code == 404
        listed = await http.get("/admin/trash")
        assert listed.status_code == 200
        assert 'href="/admin/trash" aria-current="page"' in listed.text
        assert "Poster in the bin" in listed.text
        restore = f"/admin/trash/content/{content['id']}/restore"
        assert f'action="{restore}"' in listed.text
        token = await _csrf(http, "/admin/trash")
        assert (await http.post(restore, data={})).status_code == 403  # no CSRF token
        restored = await http.post(restore, data={"csrf_token": token})
        assert restored.status_code == 200
        assert "Restored." in restored.text
        assert "The trash is empty." in restored.text
        assert (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).status_code == 200
        again = await http.post(restore, data={"csrf_token": token})
        assert again.status_code == 409
        assert "not in the trash" in again.text

    # Another tenant's trash page shows none of it.
    assert (await tenant_a.admin.delete(f"/api/ar-content/{content['id']}")).status_code == 204
    async with await _browser(app) as http:
        await _log_in(http, "admin@beta-posters.example.com", "tenant-password")
        other = await http.get("/admin/trash")
        assert other.status_code == 200
        assert "Poster in the bin" not in other.text
        token = await _csrf(http, "/admin/trash")
        stolen = await http.post(
            f"/admin/trash/content/{content['id']}/restore", data={"csrf_token": token}
        )
        assert stolen.status_code == 404
    assert (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).status_code == 404


async def test_superadmin_deletes_for_good_from_the_trash_page(
    app: Any, superadmin: Api, tenant_a: Tenant, settings: Any
) -> None:
    content = (await create_content(tenant_a, title="Gone for good")).json()
    assert (await tenant_a.admin.delete(f"/api/ar-content/{content['id']}")).status_code == 204
    purge = f"/admin/trash/content/{content['id']}/purge"
    async with await _browser(app) as http:
        await _log_in(http, "admin@alpha-prints.example.com", "tenant-password")
        page = await http.get("/admin/trash")
        assert "Gone for good" in page.text
        assert f'action="{purge}"' not in page.text  # a company admin restores only
        token = await _csrf(http, "/admin/trash")
        assert (await http.post(purge, data={"csrf_token": token})).status_code == 403
    assert storage_files(settings) != []
    async with await _browser(app) as http:
        await _log_in(http, "root@example.com", "root-password")
        page = await http.get("/admin/trash")
        assert f'action="{purge}"' in page.text
        token = await _csrf(http, "/admin/trash")
        done = await http.post(purge, data={"csrf_token": token})
        assert done.status_code == 200
        assert "Deleted for good." in done.text
        assert "Gone for good" not in done.text
    assert storage_files(settings) == []
