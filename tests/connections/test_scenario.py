"""One API scenario, unchanged, on each backend: connect a storage, create content with an image
and a video, compile its marker with the real task code, read the media back with a Range."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.connections.conftest import connect, fetch_range, tenant_on
from tests.storage.conftest import collect
from tests.support.api import Api
from tests.support.content import create_content, storage_files
from vertex_ar.connections.routing import storage_for_company
from vertex_ar.content.marker_job import compile_content_marker
from vertex_ar.content.models import ARContent, MarkerStatus


@pytest.mark.parametrize("kind", ["local", "s3", "yandex_disk"])
async def test_content_lifecycle_on_backend(
    kind: str,
    app: Any,
    settings: Any,
    superadmin: Api,
    backend_configs: dict[str, dict[str, Any]],
    s3_config: dict[str, Any],
    client: httpx.AsyncClient,
    mp4_bytes: bytes,
) -> None:
    connection_id = await connect(superadmin, kind, backend_configs[kind])
    tenant = await tenant_on(superadmin, f"Scenario {kind}", connection_id)

    created = await create_content(tenant, videos=[mp4_bytes])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["marker_status"] == "pending"

    async with app.state.database.sessions() as session:
        content = await session.get(ARContent, body["id"])
        assert content is not None
        storage = await storage_for_company(session, settings, tenant.company_id)
    assert storage.connection_id == connection_id
    video_key = content.videos[0].file_key
    keys = [content.portrait_key, video_key, content.videos[0].thumbnail_key]
    for key in keys:
        assert key is not None and await storage.exists(key), key
    assert await storage.size(video_key) == len(mp4_bytes)
    # Nothing on the platform's own disk: the media went to the company's backend.
    assert storage_files(settings) == []
    if kind == "local":
        assert (Path(backend_configs["local"]["path"]) / video_key).is_file()

    async with app.state.database.sessions() as session:
        status = await compile_content_marker(session, settings, body["id"])
    fetched = (await tenant.admin.get(f"/api/ar-content/{body['id']}")).json()
    assert status is MarkerStatus.ready, fetched["marker_error"]
    assert fetched["marker_status"] == "ready"
    async with app.state.database.sessions() as session:
        marker_key = (await session.get(ARContent, body["id"])).marker_key  # type: ignore[union-attr]
    assert marker_key is not None
    marker = await collect(storage.get_stream(marker_key))
    assert len(marker) == await storage.size(marker_key) > 0

    assert await collect(storage.get_stream(video_key, 100, 1099)) == mp4_bytes[100:1100]
    # What the viewer does: ask for the active video, then fetch a byte range of it. S3 hands
    # out presigned bucket URLs; the others are streamed by the app behind a signed link.
    active = await client.get(f"/api/ar/{body['unique_id']}/active-video")
    assert active.status_code == 200, active.text
    ranged = await fetch_range(client, active.json()["url"], 100, 1099)
    assert ranged.status_code == 206
    assert ranged.content == mp4_bytes[100:1100]
    marker_url = active.json()["marker_url"]
    assert (await fetch_range(client, marker_url, 0, 9)).content == marker[:10]
    assert marker_url.startswith(s3_config["endpoint_url"]) == (kind == "s3")

    deleted = await tenant.admin.delete(f"/api/ar-content/{body['id']}")
    assert deleted.status_code == 204
    assert await storage.exists(video_key)  # in the trash: the media stay until it is purged
    purged = await superadmin.delete(f"/api/trash/content/{body['id']}")
    assert purged.status_code == 204
    for key in [*keys, marker_key]:
        assert not await storage.exists(key), key
