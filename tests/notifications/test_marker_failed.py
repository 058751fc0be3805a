"""A marker that cannot be made tells its company: one message per content item (a redelivered
compile that fails again, or the give-up after retries, tells nothing new), by email and
Telegram, in the company's language, to that company only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.notifications.fakes import FakeTelegram, SmtpRecorder
from tests.notifications.helpers import configure, notifications, run
from tests.support.content import make_content
from tests.support.tenants import Tenant
from vertex_ar.content.marker_job import compile_content_marker, mark_failed
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.notifications.events import MARKER_FAILED, marker_failed


async def _broken_portrait(app: FastAPI, tenant: Tenant, title: str) -> dict[str, Any]:
    """Content whose stored portrait is no image (a damaged upload): the compile fails for good."""
    content = await make_content(tenant, [], title=title)
    async with app.state.database.sessions() as session:
        row = await session.get(ARContent, content["id"])
        assert row is not None
        key = row.portrait_key
    (Path(app.state.settings.storage_root) / key).write_bytes(b"not an image at all")
    return content


async def _compile(app: FastAPI, content_id: int) -> MarkerStatus | None:
    settings = app.state.settings
    async with app.state.database.sessions() as session:
        return await compile_content_marker(session, settings, content_id, marker_failed(settings))


async def test_marker_failure_is_told_once_to_its_company(
    app: FastAPI, tenant_a: Tenant, tenant_b: Tenant, mail: SmtpRecorder, bot: FakeTelegram
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id)
    await configure(tenant_b.admin, tenant_b.company_id, emails=["desk@beta.example"])
    content = await _broken_portrait(app, tenant_a, "Wedding poster")

    assert await _compile(app, content["id"]) is MarkerStatus.failed
    assert await _compile(app, content["id"]) is MarkerStatus.failed  # a redelivery fails again
    async with app.state.database.sessions() as session:
        told = marker_failed(app.state.settings)
        await mark_failed(session, content["id"], "storage or database unavailable: x", told)

    rows = [n for n in await notifications(app) if n.kind == MARKER_FAILED]
    assert len(rows) == 1
    assert rows[0].company_id == tenant_a.company_id
    assert rows[0].payload["content_id"] == content["id"]
    await run(app, "send-notifications")
    assert [m["X-Envelope-To"] for m in mail.messages] == ["ops@alpha.example"]
    message = mail.messages[0]
    assert 'the AR marker of "Wedding poster"' in message["Subject"]
    body = message.get_content()
    assert "Reason: the portrait could not be compiled" in body
    assert f"https://ar.example.test/admin/content/{content['id']}" in body
    assert len(bot.messages) == 1 and "Wedding poster" in bot.messages[0]["text"]

    inbox_a = (await tenant_a.admin.get("/api/notifications")).json()["items"]
    assert [(i["kind"], {d["status"] for d in i["deliveries"]}) for i in inbox_a] == [
        (MARKER_FAILED, {"sent"})
    ]  # fmt: skip
    assert (await tenant_b.admin.get("/api/notifications")).json()["total"] == 0


async def test_give_up_after_retries_tells_in_the_companys_language(
    app: FastAPI, tenant_a: Tenant, mail: SmtpRecorder
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id, telegram_chat_ids=[], locale="ru")
    content = await make_content(tenant_a, [], title="Витрина")
    told = marker_failed(app.state.settings)
    for _ in range(2):  # the give-up runs again (a redelivered task): still one message
        async with app.state.database.sessions() as session:
            await mark_failed(session, content["id"], "storage or database unavailable: x", told)
    async with app.state.database.sessions() as session:
        row = await session.get(ARContent, content["id"])
        assert row is not None and row.marker_status is MarkerStatus.failed
    await run(app, "send-notifications")
    assert len(mail.messages) == 1
    assert "не удалось создать AR-маркер «Витрина»" in mail.messages[0]["Subject"]
    assert "Причина: storage or database unavailable: x" in mail.messages[0].get_content()
