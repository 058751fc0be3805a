"""deploy/nginx/nginx.conf: `nginx -t` and gixy on the real file, then the rendered loopback copy
serving a stub app, to check what the config promises (headers, limits, media via X-Accel)."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import brotli
import httpx
import pytest

REPO = Path(__file__).parents[2]
CONFIG = REPO / "deploy" / "nginx" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
GIXY = Path(sys.executable).with_name("gixy")
VIDEO = bytes(range(256)) * 40  # 10240 bytes, every offset recognisable
IMMUTABLE = "public, max-age=31536000, immutable"
ASSET = b"console.log(1);" * 400
ASSET_BR = brotli.compress(ASSET)
VIEWER_CSP = "default-src 'self'; script-src 'self' 'nonce-abc'; worker-src 'self' data: blob:"


def _renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "render_loopback", REPO / "deploy" / "nginx" / "render_loopback.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while the class is built
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _nginx_args(conf: Path, directives: str = "") -> list[str]:
    # As root, workers would otherwise run as `nobody`, which cannot enter pytest's 0700 folders.
    # (nginx takes one -g only: every extra global directive goes into it.)
    if os.geteuid() == 0:
        directives = f"user root; {directives}"
    extra = ["-g", directives.strip()] if directives.strip() else []
    return [
        NGINX,
        "-c",
        str(conf),
        "-p",
        str(conf.parent),
        "-e",
        str(conf.parent / "e.log"),
        *extra,
    ]


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    render = _renderer()
    conf = render.write(render.Loopback(tmp_path, _free_port(), "127.0.0.1:1", tmp_path / "media"))
    done = subprocess.run([*_nginx_args(conf), "-t"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


def test_rendering_changes_only_tagged_lines(tmp_path: Path) -> None:
    render = _renderer()
    original = CONFIG.read_text().splitlines()
    rendered = render.render(
        CONFIG.read_text(), render.Loopback(tmp_path, 8080, "127.0.0.1:9", tmp_path)
    ).splitlines()
    untagged = [line for line in original if "# loopback:" not in line]
    assert [line for line in rendered if line in untagged] == untagged
    assert len(rendered) == len(untagged) + sum("# loopback:" in x for x in original) - 1
    assert "app:8000" not in "\n".join(rendered) and "/var/" not in "\n".join(rendered)


def _gixy(path: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [str(GIXY), "--format", "json", str(path)], capture_output=True, text=True, timeout=120
    )
    findings: list[dict[str, Any]] = json.loads(done.stdout)
    return findings


def test_gixy_finds_nothing_medium_or_high() -> None:
    findings = _gixy(CONFIG)
    serious = [f for f in findings if f["severity"] in ("MEDIUM", "HIGH")]
    assert not serious, json.dumps(serious, indent=1)


def test_gixy_does_read_our_file(tmp_path: Path) -> None:
    """The same check flags a classic mistake planted in our config (so a pass means something)."""
    planted = CONFIG.read_text().replace(
        "        location / {",
        "        location /files {\n alias /srv/files/;\n }\n location / {",
        1,
    )
    (tmp_path / "nginx.conf").write_text(planted)
    assert {"alias_traversal"} <= {f["plugin"] for f in _gixy(tmp_path / "nginx.conf")}


class _StubApp(BaseHTTPRequestHandler):
    """Stands in for the app: records what reached it, answers like the app would."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, str, dict[str, str], int]]] = []
    edge_folder: ClassVar[Path]  # the running Nginx's folder (its logs)

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, ctype: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _record(self, size: int) -> None:
        self.seen.append((self.command, self.path, dict(self.headers.items()), size))

    def do_GET(self) -> None:
        self._record(0)
        if self.path.startswith("/media?t="):
            self._answer(200, b"", "video/mp4", X_Accel_Redirect="/_media/1/videos/clip.mp4")
        elif self.path.startswith("/ar-assets/"):
            # As the app: a hash in the path is cached for good; the precompressed copy the
            # request's Accept-Encoding names (the app's build wrote both).
            cache = IMMUTABLE if self.path.startswith("/ar-assets/1a2b/") else "no-cache"
            coding = self.headers.get("Accept-Encoding", "")
            body, extra = ASSET, {}
            if coding in ("br", "gzip"):
                body = ASSET_BR if coding == "br" else gzip.compress(ASSET)
                extra = {"Content_Encoding": coding}
            self._answer(200, body, "text/javascript", Cache_Control=cache,
                         Vary="Accept-Encoding", **extra)  # fmt: skip
        elif self.path.startswith("/api/"):
            self._answer(200, json.dumps({"items": ["x" * 50] * 200}).encode(), "application/json")
        elif self.path.startswith("/ar/"):  # the viewer page sets its own policy, as the app does
            page = b"<!doctype html><title>viewer</title>"
            self._answer(200, page, "text/html", Content_Security_Policy=VIEWER_CSP,
                         Referrer_Policy="no-referrer")  # fmt: skip
        else:
            self._answer(200, b"<!doctype html><title>docs</title>", "text/html")

    def do_POST(self) -> None:
        size = int(self.headers.get("Content-Length", "0"))
        received = 0
        while received < size:
            received += len(self.rfile.read(min(65536, size - received)))
        self._record(received)
        self._answer(200, json.dumps({"received": received}).encode(), "application/json")


