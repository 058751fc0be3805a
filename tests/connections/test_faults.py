"""A backend that dies or stalls during an upload: 503, no row, and (once the deferred deletes
ran) no object; background work sees a StorageError, which its task retries."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.connections.conftest import connect, tenant_on
from tests.storage.conftest import s3_keys
from tests.storage.fake_yandex import FakeYandexDisk
from tests.storage.fault_proxy import FaultProxy
from tests.support import media
from tests.support.api import Api
from tests.support.content import create_content, storage_files
from vertex_ar.app import create_app
from vertex_ar.connections.models import PendingDelete
from vertex_ar.connections.routing import purge_pending_deletes
from vertex_ar.content.marker_job import compile_content_marker
from vertex_ar.content.models import ARContent, MarkerStatus, Video
from vertex_ar.storage.base import StorageError


@pytest.fixture(scope="session")
def noisy_mp4(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """~0.9 MB of barely compressible video: many 64 KiB parts, so an upload takes a while."""
    path = tmp_path_factory.mktemp("noisy") / "noisy.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "testsrc=duration=1:size=320x240:rate=15,noise=alls=80:allf=t+u",
         "-pix_fmt", "yuv420p", "-c:v", "libx264", "-crf", "10", "-preset", "ultrafast",
         str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


async def _rows(app: Any, company_id: int) -> tuple[int, int]:
    async with app.state.database.sessions() as session:
        contents = await session.scalar(
            select(func.count()).select_from(ARContent).where(ARContent.company_id == company_id)
        )
        videos = await session.scalar(select(func.count()).select_from(Video))
        return int(contents or 0), int(videos or 0)


async def _pending(app: Any) -> list[str]:
    async with app.state.database.sessions() as session:
        return list((await session.scalars(select(PendingDelete.key))).all())


async def _purge(app: Any, settings: Any) -> int:
    async with app.state.database.sessions() as session:
        return await purge_pending_deletes(session, settings)


async def test_s3_killed_mid_upload_leaves_no_row_and_no_object(
    app: Any,
    settings: Any,
    superadmin: Api,
    s3_config: dict[str, Any],
    s3_proxy: FaultProxy,
    s3_direct: Any,
    noisy_mp4: bytes,
) -> None:
    tenant = await tenant_on(superadmin, "Killed", await connect(superadmin, "s3", s3_config))
    portrait = media.textured_image()
    # The portrait goes up whole; the server dies a third of the way into the video's parts.
    s3_proxy.cut_after(len(portrait) + len(noisy_mp4) // 3)
    response = await create_content(tenant, image=portrait, videos=[noisy_mp4])
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "service_unavailable"
    assert "media storage is unavailable" in response.json()["error"]["message"]
    assert await _rows(app, tenant.company_id) == (0, 0)
    assert storage_files(settings) == []
    assert list((Path(settings.data_dir) / "tmp").iterdir()) == []  # upload spool removed

    # The cleanup could not reach the dead server: it was recorded, and runs once it is back.
    s3_proxy.restore()
    assert len(await _pending(app)) >= 2  # the stored portrait and the unfinished video
    bucket = s3_config["bucket"]
    assert await _purge(app, settings) >= 2
    assert await _pending(app) == []
    assert s3_keys(s3_direct, bucket) == {}
    assert s3_direct.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


async def test_s3_stalled_upload_times_out_with_503(
    settings: Any,
    superadmin: Api,
    s3_config: dict[str, Any],
    s3_proxy: FaultProxy,
    s3_direct: Any,
    mp4_bytes: bytes,
) -> None:
    impatient = settings.model_copy(update={"storage_timeout_seconds": 0.5})
    app = create_app(impatient)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            root = Api(http, superadmin.token)
            tenant = await tenant_on(root, "Stalled", await connect(root, "s3", s3_config))
            s3_proxy.stall_seconds = 2.0  # every answer comes after the client gave up
            response = await create_content(tenant, videos=[mp4_bytes])
            assert response.status_code == 503, response.text
            assert "timeout" in response.json()["error"]["message"].lower()
            assert await _rows(app, tenant.company_id) == (0, 0)
        s3_proxy.stall_seconds = 0
        await _purge(app, settings)
    assert s3_keys(s3_direct, s3_config["bucket"]) == {}  # the late-stored portrait is gone


async def test_yandex_down_during_upload(
    app: Any,
    superadmin: Api,
    yandex: FakeYandexDisk,
    yandex_config: dict[str, Any],
    mp4_bytes: bytes,
) -> None:
    tenant = await tenant_on(
        superadmin, "Disk down", await connect(superadmin, "yandex_disk", yandex_config)
    )
    yandex.down = True
    try:
        response = await create_content(tenant, videos=[mp4_bytes])
    finally:
        yandex.down = False
    assert response.status_code == 503, response.text
    assert "Yandex Disk" in response.json()["error"]["message"]
    assert await _rows(app, tenant.company_id) == (0, 0)
    assert yandex.under(yandex_config["base_folder"]) == {}


async def test_marker_task_sees_storage_error_then_recovers(
    app: Any,
    settings: Any,
    superadmin: Api,
    s3_config: dict[str, Any],
    s3_proxy: FaultProxy,
    mp4_bytes: bytes,
) -> None:
    tenant = await tenant_on(superadmin, "Retry", await connect(superadmin, "s3", s3_config))
    created = await create_content(tenant, videos=[mp4_bytes])
    assert created.status_code == 201, created.text
    content_id = created.json()["id"]
    s3_proxy.cut()
    # The Celery task retries StorageError with backoff (tasks/jobs.py); here, the error itself.
    async with app.state.database.sessions() as session:
        with pytest.raises(StorageError):
            await compile_content_marker(session, settings, content_id)
    s3_proxy.restore()
    async with app.state.database.sessions() as session:
        status = await compile_content_marker(session, settings, content_id)
    fetched = (await superadmin.get(f"/api/ar-content/{content_id}")).json()
    assert status is MarkerStatus.ready, fetched["marker_error"]
