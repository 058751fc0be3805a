"""One tenant's uploads must not hurt the others: a stalled upload holds no database connection
and is cut off after a deadline; limits are checked while the body arrives, before the work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support import media
from tests.support.backends import Backend
from tests.support.tenants import TENANT_ADMIN_PASSWORD, Tenant
from vertex_ar.content.service import MAX_VIDEOS_PER_UPLOAD
from vertex_ar.core.settings import Settings

BOUNDARY = "vertexboundary"
# The PostgreSQL pool of one web process: pool_size 10 + max_overflow 10.
POOL_CAPACITY = 20


def part_head(field: str, filename: str | None = None, mime: str = "video/mp4") -> bytes:
    disposition = f'form-data; name="{field}"'
    if filename is not None:
        disposition += f'; filename="{filename}"\r\nContent-Type: {mime}'
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()


def text_part(field: str, value: str) -> bytes:
    return part_head(field) + value.encode() + b"\r\n"


def file_part(field: str, filename: str, data: bytes, mime: str) -> bytes:
    return part_head(field, filename, mime) + data + b"\r\n"


async def stalled_body(first: bytes, release: asyncio.Event) -> AsyncIterator[bytes]:
    """Send `first`, then nothing until `release` is set (a client on a dead connection)."""
    yield first
    await release.wait()


def upload_headers(tenant: Tenant) -> dict[str, str]:
    return {
        **tenant.admin.headers,
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
    }


def portrait_part() -> bytes:
    return file_part("portrait", "poster.png", media.textured_image(), "image/png")


async def test_stalled_uploads_hold_no_database_connection(
    backend: Backend, client: httpx.AsyncClient, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """More stalled uploads than the pool has connections; another tenant still logs in."""
    release = asyncio.Event()
    first = text_part("project_id", str(tenant_a.project_id)) + part_head("video", "a.mp4") + b"x"
    uploads = [
        asyncio.create_task(
            client.post(
                "/api/ar-content",
                content=stalled_body(first, release),
                headers=upload_headers(tenant_a),
            )
        )
        for _ in range(POOL_CAPACITY + 2)
    ]
    await asyncio.sleep(1.0)  # every upload is past authentication and waiting for its body
    try:
        email = (await tenant_b.admin.get("/api/auth/me")).json()["email"]
        login = await asyncio.wait_for(
            client.post(
                "/api/auth/login", json={"email": email, "password": TENANT_ADMIN_PASSWORD}
            ),
            timeout=10,
        )
        assert login.status_code == 200, login.text
        listing = await asyncio.wait_for(tenant_b.admin.get("/api/ar-content"), timeout=10)
        assert listing.status_code == 200
    finally:
        release.set()
        answers = await asyncio.gather(*uploads)
    assert {a.status_code for a in answers} == {422}  # the bodies ended mid-part


@pytest.fixture
def short_upload_deadline(settings: Settings) -> Settings:
    settings.upload_idle_seconds = 1.0
    return settings


async def test_an_upload_that_stops_sending_is_cut_off(
    short_upload_deadline: Settings, client: httpx.AsyncClient, tenant_a: Tenant
) -> None:
    release = asyncio.Event()
    first = portrait_part() + part_head("video", "a.mp4") + b"x"
    try:
        answer = await asyncio.wait_for(
            client.post(
                "/api/ar-content",
                content=stalled_body(first, release),
                headers=upload_headers(tenant_a),
            ),
            timeout=10,
        )
    finally:
        release.set()
    assert answer.status_code == 408, answer.text
    assert "1 s" in answer.json()["error"]["message"]
    assert not list((short_upload_deadline.data_dir / "tmp").iterdir())  # its files are gone


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (b"", "portrait: at most 1 file"),
        (
            b"".join(
                file_part("video", f"v{i}.mp4", b"\x00" * 16, "video/mp4")
                for i in range(MAX_VIDEOS_PER_UPLOAD)
            ),
            f"video: at most {MAX_VIDEOS_PER_UPLOAD} files",
        ),
    ],
    ids=["second-portrait", "too-many-videos"],
)
async def test_file_counts_are_refused_at_the_extra_part(
    client: httpx.AsyncClient, tenant_a: Tenant, extra: bytes, message: str
) -> None:
    """The answer comes at the extra part's headers: the body after it is never awaited."""
    release = asyncio.Event()
    first = (
        portrait_part()
        + extra
        + part_head("portrait" if "portrait" in message else "video", "extra.bin")
    )
    try:
        answer = await asyncio.wait_for(
            client.post(
                "/api/ar-content",
                content=stalled_body(first, release),
                headers=upload_headers(tenant_a),
            ),
            timeout=10,
        )
    finally:
        release.set()
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["error"]["message"]


async def test_json_bodies_are_limited_before_they_are_read(
    settings: Settings, client: httpx.AsyncClient
) -> None:
    """An anonymous oversized JSON post is refused after the limit, not after the whole body."""
    chunk = b" " * (256 * 1024)
    total_chunks = 4 * settings.max_json_bytes // len(chunk)
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"email": "a@example.com", "password": "'
        for _ in range(total_chunks):
            sent += 1
            yield chunk
        yield b'"}'

    answer = await client.post(
        "/api/auth/login", content=body(), headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 413, answer.text
    assert "JSON" in answer.json()["error"]["message"]
    assert sent * len(chunk) <= settings.max_json_bytes + len(chunk)

    declared = await client.post(
        "/api/auth/login",
        content=b"{}",
        headers={
            "Content-Type": "application/json",
            "Content-Length": str(settings.max_json_bytes + 1),
        },
    )
    assert declared.status_code == 413


@pytest.fixture
def small_video_limit(settings: Settings) -> Settings:
    settings.max_video_pixels = 120 * 120
    return settings


async def test_video_dimensions_are_checked_before_decoding(
    small_video_limit: Settings, tenant_a: Tenant, mp4_bytes: bytes
) -> None:
    """A video stream larger than MAX_VIDEO_PIXELS (read from the container's stream header,
    before any frame is decoded): 413 naming its size, nothing kept."""
    answer = await tenant_a.admin.post(
        "/api/ar-content",
        data={"project_id": str(tenant_a.project_id), "title": "Huge"},
        files=[
            ("portrait", ("poster.png", media.textured_image(), "image/png")),
            ("video", ("big.mp4", mp4_bytes, "video/mp4")),
        ],
    )
    assert answer.status_code == 413, answer.text
    assert "160×120" in answer.json()["error"]["message"]
    assert (await tenant_a.admin.get("/api/ar-content")).json()["total"] == 0