@pytest.fixture(scope="module")
def edge() -> Iterator[tuple[str, type[_StubApp]]]:
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _StubApp)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    run = Path(tempfile.mkdtemp(prefix="vertex-ar-nginx-"))
    _StubApp.edge_folder = run
    media = run / "media"
    (media / "1" / "videos").mkdir(parents=True)
    (media / "1" / "videos" / "clip.mp4").write_bytes(VIDEO)
    render = _renderer()
    port = _free_port()
    app = f"127.0.0.1:{upstream.server_address[1]}"
    conf = render.write(render.Loopback(run, port, app, media))
    nginx = subprocess.Popen(_nginx_args(conf, "daemon off;"))
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.TransportError:
                assert nginx.poll() is None, (run / "e.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield base, _StubApp
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
        upstream.shutdown()
        shutil.rmtree(run, ignore_errors=True)


SECURITY_HEADERS = ("x-content-type-options", "x-frame-options", "referrer-policy",
                    "permissions-policy", "content-security-policy",
                    "strict-transport-security")  # fmt: skip


def test_security_headers_on_every_answer(edge: tuple[str, type[_StubApp]]) -> None:
    base, _ = edge
    for path in ("/ar/abc123", "/api/companies", "/health", "/metrics", "/_media/1/videos/x"):
        response = httpx.get(base + path)
        for header in SECURITY_HEADERS:
            values = response.headers.get_list(header)
            assert len(values) == 1, (path, response.status_code, header, values)


def test_the_apps_own_policy_wins(edge: tuple[str, type[_StubApp]]) -> None:
    base, _ = edge
    viewer = httpx.get(f"{base}/ar/abc123").headers
    assert viewer.get_list("content-security-policy") == [VIEWER_CSP]  # nonce kept, no second
    assert viewer.get_list("referrer-policy") == ["no-referrer"]
    api = httpx.get(f"{base}/api/companies").headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in api.split("; ")}
    assert {"blob:", "data:"} <= set(directives["worker-src"])  # MindAR's workers
    assert "'unsafe-eval'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "camera=(self)" in httpx.get(f"{base}/api/x").headers["permissions-policy"]
    assert "https:" not in httpx.get(f"{base}/docs").headers["content-security-policy"]  # no CDN


def test_health_and_metrics_stay_at_the_edge(edge: tuple[str, type[_StubApp]]) -> None:
    base, stub = edge
    before = len(stub.seen)
    health = httpx.get(f"{base}/health")
    assert (health.status_code, health.text) == (200, "ok\n")
    assert httpx.get(f"{base}/metrics").status_code == 404
    assert len(stub.seen) == before


def test_proxy_passes_client_and_request_id(edge: tuple[str, type[_StubApp]]) -> None:
    base, stub = edge
    response = httpx.get(f"{base}/api/companies/7")
    _, path, headers, _ = stub.seen[-1]
    assert path == "/api/companies/7"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["X-Request-ID"] == response.headers["x-request-id"]
    # A client's own X-Forwarded-For is replaced, not extended: no one picks the address the
    # app's per-IP limits count.
    httpx.get(f"{base}/api/companies/7", headers={"X-Forwarded-For": "203.0.113.66"})
    assert stub.seen[-1][2]["X-Forwarded-For"] == "127.0.0.1"


