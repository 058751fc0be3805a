"""The viewer's weight: its files go precompressed (brotli, gzip) by Accept-Encoding, the app
serving them itself as well as behind Nginx (tests/deploy/test_nginx.py), under versioned URLs
cached for good, so a repeat visit in a real browser asks for none of them again."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import httpx
import pytest
from playwright.sync_api import sync_playwright
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session
from starlette.types import ASGIApp

from tests.support import media
from tests.support.content import make_content, mark_ready
from tests.support.live_app import live_app
from tests.support.mindar_browser import CHROMIUM, CLOSED_NETWORK_ARGS
from tests.support.tenants import Tenant
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core.db import sync_url
from vertex_ar.core.settings import Settings
from vertex_ar.core.static_assets import IMMUTABLE, encoded_file_response, precompress
from vertex_ar.storage.base import new_key
from vertex_ar.viewer import assets

STARTABLE = "() => window.vertexViewer && !document.getElementById('start').disabled"


def _own_urls(page: str) -> list[str]:
    """The page's own script and styles."""
    own = re.findall(r'"(/ar-assets/\w+/viewer\.(?:js|css))"', page)
    assert len(own) == 2, page[:1500]
    return own


async def _raw(client: httpx.AsyncClient, url: str, accept: str) -> tuple[httpx.Response, bytes]:
    request = client.build_request("GET", url, headers={"Accept-Encoding": accept})
    response = await client.send(request, stream=True)
    body = b"".join([chunk async for chunk in response.aiter_raw()])
    await response.aclose()
    return response, body


async def test_the_app_serves_precompressed_copies_by_accept_encoding(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    node_modules: Path = app.state.settings.node_modules_dir
    built = assets.precompress_page_files(node_modules)
    content = await make_content(tenant_a, clips[:1])
    await mark_ready(app, content)
    page = (await client.get(f"/ar/{content['unique_id']}")).text
    urls = [url for url, *_ in built]
    assert set(_own_urls(page)) <= set(urls)
    assert any("three.module.min.js" in url for url in urls)
    assert any("controller-" in url for url in urls)  # MindAR's chunk, found through its imports

    for url in urls:
        plain, plain_body = await _raw(client, url, "identity")
        assert plain.status_code == 200, url
        assert "content-encoding" not in plain.headers
        for accept, coding, decode in (
            ("gzip, deflate, br, zstd", "br", brotli.decompress),
            ("br", "br", brotli.decompress),
            ("gzip, deflate", "gzip", gzip.decompress),
            ("br;q=0, gzip", "gzip", gzip.decompress),
        ):
            response, body = await _raw(client, url, accept)
            assert response.headers.get("content-encoding") == coding, (url, accept)
            assert decode(body) == plain_body, (url, accept)
            assert int(response.headers["content-length"]) == len(body) < len(plain_body)
            assert response.headers["vary"] == "Accept-Encoding"
            assert response.headers["cache-control"] == IMMUTABLE, url


def test_a_copy_older_than_its_file_is_not_served(tmp_path: Path) -> None:
    """An edited file (development) goes out as it is until it is precompressed again."""
    script = tmp_path / "viewer.js"
    script.write_text("console.log('first');" * 50)
    assert precompress(script).written
    assert not precompress(script).written  # up to date: kept
    fresh = encoded_file_response(script, "text/javascript", IMMUTABLE, "br")
    assert fresh.headers["content-encoding"] == "br"
    script.write_text("console.log('second');" * 50)
    later = script.stat().st_mtime_ns + 1_000_000_000
    os.utime(script, ns=(later, later))
    stale = encoded_file_response(script, "text/javascript", IMMUTABLE, "br")
    assert "content-encoding" not in stale.headers
    assert stale.path == script
    assert precompress(script).written
    assert brotli.decompress((tmp_path / "viewer.js.br").read_bytes()) == script.read_bytes()


@pytest.fixture(scope="module")
def live_viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A served viewer page (embedded stack, a stand-in marker) and the paths the app was asked."""
    folder = tmp_path_factory.mktemp("weight")
    asked: list[str] = []

    def recorded(app: ASGIApp) -> ASGIApp:
        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                asked.append(scope["path"])
            await app(scope, receive, send)

        return recording

    assets.precompress_page_files(Settings.model_fields["node_modules_dir"].default)
    with live_app(folder, wrap=recorded) as live:
        http = live.root
        company = http.post("/api/companies", json={"name": "Weighed"}).json()
        project = http.post("/api/projects", json={"name": "P", "company_id": company["id"]}).json()
        clip = media.video(folder / "clip.mp4", seconds=1.0)
        created = http.post(
            "/api/ar-content",
            data={"project_id": str(project["id"]), "title": "Poster"},
            files=[("portrait", ("p.png", media.textured_image(), "image/png")),
                   ("video", ("clip.mp4", clip, "video/mp4"))],
        )  # fmt: skip
        assert created.status_code == 201, created.text
        content = created.json()
        storage_root = live.settings.storage_root
        key = new_key(content["company_id"], "markers", "mind")
        (storage_root / key).parent.mkdir(parents=True, exist_ok=True)
        (storage_root / key).write_bytes(b"MIND" * 100)
        engine = create_engine(sync_url(live.settings.database_url))
        with Session(engine) as session:
            session.execute(
                update(ARContent)
                .where(ARContent.id == content["id"])
                .values(marker_key=key, marker_status=MarkerStatus.ready, marker_lease_until=None)
            )
            session.commit()
        engine.dispose()
        yield f"{live.base_url}/ar/{content['unique_id']}", asked


@pytest.mark.browser
@pytest.mark.timeout(180)
def test_a_repeat_visit_asks_for_no_viewer_file(live_viewer: tuple[str, list[str]]) -> None:
    url, asked = live_viewer
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CLOSED_NETWORK_ARGS)
        try:
            context = browser.new_context()
            encodings: dict[str, str] = {}
            page = context.new_page()
            page.on(
                "response",
                lambda r: encodings.__setitem__(r.url, r.headers.get("content-encoding", "")),
            )
            page.goto(url)
            page.wait_for_function(STARTABLE)
            first = [path for path in asked if path.startswith("/ar-assets/")]
            assert len(first) == 7, first  # viewer.js/.css, three, CSS3DRenderer, MindAR ×3
            assert all(value == "br" for key, value in encodings.items() if "/ar-assets/" in key)
            page.close()

            asked.clear()
            again = context.new_page()
            again.goto(url)
            again.wait_for_function(STARTABLE)
            assert any(path.startswith("/ar/") for path in asked)  # the page itself: no-store
            assert [path for path in asked if path.startswith("/ar-assets/")] == []
        finally:
            browser.close()
