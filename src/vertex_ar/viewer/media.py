"""Media links for the viewer and the byte-range responses behind them."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

from fastapi.responses import Response, StreamingResponse

from vertex_ar.connections.routing import ManagedStorage
from vertex_ar.core.errors import NotFound, ServiceUnavailable, error_body
from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import Backend, StorageError
from vertex_ar.viewer.signing import MediaGrant, expiry_for, sign

# The token rides in the query string: request logs keep paths only, never query strings.
MEDIA_PATH = "/media?t="
# Nginx's internal location serving STORAGE_ROOT (deploy/nginx/nginx.conf), for X-Accel-Redirect.
ACCEL_PREFIX = "/_media/"


class MediaLinks:
    """The one place that turns a stored object into a URL a viewer may fetch.

    A backend that can deliver directly (S3: presigned or public URL) gives its own URL; the
    others are served by this app behind a signed, expiring `/media?t={token}` link. Every link
    of one answer shares one expiry (a step of `expiry_for`, so answers within a step agree).
    """

    def __init__(self, settings: Settings, storage: ManagedStorage, now: float) -> None:
        self.secret_key = settings.secret_key
        self.storage = storage
        self.now = now
        self.expires = expiry_for(settings.media_url_ttl_seconds, now)

    def url(self, key: str, mime: str) -> str:
        direct = self.storage.delivery_url(key, self.expires - int(self.now))
        if direct:
            return direct
        return MEDIA_PATH + sign(self.secret_key, MediaGrant(key, mime, self.expires))


class Unsatisfiable(Exception):
    """The Range header asks only for bytes past the end (HTTP 416)."""


_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


# Offsets longer than this are past the end of any object; Python would refuse to even parse
# one of thousands of digits.
_MAX_OFFSET_DIGITS = 18
_BEYOND_ANY_OBJECT = 10**_MAX_OFFSET_DIGITS


def _offset(digits: str) -> int | None:
    if not digits:
        return None
    return int(digits) if len(digits) <= _MAX_OFFSET_DIGITS else _BEYOND_ANY_OBJECT


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range to send, or None for the whole object (RFC 9110 §14).

    Malformed headers and multi-range requests are ignored (a full 200 answer is allowed);
    a syntactically valid range that selects nothing raises Unsatisfiable.
    """
    if header is None:
        return None
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        return None
    start, last = (_offset(group) for group in match.groups())
    if start is None:
        if last is None:
            return None
        if last == 0 or size == 0:  # suffix range: the last N bytes
            raise Unsatisfiable
        return max(0, size - last), size - 1
    end = last if last is not None else size - 1
    if last is not None and end < start:
        return None  # invalid range-spec: ignore the header
    if start >= size:
        raise Unsatisfiable
    return start, min(end, size - 1)


@dataclass(frozen=True)
class MediaObject:
    storage: Backend
    grant: MediaGrant
    size: int

    @property
    def etag(self) -> str:
        # Keys are random and never rewritten, so key + size identifies the bytes.
        return f'"{self.grant.key.rsplit("/", 1)[-1]}-{self.size}"'


async def open_media(storage: ManagedStorage, grant: MediaGrant) -> MediaObject:
    """The object behind a grant in its company's ``storage``: one size lookup (a stat on disk);
    only when that fails, whether it is gone (404) or the storage is (503)."""
    try:
        size = await storage.size(grant.key)
    except StorageError as exc:
        try:
            gone = not await storage.exists(grant.key)
        except StorageError:
            gone = False
        if gone:
            raise NotFound("this media file no longer exists") from exc
        raise ServiceUnavailable(f"media storage is unavailable: {exc}") from exc
    return MediaObject(storage, grant, size)


def range_response(
    media: MediaObject,
    range_header: str | None,
    if_range: str | None,
    *,
    head: bool,
    now: float | None = None,
) -> Response:
    """200 with the whole object, 206 with one range, or 416; HEAD gets the headers only."""
    remaining = max(0, media.grant.expires - int(time.time() if now is None else now))
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": media.etag,
        # Private: the URL is a capability. The browser may reuse it while it is valid.
        "Cache-Control": f"private, max-age={remaining}",
        "X-Content-Type-Options": "nosniff",
    }
    if if_range is not None and if_range.strip() != media.etag:
        range_header = None  # the client's partial copy is of other bytes: send everything
    try:
        byte_range = parse_range(range_header, media.size)
    except Unsatisfiable:
        headers["Content-Range"] = f"bytes */{media.size}"
        return Response(
            content=json.dumps(error_body("range_not_satisfiable", "the requested range is empty")),
            status_code=416,
            headers=headers,
            media_type="application/json",
        )
    status = 200
    start, end = 0, media.size - 1
    if byte_range is not None:
        start, end = byte_range
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{media.size}"
    headers["Content-Length"] = str(max(0, end - start + 1))
    if head or media.size == 0:
        return Response(status_code=status, headers=headers, media_type=media.grant.mime)
    return StreamingResponse(
        media.storage.get_stream(media.grant.key, start, end),
        status_code=status,
        headers=headers,
        media_type=media.grant.mime,
    )


def accel_response(
    media: MediaObject, settings: Settings, *, now: float | None = None
) -> Response | None:
    """With MEDIA_X_ACCEL: an empty answer telling Nginx which file to send; None when it can't.

    Nginx serves only STORAGE_ROOT (the platform's local disk) at /_media/, so objects of other
    backends, local connections with a folder of their own included, stay with range_response.
    Nginx keeps this Content-Type and Cache-Control and answers Range and If-Range itself.
    """
    if not settings.media_x_accel:
        return None
    key = media.grant.key
    if media.storage.local_path(key) != settings.storage_root.resolve() / key:
        return None
    remaining = max(0, media.grant.expires - int(time.time() if now is None else now))
    headers = {
        "X-Accel-Redirect": ACCEL_PREFIX + key,  # keys are URL-safe (check_key)
        "Cache-Control": f"private, max-age={remaining}",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(status_code=200, headers=headers, media_type=media.grant.mime)
