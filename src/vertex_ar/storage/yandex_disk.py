"""Yandex Disk through its REST API (https://yandex.ru/dev/disk-api/doc/), with httpx.

Endpoints used: `GET /v1/disk` (quota), `GET|PUT|DELETE /v1/disk/resources` (meta and size,
make folder, delete), `GET /v1/disk/resources/upload` and `/download` (a one-off href that the
bytes are then PUT to or GET from), and the OAuth server's `/token` (code exchange, refresh).
The OAuth token goes to the API only, never to the upload/download hosts.
"""

from __future__ import annotations

import posixpath
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import anyio
import certifi
import httpx
import structlog

from vertex_ar.storage.base import (
    ObjectInfo,
    StorageError,
    Usage,
    check_key,
    company_folders,
    probe_roundtrip,
    read_file_chunks,
)

log = structlog.get_logger(__name__)


@cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every client: building it (loading the CA bundle) takes ~0.1 s."""
    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str | None


TokenSaver = Callable[[OAuthTokens], Awaitable[None]]


class YandexOAuth:
    """The OAuth server: authorize URL, code exchange, refresh (the platform's registered app)."""

    def __init__(
        self, base_url: str, *, client_id: str, client_secret: str, timeout_seconds: float
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout_seconds

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = httpx.QueryParams(
            response_type="code", client_id=self.client_id, redirect_uri=redirect_uri, state=state
        )
        return f"{self.base_url}/authorize?{query}"

    async def exchange_code(self, code: str) -> OAuthTokens:
        return await self._token({"grant_type": "authorization_code", "code": code})

    async def refresh(self, refresh_token: str) -> OAuthTokens:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def _token(self, form: dict[str, str]) -> OAuthTokens:
        form = {**form, "client_id": self.client_id, "client_secret": self.client_secret}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, verify=_tls()) as http:
                response = await http.post(f"{self.base_url}/token", data=form)
        except httpx.HTTPError as exc:
            raise StorageError(f"Yandex OAuth unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise StorageError(f"Yandex OAuth refused: {_api_error(response)}")
        body = response.json()
        return OAuthTokens(body["access_token"], body.get("refresh_token"))


def _api_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    error = body.get("error", "") if isinstance(body, dict) else ""
    detail = (body.get("description") or body.get("error_description") or "") if error else ""
    return f"HTTP {response.status_code} {error} {detail}".strip()


class YandexDiskStorage:
    def __init__(
        self,
        *,
        token: str,
        refresh_token: str | None = None,
        base_folder: str,
        api_url: str,
        oauth: YandexOAuth | None,
        timeout_seconds: float,
        save_tokens: TokenSaver | None = None,
    ) -> None:
        self.base_folder = base_folder
        self.api_url = api_url.rstrip("/")
        self.oauth = oauth
        self.timeout = timeout_seconds
        self.save_tokens = save_tokens
        self._token = token
        self._refresh_token = refresh_token

    def path_of(self, key: str) -> str:
        return f"{self.base_folder}/{check_key(key)}"

    def _client(self) -> httpx.AsyncClient:
        # A client per operation: storages outlive event loops (each worker task runs its own).
        return httpx.AsyncClient(timeout=self.timeout, follow_redirects=True, verify=_tls())

    async def _api(
        self, http: httpx.AsyncClient, method: str, endpoint: str, **params: Any
    ) -> httpx.Response:
        """One API call; on a 401, refresh the token (given a refresh token) and retry once."""
        for attempt in range(2):
            try:
                response = await http.request(
                    method,
                    f"{self.api_url}{endpoint}",
                    params=params,
                    headers={"Authorization": f"OAuth {self._token}", "Accept": "application/json"},
                )
            except httpx.HTTPError as exc:
                raise StorageError(f"Yandex Disk unreachable: {exc.__class__.__name__}") from exc
            if response.status_code == 401 and attempt == 0 and await self._refresh():
                continue
            if response.status_code >= 500 or response.status_code in (401, 403, 429, 507):
                raise StorageError(f"Yandex Disk refused the request: {_api_error(response)}")
            return response
        raise AssertionError("unreachable")

    async def _refresh(self) -> bool:
        if not (self._refresh_token and self.oauth and self.oauth.configured):
            return False
        tokens = await self.oauth.refresh(self._refresh_token)
        self._token = tokens.access_token
        self._refresh_token = tokens.refresh_token or self._refresh_token
        if self.save_tokens is not None:
            await self.save_tokens(OAuthTokens(self._token, self._refresh_token))
        log.info("yandex_disk.token_refreshed", folder=self.base_folder)
        return True

    async def _mkdirs(self, http: httpx.AsyncClient, folder: str) -> None:
        """Create `folder` and its missing parents (409 means it exists already)."""
        root, _, rest = folder.partition(":/")
        current = f"{root}:"
        for part in [p for p in rest.split("/") if p]:
            current = f"{current}/{part}"
            response = await self._api(http, "PUT", "/v1/disk/resources", path=current)
            if response.status_code not in (201, 409):
                raise StorageError(f"Yandex Disk folder not created: {_api_error(response)}")

    async def _link(self, http: httpx.AsyncClient, kind: str, path: str) -> str:
        params: dict[str, Any] = {"path": path}
        if kind == "upload":
            params["overwrite"] = "true"
        response = await self._api(http, "GET", f"/v1/disk/resources/{kind}", **params)
        if response.status_code == 409 and kind == "upload":
            await self._mkdirs(http, posixpath.dirname(path))
            response = await self._api(http, "GET", f"/v1/disk/resources/{kind}", **params)
        if response.status_code == 404:
            raise StorageError(f"object not found: {path}")
        if response.status_code != 200:
            raise StorageError(f"Yandex Disk {kind} link refused: {_api_error(response)}")
        href: str = response.json()["href"]
        return href

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes]) -> ObjectInfo:
        path = self.path_of(key)
        size = 0

        async def counted() -> AsyncIterator[bytes]:
            nonlocal size
            async for chunk in chunks:
                size += len(chunk)
                yield chunk

        async with self._client() as http:
            href = await self._link(http, "upload", path)
            try:
                response = await http.put(href, content=counted())
            except httpx.HTTPError as exc:
                raise StorageError(f"Yandex Disk upload failed: {exc.__class__.__name__}") from exc
            if response.status_code not in (201, 202):
                raise StorageError(f"Yandex Disk upload refused: {_api_error(response)}")
        return ObjectInfo(key, size)

    async def put_file(self, key: str, path: Path) -> ObjectInfo:
        return await self.put_stream(key, read_file_chunks(path))

    async def get_stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Bytes `start..end` inclusive (HTTP Range semantics); `end=None` reads to the end."""
        headers = {}
        if start > 0 or end is not None:
            headers["Range"] = f"bytes={start}-{'' if end is None else end}"
        async with self._client() as http:
            href = await self._link(http, "download", self.path_of(key))
            try:
                async with http.stream("GET", href, headers=headers) as response:
                    if response.status_code not in (200, 206):
                        await response.aread()
                        raise StorageError(f"Yandex Disk download refused: {_api_error(response)}")
                    # A server that ignores Range answers 200 with everything: cut it here.
                    skip = start if response.status_code == 200 else 0
                    left = None if end is None else end - start + 1
                    async for chunk in response.aiter_bytes():
                        if skip:
                            dropped = min(skip, len(chunk))
                            chunk, skip = chunk[dropped:], skip - dropped
                        if left is not None:
                            chunk = chunk[:left]
                            left -= len(chunk)
                        if chunk:
                            yield chunk
                        if left == 0:
                            break
            except httpx.HTTPError as exc:
                raise StorageError(
                    f"Yandex Disk download failed: {exc.__class__.__name__}"
                ) from exc

    async def download_to(self, key: str, path: Path) -> None:
        async with await anyio.open_file(path, "wb") as out:
            async for chunk in self.get_stream(key):
                await out.write(chunk)

    async def _meta(self, key: str) -> dict[str, Any] | None:
        async with self._client() as http:
            response = await self._api(
                http, "GET", "/v1/disk/resources", path=self.path_of(key), fields="type,size"
            )
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise StorageError(f"Yandex Disk meta refused: {_api_error(response)}")
        meta: dict[str, Any] = response.json()
        return meta if meta.get("type") == "file" else None

    async def size(self, key: str) -> int:
        meta = await self._meta(key)
        if meta is None:
            raise StorageError(f"object not found: {key}")
        return int(meta["size"])

    async def exists(self, key: str) -> bool:
        return await self._meta(key) is not None

    async def delete(self, key: str) -> None:
        async with self._client() as http:
            response = await self._api(
                http, "DELETE", "/v1/disk/resources", path=self.path_of(key), permanently="true"
            )
        if response.status_code not in (202, 204, 404):
            raise StorageError(f"Yandex Disk delete refused: {_api_error(response)}")

    async def provision(self, company_id: int) -> None:
        async with self._client() as http:
            await self._mkdirs(http, f"{self.base_folder}/{company_id}")
            for folder in company_folders(company_id):
                path = f"{self.base_folder}/{folder}"
                response = await self._api(http, "PUT", "/v1/disk/resources", path=path)
                if response.status_code not in (201, 409):
                    raise StorageError(f"Yandex Disk folder not created: {_api_error(response)}")

    async def usage(self) -> Usage:
        async with self._client() as http:
            response = await self._api(http, "GET", "/v1/disk")
        if response.status_code != 200:
            raise StorageError(f"Yandex Disk quota refused: {_api_error(response)}")
        body = response.json()
        return Usage(int(body["used_space"]), int(body["total_space"]))

    def local_path(self, key: str) -> Path | None:
        del key  # objects live on Yandex's servers
        return None

    def delivery_url(self, key: str, expires_seconds: int) -> str | None:
        # Download hrefs need an API call each and carry no CORS headers the viewer can rely on
        # for video textures, so the app proxies Yandex Disk media itself.
        del key, expires_seconds
        return None

    async def check(self) -> None:
        await probe_roundtrip(self)