def test_media_is_sent_by_nginx_with_ranges(edge: tuple[str, type[_StubApp]]) -> None:
    base, _ = edge
    whole = httpx.get(f"{base}/media?t=signed")
    assert whole.status_code == 200 and whole.content == VIDEO
    part = httpx.get(f"{base}/media?t=signed", headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(VIDEO)}"
    assert part.content == VIDEO[1000:2000]
    assert httpx.get(f"{base}/_media/1/videos/clip.mp4").status_code == 404  # internal only


def test_viewer_assets_are_cached_as_the_app_allows(edge: tuple[str, type[_StubApp]]) -> None:
    base, stub = edge

    def hits(path: str) -> int:
        return sum(1 for s in stub.seen if s[1] == path)

    versioned, plain = "/ar-assets/1a2b/viewer.js", "/ar-assets/0000/viewer.js"
    first = httpx.get(base + versioned)
    second = httpx.get(base + versioned)
    assert first.headers.get_list("cache-control") == [IMMUTABLE]
    assert second.headers.get_list("cache-control") == [IMMUTABLE]
    assert hits(versioned) == 1  # the second came from Nginx's cache
    httpx.get(base + plain)
    httpx.get(base + plain)
    assert hits(plain) == 2  # `no-cache` from the app: asked every time


def test_viewer_assets_keep_the_apps_precompressed_copy(edge: tuple[str, type[_StubApp]]) -> None:
    """Brotli where the browser takes it, else gzip, else the file; one cached copy per coding,
    however a browser spells its Accept-Encoding, and never compressed twice."""
    base, stub = edge
    path = "/ar-assets/1a2b/precompressed.js"

    def get(accept: str) -> tuple[httpx.Response, bytes]:
        with httpx.Client() as client:
            request = client.build_request("GET", base + path, headers={"Accept-Encoding": accept})
            response = client.send(request, stream=True)
            return response, b"".join(response.iter_raw())

    chrome, chrome_body = get("gzip, deflate, br, zstd")
    safari, safari_body = get("br, gzip, deflate")
    old, old_body = get("gzip, deflate")
    plain, plain_body = get("identity")
    assert chrome.headers.get_list("content-encoding") == ["br"]
    assert brotli.decompress(chrome_body) == ASSET
    assert safari.headers["content-encoding"] == "br" and safari_body == chrome_body
    assert old.headers.get_list("content-encoding") == ["gzip"]
    assert gzip.decompress(old_body) == ASSET
    assert "content-encoding" not in plain.headers and plain_body == ASSET
    for response in (chrome, safari, old, plain):
        assert "Accept-Encoding" in response.headers["vary"]
        assert response.headers["cache-control"] == IMMUTABLE
    asked = [s[2].get("Accept-Encoding") for s in stub.seen if s[1] == path]
    assert asked == ["br", "gzip", None]  # Safari's br came from Nginx's cache


def test_gzip_for_json(edge: tuple[str, type[_StubApp]]) -> None:
    base, _ = edge
    with httpx.Client() as client:
        raw = client.build_request("GET", f"{base}/api/list", headers={"Accept-Encoding": "gzip"})
        response = client.send(raw, stream=True)
        body = b"".join(response.iter_raw())
    assert response.headers["content-encoding"] == "gzip"
    assert json.loads(gzip.decompress(body))["items"]


def test_uploads_take_big_bodies_other_endpoints_do_not(edge: tuple[str, type[_StubApp]]) -> None:
    base, _ = edge
    body = b"v" * (5 * 1024 * 1024)
    upload = httpx.post(f"{base}/api/ar-content/12/videos", content=body, timeout=60)
    assert upload.status_code == 200 and upload.json() == {"received": len(body)}
    assert httpx.post(f"{base}/api/companies", content=body, timeout=60).status_code == 413


def test_login_is_rate_limited(edge: tuple[str, type[_StubApp]]) -> None:
    base, _ = edge
    codes = [httpx.post(f"{base}/api/auth/login", json={}).status_code for _ in range(10)]
    assert codes[:6] == [200] * 6  # one plus a burst of five
    assert 429 in codes[6:]


def test_signed_links_never_reach_the_access_log(edge: tuple[str, type[_StubApp]]) -> None:
    base, stub = edge
    token = "SignedMediaToken0123456789"
    assert httpx.get(f"{base}/media?t={token}").status_code == 200
    assert httpx.get(f"{base}/api/ar/x/active-video?t={token}&other=1").status_code == 200
    log = (stub.edge_folder / "access.log").read_text()
    assert "/media" in log
    assert token not in log
