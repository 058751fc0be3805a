"""Expiry warnings and "expired, switched off" messages, by email (a real SMTP server on loopback)
and Telegram (a loopback fake of the Bot API): one message per company and day, once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlalchemy import update

from tests.notifications.fakes import FakeTelegram, SmtpRecorder
from tests.notifications.helpers import (
    configure,
    deliveries,
    expiring,
    in_days,
    notifications,
    run,
)
from tests.support.content import make_content, set_content
from tests.support.tenants import Tenant
from vertex_ar.notifications.models import Notification, OutboxDelivery


async def made_yesterday(app: FastAPI) -> None:
    """Move today's messages to another day: their keys name the company's local day."""
    async with app.state.database.sessions() as session:
        await session.execute(update(Notification).values(key=Notification.key + ":yesterday"))
        await session.execute(update(OutboxDelivery).values(key=OutboxDelivery.key + ":yesterday"))
        await session.commit()


async def test_content_expiring_in_6_days_is_told_once_by_email_and_telegram(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder, bot: FakeTelegram
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id)
    soon = await expiring(
        tenant_a, clips, 6, title="Wedding poster", customer_name="Anna Petrova",
        customer_email="anna@example.org", customer_phone="+7 900 000-00-00",
    )  # fmt: skip
    also = await expiring(tenant_a, clips, 3, title="Shop window")
    await expiring(tenant_a, clips, 30, title="Far away")  # beyond 7 days: not yet

    first = await run(app, "expiry-warnings")
    assert first["warned"] == {str(tenant_a.company_id): 2}
    assert first["sent"] == 2
    second = await run(app, "expiry-warnings")  # Beat firing again the same day
    assert second["warned"] == {} and second["sent"] == 0
    await run(app, "send-notifications")

    assert len(mail.messages) == 1
    message = mail.messages[0]
    assert message["X-Envelope-To"] == "ops@alpha.example"
    assert "2 AR item(s)" in message["Subject"]
    text = message.get_content()
    assert f"https://ar.example.test/ar/{soon['unique_id']}" in text
    assert f"https://ar.example.test/ar/{also['unique_id']}" in text
    assert "Far away" not in text
    assert "Anna Petrova, anna@example.org, +7 900 000-00-00" in text
    assert "(in 6 day(s))" in text and "(in 3 day(s))" in text
    assert message["Message-ID"].startswith("<vertex-ar.notification-")

    assert len(bot.messages) == 1
    assert bot.messages[0]["chat"]["id"] == "-100123"
    assert "Wedding poster" in bot.messages[0]["text"]

    inbox = (await tenant_a.admin.get("/api/notifications")).json()
    assert inbox["total"] == 1
    item = inbox["items"][0]
    assert item["kind"] == "expiry_warning" and item["read"] is False
    assert {(d["channel"], d["status"], d["attempts"]) for d in item["deliveries"]} == {
        ("email", "sent", 1), ("telegram", "sent", 1)
    }  # fmt: skip
    assert [i["title"] for i in item["payload"]["items"]] == ["Shop window", "Wedding poster"]


async def test_each_threshold_warns_once(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder
) -> None:
    """Warned at 7 days; on a later day nothing until the 1-day threshold, then once more."""
    await configure(tenant_a.admin, tenant_a.company_id, telegram_chat_ids=[])
    item = await expiring(tenant_a, clips, 6)
    await run(app, "expiry-warnings")
    assert len(mail.messages) == 1
    # Tomorrow (the day's message key is per local day): the same item, still 5+ days out.
    await made_yesterday(app)
    assert (await run(app, "expiry-warnings"))["warned"] == {}
    # Time passes: now it expires within a day.
    await set_content(app, item["id"], expires_at=datetime.fromisoformat(in_days(0.5)))
    assert (await run(app, "expiry-warnings"))["warned"] == {str(tenant_a.company_id): 1}
    assert len(mail.messages) == 2
    assert "(in 1 day(s))" in mail.messages[1].get_content()
    assert (await run(app, "expiry-warnings"))["warned"] == {}
    assert len(mail.messages) == 2


async def test_two_runs_at_once_make_one_message(
    app: FastAPI, tenant_a: Tenant, tenant_b: Tenant, clips: list[bytes], mail: SmtpRecorder,
    bot: FakeTelegram,
) -> None:  # fmt: skip
    await configure(tenant_a.admin, tenant_a.company_id)
    await configure(tenant_b.admin, tenant_b.company_id, emails=["desk@beta.example"],
                    telegram_chat_ids=["@beta_posters"])  # fmt: skip
    await expiring(tenant_a, clips, 2)
    await expiring(tenant_b, clips, 5)
    results = await asyncio.gather(*(run(app, "expiry-warnings") for _ in range(3)))
    warned: dict[str, int] = {}
    for result in results:
        for company, count in result["warned"].items():
            assert company not in warned
            warned[company] = count
    assert warned == {str(tenant_a.company_id): 1, str(tenant_b.company_id): 1}
    await run(app, "send-notifications")
    assert sorted(m["X-Envelope-To"] for m in mail.messages) == [
        "desk@beta.example", "ops@alpha.example"
    ]  # fmt: skip
    assert sorted(m["chat"]["id"] for m in bot.messages) == ["-100123", "@beta_posters"]
    assert len(await notifications(app)) == 2


async def test_expired_content_is_switched_off_and_told_once(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder, bot: FakeTelegram
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id, locale="ru")
    gone = await expiring(tenant_a, clips, -1, title="Старый постер")
    await expiring(tenant_a, clips, 40)
    first = await run(app, "deactivate-expired")
    assert first["switched_off"] == 1 and first["sent"] == 2
    second = await run(app, "deactivate-expired")
    assert second["switched_off"] == 0 and second["sent"] == 0
    assert (await tenant_a.admin.get(f"/api/ar-content/{gone['id']}")).json()["active"] is False
    assert len(mail.messages) == 1 and len(bot.messages) == 1
    assert "отключены" in mail.messages[0]["Subject"]
    assert "Старый постер" in bot.messages[0]["text"]
    kinds = [n.kind for n in await notifications(app)]
    assert kinds == ["content_expired"]


async def test_no_recipients_still_fills_the_inbox(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder
) -> None:
    await make_content(tenant_a, clips[:1], expires_at=in_days(1))
    result: dict[str, Any] = await run(app, "expiry-warnings")
    assert result["warned"] == {str(tenant_a.company_id): 1}
    assert mail.messages == [] and await deliveries(app) == []
    inbox = (await tenant_a.admin.get("/api/notifications")).json()
    assert inbox["total"] == 1 and inbox["items"][0]["deliveries"] == []
