"""Bytes over the wire for the viewer: a first visit (empty browser cache) and a repeat visit (the
same browser), from opening the page to AR running after the Start tap, the video excluded.

Headless Debian Chromium (Playwright) with a fake camera counts each response's encoded bytes
(headers included) through the DevTools protocol. The baseline, measured in the same run: the
same visits asking for no compression (`Accept-Encoding: identity`) and, for the repeat visit,
with the browser cache off.

    .venv/bin/python -m benchmarks.viewer_weight --runs 3   # starts its own embedded app
    .venv/bin/python -m benchmarks.viewer_weight --url http://127.0.0.1/ar/<unique_id>

Without --url it runs `vertex-ar db upgrade`, `admin ensure` and `serve` (web + worker) in a
temporary folder, uploads a generated poster and a short clip, and waits for the real marker.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, sync_playwright
from tests.support import media
from tests.support.mindar_browser import CHROMIUM, CLOSED_NETWORK_ARGS, FAKE_CAMERA_ARGS

REPO = Path(__file__).resolve().parents[1]
VERTEX_AR = REPO / ".venv" / "bin" / "vertex-ar"
ADMIN = ("bench@example.com", "bench-password-8472")
STARTABLE = "() => window.vertexViewer && !document.getElementById('start').disabled"
RUNNING = "() => ['scanning', 'playing', 'fallback'].includes(window.vertexViewer.phase)"
GOAL_FIRST, GOAL_REPEAT = 2_500_000, 200_000


@dataclass
class Visit:
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    requests: int = 0
    mode: str = ""

    @property
    def total(self) -> int:
        return sum(size for kind, size in self.by_kind.items() if kind != "video")


def _kind(url: str, config: dict[str, Any]) -> str:
    if url == config.get("url"):
        return "video"
    if url == config.get("marker_url"):
        return "marker (.mind)"
    if url == config.get("poster"):
        return "poster"
    if "/ar-assets/" in url:
        return "scripts + styles"
    return "page + API"


def _visit(context: BrowserContext, url: str, *, identity: bool, no_cache: bool) -> Visit:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if identity:
        cdp.send("Network.setExtraHTTPHeaders", {"headers": {"Accept-Encoding": "identity"}})
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": no_cache})
    urls: dict[str, str] = {}
    sizes: dict[str, int] = defaultdict(int)

    def sent(event: dict[str, Any]) -> None:
        urls[event["requestId"]] = event["request"]["url"]

    def finished(event: dict[str, Any]) -> None:
        sizes[event["requestId"]] = int(event["encodedDataLength"])

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.loadingFinished", finished)
    page.goto(url)
    page.wait_for_function(STARTABLE, timeout=60_000)
    config: dict[str, Any] = json.loads(page.locator("#viewer-config").text_content() or "{}")
    base = url.split("/ar/")[0]
    config = {key: base + value if isinstance(value, str) and value.startswith("/") else value
              for key, value in config.items()}  # fmt: skip
    page.get_by_role("button", name="Start").click()
    page.wait_for_function(RUNNING, timeout=120_000)
    page.wait_for_timeout(1500)  # late responses (the video's first range, the poster) land
    visit = Visit(mode=str(page.evaluate("window.vertexViewer.mode")))
    for request_id, address in urls.items():
        if sizes.get(request_id):
            visit.by_kind[_kind(address, config)] += sizes[request_id]
            visit.requests += 1
    page.close()
    return visit


def _measure(url: str, runs: int) -> dict[str, list[Visit]]:
    results: dict[str, list[Visit]] = defaultdict(list)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[*CLOSED_NETWORK_ARGS, *FAKE_CAMERA_ARGS]
        )
        try:
            for _ in range(runs):
                for name, identity in (("ours", False), ("identity", True)):
                    context = browser.new_context(viewport={"width": 480, "height": 640})
                    results[f"first {name}"].append(
                        _visit(context, url, identity=identity, no_cache=False)
                    )
                    results[f"repeat {name}"].append(
                        _visit(context, url, identity=identity, no_cache=False)
                    )
                    if identity:
                        results["repeat no cache"].append(
                            _visit(context, url, identity=True, no_cache=True)
                        )
                    context.close()
        finally:
            browser.close()
    return results


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(what: str, seconds: float, check: Any) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = check()
        except httpx.TransportError:
            result = None
        if result:
            return result
        time.sleep(0.5)
    raise SystemExit(f"viewer_weight: gave up waiting for {what}")


@contextmanager
def embedded_app() -> Iterator[str]:
    """`vertex-ar serve` (web + worker) in a temporary folder with one print: its viewer URL."""
    with tempfile.TemporaryDirectory(prefix="viewer-weight-") as folder:
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = os.environ | {
            "DATABASE_URL": f"sqlite+aiosqlite:///{folder}/vertex_ar.db",
            "DATA_DIR": f"{folder}/var",
            "STORAGE_ROOT": f"{folder}/storage",
            "CELERY_BROKER_URL": "",
            "REDIS_CACHE_URL": "",
            "PUBLIC_BASE_URL": base,
            "ADMIN_EMAIL": ADMIN[0],
            "ADMIN_PASSWORD": ADMIN[1],
            "LOG_LEVEL": "WARNING",
        }
        for command in (["db", "upgrade"], ["admin", "ensure"]):
            subprocess.run([str(VERTEX_AR), *command], env=env, check=True, capture_output=True)
        log = open(Path(folder) / "serve.log", "wb")  # noqa: SIM115 - closed below
        server = subprocess.Popen(
            [str(VERTEX_AR), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            with httpx.Client(base_url=base, timeout=60) as http:
                _wait("the app", 60, lambda: http.get("/api/health/status").status_code < 600)
                token = http.post(
                    "/api/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}
                ).json()["access_token"]
                http.headers["Authorization"] = f"Bearer {token}"
                company = http.post("/api/companies", json={"name": "Weigh"}).json()
                project = http.post(
                    "/api/projects", json={"name": "Bench", "company_id": company["id"]}
                ).json()
                clip = media.video(Path(folder) / "clip.mp4", seconds=4.0, size="640x360")
                portrait = media.textured_image(720, 960, seed=5, fmt="JPEG")
                created = http.post(
                    "/api/ar-content",
                    data={"project_id": str(project["id"]), "title": "Poster"},
                    files=[("portrait", ("poster.jpg", portrait, "image/jpeg")),
                           ("video", ("clip.mp4", clip, "video/mp4"))],
                )  # fmt: skip
                created.raise_for_status()
                content = created.json()

                def ready() -> bool:
                    body = http.get(f"/api/ar-content/{content['id']}").json()
                    if body["marker_status"] == "failed":
                        raise SystemExit(f"viewer_weight: marker failed: {body['marker_error']}")
                    return bool(body["marker_status"] == "ready")

                _wait("the worker's marker", 300, ready)
            yield f"{base}/ar/{content['unique_id']}"
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
            log.close()


def _kb(size: float) -> str:
    return f"{size / 1000:,.0f} KB"


def report(results: dict[str, list[Visit]]) -> None:
    def median(name: str, kind: str | None = None) -> float:
        visits = results[name]
        values = [v.total if kind is None else v.by_kind.get(kind, 0) for v in visits]
        return statistics.median(values)

    kinds = sorted({k for visits in results.values() for v in visits for k in v.by_kind})
    rows = [
        ("first visit", "first ours", "first identity", GOAL_FIRST),
        ("repeat visit", "repeat ours", "repeat no cache", GOAL_REPEAT),
        ("repeat visit, no compression", "repeat identity", "repeat no cache", None),
    ]
    runs = len(results["first ours"])
    print(f"viewer weight: medians of {runs} run(s); AR mode {results['first ours'][0].mode!r}")
    print("bytes over the wire until AR runs after the Start tap, the video excluded\n")
    print("| visit | ours | baseline | baseline is | ratio | goal |")
    print("|---|---:|---:|---|---:|---|")
    for label, ours, baseline, goal in rows:
        what = "no compression" if baseline.endswith("identity") else "no browser cache"
        mine, theirs = median(ours), median(baseline)
        verdict = ""
        if goal is not None:
            verdict = f"{'met' if mine <= goal else 'MISSED'} (≤ {_kb(goal)})"
        print(f"| {label} | {_kb(mine)} | {_kb(theirs)} | {what}, same run | "
              f"{mine / theirs:.1%} | {verdict} |")  # fmt: skip
    print("\n| part | first visit | first, no compression | repeat visit |")
    print("|---|---:|---:|---:|")
    for kind in kinds:
        parts = [median(name, kind) for name in ("first ours", "first identity", "repeat ours")]
        print(f"| {kind} | " + " | ".join(_kb(part) for part in parts) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a viewer page of a running app (default: start one)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.url:
        report(_measure(args.url, args.runs))
        return 0
    with embedded_app() as url:
        report(_measure(url, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
