"""MEDIA_X_ACCEL: the app checks a signed media link and hands local files to Nginx.

Nginx's side (the internal /_media/ location, sendfile, Range) is exercised for real in
test_stack.py; here the app's answers: which objects are handed over, with which headers, and
that a bad link or a missing file never is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.api import Api
from tests.support.content import ready_content
from tests.support.tenants import Tenant
from vertex_ar.viewer.signing import MediaGrant, sign, verify


@pytest.fixture
def settings(settings: Any) -> Iterator[Any]:
    yield settings.model_copy(
        update={"media_x_accel": True, "storage_allow_local_for_companies": True}
    )


async def _video_link(client: httpx.AsyncClient, unique_id: str) -> str:
    body = (await client.get(f"/api/ar/{unique_id}/active-video")).json()
    url: str = body["url"]
    assert url.startswith("/media?t="), url
    return url


def _grant(settings: Any, url: str) -> MediaGrant:
    return verify(settings.secret_key, parse_qs(urlsplit(url).query)["t"][0])


async def test_local_media_is_handed_to_nginx(
    app: Any, settings: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips[:1])
    url = await _video_link(client, content["unique_id"])
    grant = _grant(settings, url)
    for method in ("GET", "HEAD"):
        answer = await client.request(method, url, headers={"Range": "bytes=0-99"})
        assert answer.status_code == 200, (method, answer.text)
        assert answer.content == b""
        assert answer.headers["x-accel-redirect"] == f"/_media/{grant.key}"
        assert answer.headers["content-type"] == "video/mp4"
        assert answer.headers["content-length"] == "0"
        assert "content-range" not in answer.headers  # Nginx answers the Range itself
        max_age = int(answer.headers["cache-control"].removeprefix("private, max-age="))
        assert 0 < max_age <= grant.expires - time.time() + 1
    # The redirect names the very file Nginx's /_media/ alias (STORAGE_ROOT) resolves to.
    assert (Path(settings.storage_root) / grant.key).read_bytes() == clips[0]

    marker = (await client.get(f"/api/ar/{content['unique_id']}/active-video")).json()
    marker_answer = await client.get(marker["marker_url"])
    assert marker_answer.headers["x-accel-redirect"].startswith("/_media/")
    assert marker_answer.headers["content-type"] == "application/octet-stream"


async def test_bad_links_and_missing_files_are_never_handed_over(
    app: Any, settings: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips[:1])
    url = await _video_link(client, content["unique_id"])
    grant = _grant(settings, url)

    tampered = url[:-2] + ("AA" if not url.endswith("AA") else "BB")
    expired = "/media?t=" + sign(settings.secret_key, MediaGrant(grant.key, grant.mime, 1))
    forged = "/media?t=" + sign("another-secret", grant)
    for bad in (tampered, expired, forged):
        refused = await client.get(bad)
        assert refused.status_code == 403, bad
        assert "x-accel-redirect" not in refused.headers

    (Path(settings.storage_root) / grant.key).unlink()
    gone = await client.get(url)
    assert gone.status_code == 404
    assert "x-accel-redirect" not in gone.headers


async def test_media_outside_the_nginx_folder_is_streamed_by_the_app(
    app: Any,
    settings: Any,
    client: httpx.AsyncClient,
    superadmin: Api,
    clips: list[bytes],
) -> None:
    """A company on a local connection of its own: Nginx cannot see that folder."""
    folder = settings.data_dir / "agency-disk"  # under LOCAL_STORAGE_ROOTS' default
    folder.mkdir(parents=True)
    connection = await superadmin.post(
        "/api/storage/connections",
        json={"name": "Agency disk", "kind": "local", "config": {"path": str(folder)}},
    )
    assert connection.status_code == 201, connection.text
    company = await superadmin.post("/api/companies", json={"name": "Own Disk Prints"})
    assert company.status_code == 201, company.text
    company_id = company.json()["id"]
    assigned = await superadmin.patch(
        f"/api/companies/{company_id}", json={"storage_connection_id": connection.json()["id"]}
    )
    assert assigned.status_code == 200, assigned.text
    project = await superadmin.post(
        "/api/projects", json={"name": "Own disk", "company_id": company_id}
    )
    assert project.status_code == 201, project.text
    tenant = Tenant(company_id, project.json()["id"], superadmin)

    content = await ready_content(app, tenant, clips[:1])
    url = await _video_link(client, content["unique_id"])
    assert (folder / _grant(settings, url).key).read_bytes() == clips[0]
    part = await client.get(url, headers={"Range": "bytes=10-29"})
    assert part.status_code == 206
    assert "x-accel-redirect" not in part.headers
    assert part.content == clips[0][10:30]
