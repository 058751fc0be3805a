"""Company roles: a company admin manages everything in its company, the team included; an editor
changes content and projects but not the team; a viewer only reads (content, QR, analytics)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support.api import Api, login
from tests.support.content import create_content
from tests.support.tenants import Tenant, make_tenant


@dataclass
class Team:
    tenant: Tenant
    editor: Api
    viewer: Api
    ids: dict[str, int]
    content_id: int


async def _member(tenant: Tenant, role: str) -> tuple[Api, int]:
    email = f"{role}@team.example.com"
    created = await tenant.admin.post(
        "/api/users", json={"email": email, "password": f"{role}-password", "role": role}
    )
    assert created.status_code == 201, created.text
    assert created.json()["role"] == role
    return await login(tenant.admin.http, email, f"{role}-password"), created.json()["id"]


@pytest.fixture
async def team(superadmin: Api) -> Team:
    tenant = await make_tenant(superadmin, "Gamma Studio")
    editor, editor_id = await _member(tenant, "editor")
    viewer, viewer_id = await _member(tenant, "viewer")
    content = await create_content(tenant)
    assert content.status_code == 201, content.text
    return Team(tenant, editor, viewer, {"editor": editor_id, "viewer": viewer_id},
                content.json()["id"])  # fmt: skip


async def test_editor_changes_content_and_projects_but_not_the_team(team: Team) -> None:
    editor, cid = team.editor, team.content_id
    project = await editor.post("/api/projects", json={"name": "Editor's project"})
    assert project.status_code == 201, project.text
    created = await create_content(Tenant(team.tenant.company_id, project.json()["id"], editor))
    assert created.status_code == 201, created.text
    edited = await editor.patch(f"/api/ar-content/{cid}", json={"title": "Edited"})
    assert edited.status_code == 200, edited.text
    for method, url, body in [
        ("GET", "/api/users", None),
        ("POST", "/api/users", {"email": "x@team.example.com", "password": "long-password"}),
        ("PATCH", f"/api/users/{team.ids['viewer']}", {"role": "editor"}),
        ("DELETE", f"/api/users/{team.ids['viewer']}", None),
        ("PATCH", f"/api/companies/{team.tenant.company_id}", {"timezone": "Europe/Moscow"}),
    ]:
        response = await editor.request(method, url, json=body)
        assert response.status_code == 403, (method, url, response.text)
    # Their own account: readable, password changeable, role not.
    me = f"/api/users/{team.ids['editor']}"
    assert (await editor.get(me)).status_code == 200
    assert (await editor.patch(me, json={"role": "company_admin"})).status_code == 403
    changed = await editor.patch(me, json={"password": "a-new-password-2026"})
    assert changed.status_code == 200, changed.text


async def test_viewer_reads_but_changes_nothing(team: Team) -> None:
    viewer, cid = team.viewer, team.content_id
    for url in [
        "/api/ar-content",
        f"/api/ar-content/{cid}",
        f"/api/ar-content/{cid}/qr?format=png",
        "/api/analytics/overview",
        "/api/projects",
    ]:
        response = await viewer.get(url)
        assert response.status_code == 200, (url, response.text)
    video_rule = {"type": "random_daily", "config": {"video_pool": [1]}}
    for method, url, body in [
        ("POST", "/api/projects", {"name": "Nope"}),
        ("PATCH", f"/api/projects/{team.tenant.project_id}", {"name": "Nope"}),
        ("DELETE", f"/api/projects/{team.tenant.project_id}", None),
        ("PATCH", f"/api/ar-content/{cid}", {"title": "Nope"}),
        ("DELETE", f"/api/ar-content/{cid}", None),
        ("POST", f"/api/ar-content/{cid}/generate-marker", None),
        ("PUT", f"/api/ar-content/{cid}/rotation-rule", video_rule),
        ("DELETE", f"/api/ar-content/{cid}/rotation-rule", None),
        ("GET", "/api/users", None),
    ]:
        response = await viewer.request(method, url, json=body)
        assert response.status_code == 403, (method, url, response.text)
    upload = await create_content(Tenant(team.tenant.company_id, team.tenant.project_id, viewer))
    assert upload.status_code == 403, upload.text
    assert (await viewer.get(f"/api/ar-content/{cid}")).json()["title"] == "Poster"


async def test_company_admin_sets_roles_within_limits(team: Team) -> None:
    admin = team.tenant.admin
    viewer_url = f"/api/users/{team.ids['viewer']}"
    promoted = await admin.patch(viewer_url, json={"role": "editor"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "editor"
    # A role change ends the old token; logged in again, the former viewer may edit.
    old = await team.viewer.patch(f"/api/ar-content/{team.content_id}", json={"title": "New"})
    assert old.status_code == 401, old.text
    editor = await login(admin.http, "viewer@team.example.com", "viewer-password")
    edited = await editor.patch(f"/api/ar-content/{team.content_id}", json={"title": "New"})
    assert edited.status_code == 200, edited.text
    superadmin = await admin.patch(viewer_url, json={"role": "superadmin"})
    assert superadmin.status_code in (403, 422), superadmin.text
    me = await admin.get("/api/auth/me")
    own = await admin.patch(f"/api/users/{me.json()['id']}", json={"role": "viewer"})
    assert own.status_code == 403, own.text
