"""Storage backends under test: local disk, moto's S3 server, and the Yandex Disk fake.

S3 is moto's ThreadedMotoServer (real HTTP, the S3 REST protocol) behind a FaultProxy, so a test
can kill the endpoint mid-request while moto keeps what it stored. Yandex Disk is the loopback
fake in fake_yandex.py.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import moto.s3.models
import pytest
from moto.server import ThreadedMotoServer

from tests.storage.fake_yandex import CLIENT_ID, CLIENT_SECRET, FakeYandexDisk, ServerThread
from tests.storage.fault_proxy import FaultProxy
from vertex_ar.core.settings import Settings

PART_BYTES = 64 * 1024  # small parts, so that test videos go up as multipart uploads
S3_KEYS = {"access_key": "AKIATESTSTORAGE01", "secret_key": "s3-secret-" + "x" * 20}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[tuple[str, int]]:
    # moto checks S3's 5 MiB minimum part size; tests use small parts to stay fast.
    original = getattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE")  # noqa: B009 - not exported
    setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1024)  # noqa: B010
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield server.get_host_and_port()
    server.stop()
    setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", original)  # noqa: B010


@pytest.fixture
def s3_proxy(moto_endpoint: tuple[str, int]) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_endpoint)
    yield proxy
    proxy.cut()


@pytest.fixture
def s3_direct(moto_endpoint: tuple[str, int]) -> Any:
    """A client that talks to moto directly (not through the proxy): the test's own view."""
    host, port = moto_endpoint
    return boto3.session.Session().client(
        "s3",
        endpoint_url=f"http://{host}:{port}",
        region_name="us-east-1",
        aws_access_key_id=S3_KEYS["access_key"],
        aws_secret_access_key=S3_KEYS["secret_key"],
    )


@pytest.fixture
def s3_config(s3_proxy: FaultProxy, s3_direct: Any) -> dict[str, Any]:
    bucket = f"media-{secrets.token_hex(6)}"
    s3_direct.create_bucket(Bucket=bucket)
    return {
        "endpoint_url": s3_proxy.url,
        "bucket": bucket,
        "region": "us-east-1",
        "path_style": True,
        "prefix": "vertex/",
        **S3_KEYS,
    }


def s3_keys(s3_direct: Any, bucket: str) -> dict[str, int]:
    """Every object in the bucket (folder markers left out): key -> size."""
    listed = s3_direct.list_objects_v2(Bucket=bucket).get("Contents", [])
    return {o["Key"]: o["Size"] for o in listed if not o["Key"].endswith("/")}


@pytest.fixture(scope="session")
def yandex() -> Iterator[FakeYandexDisk]:
    fake = FakeYandexDisk()
    server = ServerThread(fake.app())
    fake.base_url = server.start()
    yield fake
    server.stop()


@pytest.fixture
def yandex_config(yandex: FakeYandexDisk) -> dict[str, Any]:
    yandex.down = False
    token, refresh = yandex.issue_tokens()
    return {
        "token": token,
        "refresh_token": refresh,
        "base_folder": f"app:/vertex-{secrets.token_hex(4)}",
    }


@pytest.fixture
def settings(settings: Settings, yandex: FakeYandexDisk) -> Settings:
    return settings.model_copy(
        update={
            "s3_part_bytes": PART_BYTES,
            "storage_timeout_seconds": 2.0,
            "storage_allow_local_for_companies": True,
            "yandex_disk_api_url": yandex.base_url,
            "yandex_oauth_url": yandex.base_url,
            "yandex_client_id": CLIENT_ID,
            "yandex_client_secret": CLIENT_SECRET,
        }
    )


@pytest.fixture
def backend_configs(
    s3_config: dict[str, Any], yandex_config: dict[str, Any], data_dir: Path
) -> dict[str, dict[str, Any]]:
    return {
        "local": {"path": str(data_dir / "tenant-disk")},  # under LOCAL_STORAGE_ROOTS' default
        "s3": s3_config,
        "yandex_disk": yandex_config,
    }


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])
