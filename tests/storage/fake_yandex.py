"""A loopback stand-in for the Yandex Disk REST API and its OAuth server (the parts the code uses).

Behaviour follows the documentation: `OAuth <token>` auth, folders that must exist before an
upload (409 DiskPathDoesntExistsError), one-off upload/download hrefs on another path that take
no OAuth header, Range on downloads, `/token` for code exchange and refresh.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"


def _error(status: int, error: str, description: str = "") -> JSONResponse:
    body = {"error": error, "description": description, "message": description}
    return JSONResponse(body, status)


def _parent(path: str) -> str:
    root, _, rest = path.partition(":/")
    head = rest.rsplit("/", 1)[0] if "/" in rest else ""
    return f"{root}:/{head}" if head else f"{root}:"


@dataclass
class FakeYandexDisk:
    files: dict[str, bytes] = field(default_factory=dict)
    folders: set[str] = field(default_factory=lambda: {"disk:", "app:"})
    tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)
    # Headers the upload/download hosts received (to prove the OAuth token never goes there).
    transfer_headers: list[dict[str, str]] = field(default_factory=list)
    down: bool = False
    base_url: str = ""

    def issue_tokens(self) -> tuple[str, str]:
        access, refresh = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        self.tokens.add(access)
        self.refresh_tokens.add(refresh)
        return access, refresh

    def under(self, folder: str) -> dict[str, bytes]:
        return {p: b for p, b in self.files.items() if p.startswith(folder + "/")}

    # --- API -----------------------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        return header.startswith("OAuth ") and header[6:] in self.tokens

    async def api(self, request: Request) -> Response:
        if self.down:
            return _error(503, "ServiceUnavailableError", "down for the test")
        if not self._authorized(request):
            return _error(401, "UnauthorizedError", "Unauthorized")
        route = request.url.path
        path = request.query_params.get("path", "")
        if route == "/v1/disk":
            used = sum(len(b) for b in self.files.values())
            return JSONResponse({"total_space": 10 * 1024**3, "used_space": used})
        if route == "/v1/disk/resources":
            return self._resources(request.method, path)
        if route in ("/v1/disk/resources/upload", "/v1/disk/resources/download"):
            if route.endswith("upload"):
                if _parent(path) not in self.folders:
                    return _error(409, "DiskPathDoesntExistsError", "parent folder missing")
                if path in self.files and request.query_params.get("overwrite") != "true":
                    return _error(409, "DiskResourceAlreadyExistsError", "exists")
                kind = "upload"
            else:
                if path not in self.files:
                    return _error(404, "DiskNotFoundError", "Resource not found.")
                kind = "download"
            link = secrets.token_urlsafe(12)
            self.links[link] = path
            href = f"{self.base_url}/{kind}-target/{link}"
            method = "PUT" if kind == "upload" else "GET"
            return JSONResponse({"href": href, "method": method, "templated": False})
        return _error(404, "NotFound", route)

    def _resources(self, method: str, path: str) -> Response:
        if method == "GET":
            if path in self.files:
                return JSONResponse({"type": "file", "path": path, "size": len(self.files[path])})
            if path in self.folders:
                return JSONResponse({"type": "dir", "path": path})
            return _error(404, "DiskNotFoundError", "Resource not found.")
        if method == "PUT":
            if path in self.folders or path in self.files:
                return _error(409, "DiskPathPointsToExistentDirectoryError", "exists")
            if _parent(path) not in self.folders:
                return _error(409, "DiskPathDoesntExistsError", "parent folder missing")
            self.folders.add(path)
            return JSONResponse({"href": f"{self.base_url}/v1/disk/resources?path={path}"}, 201)
        if method == "DELETE":
            if path in self.files:
                del self.files[path]
                return Response(status_code=204)
            if path in self.folders:
                inside = path + "/"
                self.folders = {f for f in self.folders if f != path and not f.startswith(inside)}
                for name in list(self.under(path)):
                    del self.files[name]
                return Response(status_code=204)
            return _error(404, "DiskNotFoundError", "Resource not found.")
        return _error(405, "MethodNotAllowed", method)

    # --- upload / download hosts ------------------------------------------------------------
    async def upload_target(self, request: Request) -> Response:
        self.transfer_headers.append(dict(request.headers))
        path = self.links.pop(request.path_params["link"], None)
        if path is None:
            return Response(status_code=404)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
        self.files[path] = bytes(body)  # stored only once complete, as the real uploader does
        return Response(status_code=201)

    async def download_target(self, request: Request) -> Response:
        self.transfer_headers.append(dict(request.headers))
        path = self.links.get(request.path_params["link"])
        if path is None or path not in self.files:
            return Response(status_code=404)
        data = self.files[path]
        header = request.headers.get("range")
        if not header:
            return Response(data, 200, headers={"Accept-Ranges": "bytes"})
        first, _, last = header.removeprefix("bytes=").partition("-")
        start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
        return Response(
            data[start : end + 1],
            206,
            headers={"Content-Range": f"bytes {start}-{end}/{len(data)}", "Accept-Ranges": "bytes"},
        )

    # --- OAuth server ----------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        """Auto-approves: redirects back to redirect_uri with a code and the state."""
        query = request.query_params
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return _error(400, "invalid_request", "bad client or response type")
        code = secrets.token_urlsafe(8)
        self.codes.add(code)
        return RedirectResponse(f"{query['redirect_uri']}?code={code}&state={query['state']}")

    async def token(self, request: Request) -> Response:
        form = await request.form()
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse({"error": "invalid_client"}, 401)
        grant = form.get("grant_type")
        if grant == "authorization_code" and form.get("code") in self.codes:
            self.codes.discard(str(form["code"]))
        elif grant == "refresh_token" and form.get("refresh_token") in self.refresh_tokens:
            self.refresh_tokens.discard(str(form["refresh_token"]))
        else:
            return JSONResponse({"error": "invalid_grant"}, 400)
        access, refresh = self.issue_tokens()
        return JSONResponse(
            {"access_token": access, "refresh_token": refresh, "expires_in": 31536000,
             "token_type": "bearer"}
        )  # fmt: skip

    def app(self) -> Starlette:
        api_methods = ["GET", "PUT", "DELETE"]
        return Starlette(
            routes=[
                Route("/v1/disk", self.api, methods=api_methods),
                Route("/v1/disk/resources", self.api, methods=api_methods),
                Route("/v1/disk/resources/upload", self.api, methods=api_methods),
                Route("/v1/disk/resources/download", self.api, methods=api_methods),
                Route("/upload-target/{link}", self.upload_target, methods=["PUT"]),
                Route("/download-target/{link}", self.download_target, methods=["GET"]),
                Route("/authorize", self.authorize, methods=["GET"]),
                Route("/token", self.token, methods=["POST"]),
            ]
        )


class ServerThread:
    """An ASGI app served by uvicorn on a free loopback port, in a daemon thread."""

    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
