"""A purge while the company's storage is down: the rows go, the media keys wait in the deferred
storage deletes (committed with the purge), and the retry job deletes them once it is back."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from tests.connections.conftest import connect, tenant_on
from tests.storage.conftest import settings, yandex, yandex_config  # noqa: F401 - fixtures
from tests.storage.fake_yandex import FakeYandexDisk
from tests.support.api import Api
from tests.support.content import create_content
from vertex_ar.connections.models import PendingDelete
from vertex_ar.connections.routing import purge_pending_deletes
from vertex_ar.content.models import ARContent


async def test_purge_with_storage_down_defers_the_media_deletes(
    app: Any,
    settings: Any,  # noqa: F811 - the storage tests' settings (the fake Yandex Disk)
    superadmin: Api,
    yandex: FakeYandexDisk,  # noqa: F811
    yandex_config: dict[str, Any],  # noqa: F811
    mp4_bytes: bytes,
) -> None:
    tenant = await tenant_on(
        superadmin, "Disk trash", await connect(superadmin, "yandex_disk", yandex_config)
    )
    created = await create_content(tenant, videos=[mp4_bytes])
    assert created.status_code == 201, created.text
    content = created.json()
    stored = yandex.under(yandex_config["base_folder"])
    assert len(stored) == 3  # portrait, video, thumbnail
    assert (await superadmin.delete(f"/api/ar-content/{content['id']}")).status_code == 204
    assert yandex.under(yandex_config["base_folder"]) == stored  # in the trash: kept

    yandex.down = True
    try:
        purged = await superadmin.delete(f"/api/trash/content/{content['id']}")
    finally:
        yandex.down = False
    assert purged.status_code == 204, purged.text
    async with app.state.database.sessions() as session:
        rows = await session.scalar(
            select(func.count()).select_from(ARContent).where(ARContent.id == content["id"])
        )
        pending = (await session.scalars(select(PendingDelete))).all()
    assert rows == 0
    assert len(pending) == 3
    assert all(p.attempts == 1 and p.last_error for p in pending)
    assert yandex.under(yandex_config["base_folder"]) == stored  # nothing lost, nothing deleted

    async with app.state.database.sessions() as session:
        assert await purge_pending_deletes(session, settings) == 3  # the periodic retry
    assert yandex.under(yandex_config["base_folder"]) == {}
