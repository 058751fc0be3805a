"""A tenant's storage backend that fails tells each company on it once per outage (however many
probes fail meanwhile); a recovery ends the outage, and the next failure is a new one. Runs as
Beat runs it (`storage-check`) against the loopback Yandex Disk fake."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.connections.conftest import connect, tenant_on
from tests.notifications.fakes import FakeTelegram, SmtpRecorder
from tests.notifications.helpers import configure, notifications, run
from tests.storage.conftest import yandex, yandex_config  # noqa: F401 - the fake backend
from tests.storage.fake_yandex import CLIENT_ID, CLIENT_SECRET, FakeYandexDisk
from tests.support.api import Api
from vertex_ar.connections.models import StorageConnection
from vertex_ar.core.settings import Settings
from vertex_ar.notifications.events import STORAGE_FAILING
from vertex_ar.tasks.config import beat_schedule


@pytest.fixture
def settings(settings: Settings, yandex: FakeYandexDisk) -> Settings:  # noqa: F811
    return settings.model_copy(
        update={
            "storage_timeout_seconds": 2.0,
            "yandex_disk_api_url": yandex.base_url,
            "yandex_oauth_url": yandex.base_url,
            "yandex_client_id": CLIENT_ID,
            "yandex_client_secret": CLIENT_SECRET,
        }
    )


async def _outage_since(app: FastAPI, connection_id: int) -> Any:
    async with app.state.database.sessions() as session:
        row = await session.get(StorageConnection, connection_id)
        assert row is not None
        return row.outage_since


async def test_failing_storage_is_told_once_per_outage_to_each_company_on_it(
    app: FastAPI,
    superadmin: Api,
    yandex: FakeYandexDisk,  # noqa: F811
    yandex_config: dict[str, Any],  # noqa: F811
    mail: SmtpRecorder,
    bot: FakeTelegram,
) -> None:
    connection_id = await connect(superadmin, "yandex_disk", yandex_config, name="Disk main")
    alpha = await tenant_on(superadmin, "Alpha Disk", connection_id)
    beta = await tenant_on(superadmin, "Beta Disk", connection_id)
    other = await tenant_on(superadmin, "Platform Disk", None)  # the platform's own storage
    await configure(superadmin, alpha.company_id, emails=["ops@alpha.example"])
    await configure(superadmin, beta.company_id, emails=["desk@beta.example"], locale="ru")
    await configure(superadmin, other.company_id, emails=["it@other.example"])

    healthy = await run(app, "storage-check")
    assert healthy["failing"] == [] and await _outage_since(app, connection_id) is None

    yandex.down = True
    first = await run(app, "storage-check")
    assert first["failing"] == [connection_id]
    since = await _outage_since(app, connection_id)
    assert since is not None
    for _ in range(2):  # still down on the next probes: the same outage, nothing new
        again = await run(app, "storage-check")
        assert again["failing"] == [connection_id] and again["told"] == {}
    assert await _outage_since(app, connection_id) == since

    rows = [n for n in await notifications(app) if n.kind == STORAGE_FAILING]
    assert sorted(r.company_id for r in rows) == sorted([alpha.company_id, beta.company_id])
    assert {r.payload["connection_id"] for r in rows} == {connection_id}
    assert sorted(m["X-Envelope-To"] for m in mail.messages) == [
        "desk@beta.example", "ops@alpha.example"
    ]  # fmt: skip
    by_to = {m["X-Envelope-To"]: m for m in mail.messages}
    english = by_to["ops@alpha.example"]
    assert english["Subject"] == "Vertex AR: the media storage of Alpha Disk is failing"
    assert '"Disk main", yandex_disk' in english.get_content()
    assert "хранилище медиа Beta Disk не работает" in by_to["desk@beta.example"]["Subject"]
    assert len(bot.messages) == 2  # the default chat of each configured company

    yandex.down = False
    recovered = await run(app, "storage-check")
    assert recovered["failing"] == [] and await _outage_since(app, connection_id) is None

    yandex.down = True  # a new outage: told again, once
    await run(app, "storage-check")
    await run(app, "storage-check")
    yandex.down = False
    rows = [n for n in await notifications(app) if n.kind == STORAGE_FAILING]
    assert len(rows) == 4
    assert len(mail.messages) == 4
    assert "it@other.example" not in {m["X-Envelope-To"] for m in mail.messages}
    inbox = (await superadmin.get(f"/api/notifications?company_id={other.company_id}")).json()
    assert inbox["total"] == 0


def test_beat_runs_the_storage_check_every_few_minutes(settings: Settings) -> None:
    entry = beat_schedule(settings)["storage-check"]
    assert entry["task"] == "notifications.storage_check"
    assert entry["schedule"].total_seconds() <= 600
