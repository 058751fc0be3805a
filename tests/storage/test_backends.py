"""The storage contract: the same checks on local disk, S3 (moto server) and Yandex Disk (fake)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.storage.conftest import PART_BYTES, collect, s3_keys
from tests.storage.fake_yandex import CLIENT_ID, CLIENT_SECRET, FakeYandexDisk
from tests.storage.fault_proxy import FaultProxy
from vertex_ar.storage.base import Backend, StorageError, new_key
from vertex_ar.storage.local import LocalStorage
from vertex_ar.storage.s3 import S3Storage
from vertex_ar.storage.yandex_disk import OAuthTokens, YandexDiskStorage, YandexOAuth

PAYLOAD = os.urandom(5 * PART_BYTES + 1234)  # several parts and a short last one


async def chunks_of(data: bytes, size: int = 10_000) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def yandex_storage(fake: FakeYandexDisk, config: dict[str, Any], **kw: Any) -> YandexDiskStorage:
    oauth = YandexOAuth(
        fake.base_url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET, timeout_seconds=5
    )
    return YandexDiskStorage(**config, api_url=fake.base_url, oauth=oauth, timeout_seconds=5, **kw)


@pytest.fixture(params=["local", "s3", "yandex_disk"])
def backend(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    s3_config: dict[str, Any],
    yandex: FakeYandexDisk,
    yandex_config: dict[str, Any],
) -> Backend:
    if request.param == "local":
        return LocalStorage(tmp_path / "disk")
    if request.param == "s3":
        return S3Storage(**s3_config, part_bytes=PART_BYTES, timeout_seconds=5)
    return yandex_storage(yandex, yandex_config)


async def test_contract(backend: Backend) -> None:
    await backend.check()
    await backend.provision(7)
    key = new_key(7, "videos", "mp4")
    assert not await backend.exists(key)
    info = await backend.put_stream(key, chunks_of(PAYLOAD))
    assert info.size == len(PAYLOAD)
    assert await backend.exists(key)
    assert await backend.size(key) == len(PAYLOAD)
    assert await collect(backend.get_stream(key)) == PAYLOAD
    # Inclusive ranges, as in HTTP: first bytes, a middle slice across a part border, the tail.
    assert await collect(backend.get_stream(key, 0, 0)) == PAYLOAD[:1]
    border = PART_BYTES
    assert (
        await collect(backend.get_stream(key, border - 5, border + 5))
        == PAYLOAD[border - 5 : border + 6]
    )
    assert await collect(backend.get_stream(key, len(PAYLOAD) - 10)) == PAYLOAD[-10:]
    # Only the local disk has a file to name; the viewer hands such files to Nginx.
    on_disk = backend.local_path(key)
    if isinstance(backend, LocalStorage):
        assert on_disk == backend.root / key and on_disk.read_bytes() == PAYLOAD
    else:
        assert on_disk is None

    target = Path(os.environ.get("TMPDIR", "/tmp")) / f"dl-{os.getpid()}-{id(backend)}"
    try:
        await backend.download_to(key, target)
        assert target.read_bytes() == PAYLOAD
    finally:
        target.unlink(missing_ok=True)

    usage = await backend.usage()
    assert usage.used_bytes >= len(PAYLOAD)
    await backend.delete(key)
    await backend.delete(key)  # idempotent
    assert not await backend.exists(key)
    with pytest.raises(StorageError):
        await backend.size(key)
    with pytest.raises(StorageError):
        await collect(backend.get_stream(key))


async def test_empty_object(backend: Backend, tmp_path: Path) -> None:
    key = new_key(7, "qr", "png")
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert (await backend.put_file(key, empty)).size == 0
    assert await backend.size(key) == 0
    assert await collect(backend.get_stream(key)) == b""


async def test_s3_multipart_and_delivery_url(s3_config: dict[str, Any], s3_direct: Any) -> None:
    import httpx

    storage = S3Storage(**s3_config, part_bytes=PART_BYTES, timeout_seconds=5)
    key = new_key(3, "videos", "mp4")
    await storage.put_stream(key, chunks_of(PAYLOAD))
    head = s3_direct.head_object(Bucket=s3_config["bucket"], Key="vertex/" + key)
    assert head["ContentLength"] == len(PAYLOAD)
    assert head["ETag"].strip('"').endswith("-6")  # a multipart ETag: 6 parts
    await storage.provision(3)
    listed = s3_direct.list_objects_v2(Bucket=s3_config["bucket"])["Contents"]
    assert {"vertex/3/portraits/", "vertex/3/videos/"} <= {o["Key"] for o in listed}

    url = storage.delivery_url(key, 300)
    assert url is not None and "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url
    async with httpx.AsyncClient() as http:
        ranged = await http.get(url, headers={"Range": "bytes=100-199"})
        assert ranged.status_code == 206
        assert ranged.content == PAYLOAD[100:200]

    public = S3Storage(
        **{**s3_config, "public_base_url": "https://cdn.example.com/media/"},
        part_bytes=PART_BYTES,
        timeout_seconds=5,
    )
    assert public.delivery_url(key, 60) == f"https://cdn.example.com/media/vertex/{key}"


async def test_s3_failed_multipart_upload_is_aborted(
    s3_config: dict[str, Any], s3_direct: Any
) -> None:
    storage = S3Storage(**s3_config, part_bytes=PART_BYTES, timeout_seconds=5)
    key = new_key(3, "videos", "mp4")

    async def breaks_midway() -> AsyncIterator[bytes]:
        yield PAYLOAD[: 3 * PART_BYTES]
        raise OSError("client went away")

    with pytest.raises(OSError, match="client went away"):
        await storage.put_stream(key, breaks_midway())
    bucket = s3_config["bucket"]
    assert s3_keys(s3_direct, bucket) == {}
    assert s3_direct.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


async def test_s3_endpoint_down_is_a_storage_error(
    s3_config: dict[str, Any], s3_proxy: FaultProxy
) -> None:
    storage = S3Storage(**s3_config, part_bytes=PART_BYTES, timeout_seconds=1)
    s3_proxy.cut()
    with pytest.raises(StorageError, match="S3 unreachable"):
        await storage.put_stream(new_key(1, "qr", "png"), chunks_of(b"x" * 10))
    with pytest.raises(StorageError):
        await storage.check()


async def test_yandex_creates_missing_folders_and_keeps_token_from_transfer_hosts(
    yandex: FakeYandexDisk, yandex_config: dict[str, Any]
) -> None:
    storage = yandex_storage(yandex, yandex_config)
    key = new_key(12, "portraits", "png")  # nothing provisioned: folders made on demand
    yandex.transfer_headers.clear()
    await storage.put_stream(key, chunks_of(b"portrait-bytes"))
    assert yandex.files[f"{yandex_config['base_folder']}/{key}"] == b"portrait-bytes"
    assert await collect(storage.get_stream(key, 2, 5)) == b"rtra"
    assert yandex.transfer_headers and all(
        "authorization" not in headers for headers in yandex.transfer_headers
    )
    assert storage.delivery_url(key, 60) is None


async def test_yandex_refreshes_an_expired_token(
    yandex: FakeYandexDisk, yandex_config: dict[str, Any]
) -> None:
    saved: list[OAuthTokens] = []

    async def save(tokens: OAuthTokens) -> None:
        saved.append(tokens)

    storage = yandex_storage(yandex, yandex_config, save_tokens=save)
    yandex.tokens.discard(yandex_config["token"])  # the access token expired
    usage = await storage.usage()
    assert usage.total_bytes == 10 * 1024**3
    assert len(saved) == 1 and saved[0].access_token in yandex.tokens
    assert saved[0].refresh_token != yandex_config["refresh_token"]

    revoked = yandex_storage(yandex, {**yandex_config, "refresh_token": None})
    with pytest.raises(StorageError, match="UnauthorizedError"):
        await revoked.usage()


async def test_yandex_down_is_a_storage_error(
    yandex: FakeYandexDisk, yandex_config: dict[str, Any]
) -> None:
    storage = yandex_storage(yandex, yandex_config)
    yandex.down = True
    try:
        with pytest.raises(StorageError, match="503"):
            await storage.put_stream(new_key(1, "qr", "png"), chunks_of(b"x"))
    finally:
        yandex.down = False


async def test_local_put_file_links_a_file_on_the_same_disk(tmp_path: Path) -> None:
    """An upload spooled on the storage's file system is linked, not copied a second time; the
    stored object outlives the spooled file and gets the mode of a written one."""
    storage = LocalStorage(tmp_path / "disk")
    spooled = tmp_path / "spool" / "film"
    spooled.parent.mkdir()
    spooled.write_bytes(b"film bytes")
    spooled.chmod(0o600)
    key = "1/videos/film.mp4"
    assert (await storage.put_file(key, spooled)).size == 10
    stored = storage.path_of(key)
    assert stored.samefile(spooled)
    written = await storage.put_stream("1/videos/other.mp4", chunks_of(b"x"))
    assert stored.stat().st_mode == storage.path_of(written.key).stat().st_mode
    spooled.unlink()
    assert stored.read_bytes() == b"film bytes"
    assert [p.name for p in stored.parent.iterdir() if p.name.endswith(".part")] == []
