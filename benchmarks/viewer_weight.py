"""Bytes a phone downloads for the viewer: first visit and repeat visit, before the video.

A real server (uvicorn in a thread, SQLite, a marker compiled in-process) and Debian's Chromium
with a phone's user agent and a fake camera. Each visit opens the page, taps **Start** and waits
until the tracker runs (so the engine and the `.mind` are in); the bytes on the wire
(`Network.loadingFinished.encodedDataLength`, headers included) are summed per kind. The video's
own bytes are listed apart. The baseline is the same visit with compression refused
(`Accept-Encoding: identity`), i.e. what the page cost before precompressed assets.

    .venv/bin/python -m benchmarks.viewer_weight            # from the repository root
    .venv/bin/python -m benchmarks.viewer_weight --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from playwright.sync_api import BrowserContext, sync_playwright
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from tests.support import media
from tests.support.mindar_browser import CHROMIUM, CLOSED_NETWORK_ARGS, FAKE_CAMERA_ARGS

from vertex_ar.app import create_app
from vertex_ar.content.marker_job import compile_content_marker
from vertex_ar.core import migrate
from vertex_ar.core.db import Database, sync_url
from vertex_ar.core.security import hash_password
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import Role
from vertex_ar.media.job import render_video
from vertex_ar.users.models import User
from vertex_ar.viewer import assets, compressed

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
FIRST_GOAL, REPEAT_GOAL = 2_500_000, 200_000


def _serve(settings: Settings, port: int) -> uvicorn.Server:
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


def _content(base_url: str, settings: Settings, folder: Path) -> str:
    with httpx.Client(base_url=base_url, timeout=60) as http:
        login = http.post(
            "/api/auth/login", json={"email": "root@example.com", "password": "root-password"}
        )
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        company = http.post("/api/companies", json={"name": "Weigh Prints"}).json()
        project = http.post("/api/projects", json={"name": "P", "company_id": company["id"]}).json()
        clip = media.video(folder / "clip.mp4", seconds=4.0, size="640x360")
        created = http.post(
            "/api/ar-content",
            data={"project_id": str(project["id"]), "title": "Poster"},
            files=[("portrait", ("p.png", media.textured_image(600, 800, seed=5), "image/png")),
                   ("video", ("clip.mp4", clip, "video/mp4"))],
        ).json()  # fmt: skip
        asyncio.run(_worker_jobs(settings, created["id"], created["videos"][0]["id"]))
        return str(created["unique_id"])


async def _worker_jobs(settings: Settings, content_id: int, video_id: int) -> None:
    """The worker's two jobs for a new content item, run here (marker, web rendition)."""
    database = Database(settings.database_url, pooled=False)
    try:
        async with database.sessions() as session:
            await compile_content_marker(session, settings, content_id)
            await render_video(session, settings, video_id)
    finally:
        await database.dispose()


def _visit(context: BrowserContext, url: str) -> dict[str, int]:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    kinds: dict[str, str] = {}
    sizes: dict[str, int] = defaultdict(int)

    def on_response(event: dict[str, Any]) -> None:
        response = event["response"]
        mime = response.get("mimeType", "")
        if response.get("fromDiskCache") or response.get("fromMemoryCache"):
            kinds[event["requestId"]] = "cached"
            return
        kind = "video" if mime.startswith("video/") else "page"
        kinds[event["requestId"]] = kind

    def on_finished(event: dict[str, Any]) -> None:
        kind = kinds.get(event["requestId"], "page")
        if kind != "cached":
            sizes[kind] += int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    page.goto(url)
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(
        "() => ['scanning', 'playing', 'fallback'].includes(window.vertexViewer.phase)",
        timeout=180_000,
    )
    page.wait_for_timeout(1500)
    page.close()
    return {"page": sizes["page"], "video": sizes["video"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="weight-") as tmp:
        folder = Path(tmp)
        port = 18000 + int(time.time()) % 1000
        settings = Settings(
            env="test",
            database_url=f"sqlite+aiosqlite:///{folder / 'db.sqlite'}",
            celery_broker_url="",
            data_dir=folder / "data",
            storage_root=folder / "data" / "storage",
            public_base_url=f"http://127.0.0.1:{port}",
            _env_file=None,
        )
        migrate.upgrade(settings.database_url)
        engine = create_engine(sync_url(settings.database_url))
        with Session(engine) as session:
            session.add(User(email="root@example.com", password_hash=hash_password("root-password"),
                             role=Role.superadmin))  # fmt: skip
            session.commit()
        engine.dispose()
        for source in assets.page_files(settings.node_modules_dir):
            compressed.compress(source, settings.data_dir / "asset-cache")
        server = _serve(settings, port)
        base = f"http://127.0.0.1:{port}"
        url = f"{base}/ar/{_content(base, settings, folder)}"
        results: dict[str, list[dict[str, int]]] = defaultdict(list)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=[*CLOSED_NETWORK_ARGS, *FAKE_CAMERA_ARGS],
            )
            for _ in range(args.runs):
                for label, headers in (
                    ("compressed", {}),
                    ("baseline", {"Accept-Encoding": "identity"}),
                ):
                    context = browser.new_context(
                        user_agent=PHONE_UA,
                        viewport={"width": 390, "height": 844},
                        extra_http_headers=headers,
                    )
                    results[f"{label} first"].append(_visit(context, url))
                    results[f"{label} repeat"].append(_visit(context, url))
                    context.close()
            browser.close()
        server.should_exit = True

    def median(rows: list[dict[str, int]], key: str) -> int:
        return int(statistics.median(row[key] for row in rows))

    print(f"\nViewer weight, {args.runs} run(s), medians; bytes on the wire before the video\n")
    print("| visit | page bytes (KB) | baseline (KB) | ratio | goal | video bytes (KB) |")
    print("|---|---|---|---|---|---|")
    for visit, goal in (("first", FIRST_GOAL), ("repeat", REPEAT_GOAL)):
        ours = median(results[f"compressed {visit}"], "page")
        base_bytes = median(results[f"baseline {visit}"], "page")
        video = median(results[f"compressed {visit}"], "video")
        verdict = "met" if ours <= goal else "missed"
        ratio = base_bytes / max(ours, 1)
        print(
            f"| {visit} | {ours / 1000:.0f} | {base_bytes / 1000:.0f} | {ratio:.2f}x | "
            f"≤ {goal / 1000:.0f} ({verdict}) | {video / 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
