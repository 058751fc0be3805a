"""Signed media links: HTTP Range (206, suffix ranges, 416), expiry and tampering."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
import pytest

from tests.support.content import ready_content, storage_path
from tests.support.tenants import Tenant
from vertex_ar.viewer.media import Unsatisfiable, parse_range
from vertex_ar.viewer.signing import MediaGrant, expiry_for, sign, verify


@pytest.fixture
async def video(app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]) -> Any:
    content = await ready_content(app, tenant_a, clips)
    body = (await client.get(f"/api/ar/{content['unique_id']}/active-video")).json()
    return body["url"], clips[0]


async def test_range_requests(client: httpx.AsyncClient, video: tuple[str, bytes]) -> None:
    url, data = video
    size = len(data)

    whole = await client.get(url)
    assert whole.status_code == 200
    assert whole.headers["accept-ranges"] == "bytes"
    assert whole.headers["content-length"] == str(size)
    assert whole.content == data

    cases = {
        "bytes=0-99": (0, 99),
        "bytes=100-": (100, size - 1),
        "bytes=-50": (size - 50, size - 1),
        f"bytes=-{size + 10}": (0, size - 1),  # longer suffix than the file: all of it
        f"bytes={size - 10}-{size + 1000}": (size - 10, size - 1),  # end clipped
        f"bytes={size - 1}-{size - 1}": (size - 1, size - 1),
    }
    for header, (start, end) in cases.items():
        part = await client.get(url, headers={"Range": header})
        assert part.status_code == 206, header
        assert part.headers["content-range"] == f"bytes {start}-{end}/{size}", header
        assert part.headers["content-length"] == str(end - start + 1)
        assert part.content == data[start : end + 1], header

    for header in (f"bytes={size}-", f"bytes={size + 5}-{size + 9}", "bytes=-0"):
        refused = await client.get(url, headers={"Range": header})
        assert refused.status_code == 416, header
        assert refused.headers["content-range"] == f"bytes */{size}"
        assert refused.json()["error"]["code"] == "range_not_satisfiable"

    # Malformed, reversed and multi-range requests may be answered with the whole file.
    for header in ("bytes=10-5", "items=0-5", "bytes=0-1,5-6", "bytes=abc"):
        full = await client.get(url, headers={"Range": header})
        assert full.status_code == 200, header
        assert full.content == data

    etag = whole.headers["etag"]
    same = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    assert same.status_code == 206
    changed = await client.get(url, headers={"Range": "bytes=0-9", "If-Range": '"other"'})
    assert changed.status_code == 200 and changed.content == data

    head = await client.head(url, headers={"Range": "bytes=0-9"})
    assert head.status_code == 206
    assert head.headers["content-length"] == "10"
    assert head.content == b""


async def test_links_expire(app: Any, client: httpx.AsyncClient, video: tuple[str, bytes]) -> None:
    url, _ = video
    grant = verify(app.state.settings.secret_key, url.split("t=", 1)[1])
    secret = app.state.settings.secret_key
    expired = sign(secret, MediaGrant(grant.key, grant.mime, int(time.time()) - 1))
    response = await client.get(f"/media?t={expired}")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "link_expired"
    fresh = sign(secret, MediaGrant(grant.key, grant.mime, int(time.time()) + 30))
    assert (await client.get(f"/media?t={fresh}")).status_code == 200
    cache = (await client.get(f"/media?t={fresh}")).headers["cache-control"]
    assert cache.startswith("private, max-age=") and int(cache.split("=")[1]) <= 30


async def test_tampered_links_are_refused(
    app: Any, client: httpx.AsyncClient, video: tuple[str, bytes]
) -> None:
    url, _ = video
    token = url.split("t=", 1)[1]
    body, signature = token.split(".")
    key, mime, expires = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))

    def encode(payload: list[Any]) -> str:
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    other_key = key.rsplit("/", 1)[0] + "/somebody-elses.mp4"
    forged = [
        f"{encode([other_key, mime, expires])}.{signature}",  # another object
        f"{encode([key, mime, expires + 86400 * 365])}.{signature}",  # a longer life
        f"{encode([key, 'text/html', expires])}.{signature}",  # another type
        f"{body}.{signature[:-2]}AA",
        f"{body}.",
        "not-a-token",
        sign("another-secret-of-the-same-length-or-not", MediaGrant(key, mime, expires)),
    ]
    for token in forged:
        response = await client.get("/media", params={"t": token})
        assert response.status_code == 403, token
        assert response.json()["error"]["code"] == "invalid_link"
    # Even a correctly signed key must fit the storage layout (no traversal by a signer bug).
    secret = app.state.settings.secret_key
    for bad_key in ("../../etc/passwd", "1/videos/../../../x.mp4", "/etc/passwd"):
        bad = sign(secret, MediaGrant(bad_key, mime, int(time.time()) + 60))
        assert (await client.get("/media", params={"t": bad})).status_code == 403
    assert (await client.get("/media")).status_code == 422


async def test_deleted_file_is_404(
    app: Any, client: httpx.AsyncClient, video: tuple[str, bytes]
) -> None:
    url, _ = video
    grant = verify(app.state.settings.secret_key, url.split("t=", 1)[1])
    storage_path(app, grant.key).unlink()
    response = await client.get(url)
    assert response.status_code == 404


def test_parse_range_edges() -> None:
    assert parse_range(None, 10) is None
    assert parse_range("bytes=0-0", 10) == (0, 0)
    assert parse_range(" bytes=2-4 ", 10) == (2, 4)
    assert parse_range("bytes=-", 10) is None
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=0-", 0)  # nothing can be satisfied in an empty file
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-5", 0)


def test_expiry_is_quantised_and_never_short() -> None:
    for now in (1_000_000.0, 1_000_899.0, 1_000_900.0, 1_234_567.5):
        expires = expiry_for(3600, now)
        assert expires % 900 == 0
        assert now + 3600 <= expires <= now + 3600 + 900
    assert expiry_for(3600, 1_000_000.0) == expiry_for(3600, 1_000_001.0)
