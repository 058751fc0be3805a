"""Failed deliveries come back after a backoff and are delivered exactly once; permanent refusals
and used-up attempts end as `failed`; a lapsed claim (a sender that died) is taken over."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import update

from tests.notifications.fakes import FakeTelegram, SmtpRecorder, telegram_error
from tests.notifications.helpers import configure, deliveries, expiring, run, until
from tests.support.tenants import Tenant
from vertex_ar.core.db import utcnow
from vertex_ar.notifications.models import DeliveryStatus, OutboxDelivery
from vertex_ar.notifications.outbox import backoff


async def _by_channel(app: FastAPI) -> dict[str, OutboxDelivery]:
    return {str(d.channel): d for d in await deliveries(app)}


async def test_failing_channels_retry_and_then_deliver_once(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder, bot: FakeTelegram
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id)
    await expiring(tenant_a, clips, 6)
    mail.refusals = ["451 4.3.0 Mailbox temporarily unavailable"]
    bot.answers = [
        telegram_error(500, "Internal Server Error"),
        telegram_error(429, "Too Many Requests: retry after 1", retry_after=1),
    ]
    first = await run(app, "expiry-warnings")
    assert (first["sent"], first["retrying"]) == (0, 2)
    rows = await _by_channel(app)
    assert rows["email"].status is DeliveryStatus.pending
    assert rows["email"].last_error is not None and "451" in rows["email"].last_error
    assert rows["email"].next_attempt_at > utcnow()  # not due again at once: backoff
    assert "500" in (rows["telegram"].last_error or "")
    assert (await run(app, "send-notifications"))["sent"] == 0  # nothing due yet

    async def all_sent() -> bool:
        await run(app, "send-notifications")
        return all(d.status is DeliveryStatus.sent for d in await deliveries(app))

    await until(all_sent, 60, "both deliveries to succeed after their backoff")
    rows = await _by_channel(app)
    assert (rows["email"].attempts, rows["telegram"].attempts) == (2, 3)
    assert rows["email"].last_error is None and rows["telegram"].sent_at is not None
    assert len(mail.messages) == 1 and len(bot.messages) == 1
    assert bot.calls == 3
    assert (await run(app, "send-notifications"))["sent"] == 0
    assert len(mail.messages) == 1 and len(bot.messages) == 1


async def test_permanent_refusal_fails_at_once(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder, bot: FakeTelegram
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id)
    await expiring(tenant_a, clips, 1)
    mail.refusals = ["550 5.1.1 No such user"]
    bot.answers = [telegram_error(400, "Bad Request: chat not found")]
    result = await run(app, "expiry-warnings")
    assert (result["sent"], result["failed"]) == (0, 2)
    rows = await _by_channel(app)
    assert rows["email"].status is DeliveryStatus.failed and "550" in (
        rows["email"].last_error or ""
    )
    assert rows["telegram"].status is DeliveryStatus.failed
    assert "chat not found" in (rows["telegram"].last_error or "")
    inbox = (await tenant_a.admin.get("/api/notifications")).json()["items"][0]
    assert {d["status"] for d in inbox["deliveries"]} == {"failed"}


async def test_attempts_are_limited(
    app: FastAPI, settings: object, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder
) -> None:
    app.state.settings = app.state.settings.model_copy(update={"notification_max_attempts": 2})
    await configure(tenant_a.admin, tenant_a.company_id, telegram_chat_ids=[])
    await expiring(tenant_a, clips, 1)
    mail.refusals = ["421 4.7.0 Try again later"] * 5
    await run(app, "expiry-warnings")

    async def given_up() -> bool:
        await run(app, "send-notifications")
        return (await deliveries(app))[0].status is DeliveryStatus.failed

    await until(given_up, 60, "the delivery to fail after 2 attempts")
    row = (await deliveries(app))[0]
    assert row.attempts == 2 and "421" in (row.last_error or "")
    assert mail.messages == [] and len(mail.refusals) == 3


async def test_a_lapsed_claim_is_taken_over_and_sent_once(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder, bot: FakeTelegram
) -> None:
    """A sender that claimed a delivery and died: its lease lapses, another sends it."""
    await configure(tenant_a.admin, tenant_a.company_id, telegram_chat_ids=[])
    await expiring(tenant_a, clips, 1)
    mail.refusals = ["451 4.3.0 later"]
    await run(app, "expiry-warnings")
    async with app.state.database.sessions() as session:
        await session.execute(  # what a claim looks like while its sender is gone
            update(OutboxDelivery).values(
                status=DeliveryStatus.sending, claim="dead-sender", attempts=1,
                lease_until=utcnow() + timedelta(minutes=5), next_attempt_at=utcnow(),
            )
        )  # fmt: skip
        await session.commit()
    assert (await run(app, "send-notifications"))["sent"] == 0  # the lease still runs
    async with app.state.database.sessions() as session:
        await session.execute(update(OutboxDelivery).values(lease_until=utcnow()))
        await session.commit()
    assert (await run(app, "send-notifications"))["sent"] == 1
    assert len(mail.messages) == 1
    row = (await deliveries(app))[0]
    assert (row.status, row.attempts, row.claim) == (DeliveryStatus.sent, 2, None)


def test_backoff_doubles_up_to_six_hours() -> None:
    from vertex_ar.core.settings import Settings

    base = Settings(notification_retry_seconds=60, _env_file=None)  # type: ignore[call-arg]
    assert [backoff(base, n, None).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(base, 30, None) == timedelta(hours=6)
    assert backoff(base, 1, 600).total_seconds() == 600  # Telegram's retry_after wins


async def test_a_slow_server_keeps_its_senders_claim(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder
) -> None:
    """A send that outlasts the lease renews it: a second sender meanwhile takes nothing, and the
    message goes out once."""
    app.state.settings = app.state.settings.model_copy(update={"notification_lease_seconds": 6})
    await configure(tenant_a.admin, tenant_a.company_id, telegram_chat_ids=[])
    await expiring(tenant_a, clips, 1)
    mail.refusals = ["451 4.3.0 later"]
    await run(app, "expiry-warnings")
    async with app.state.database.sessions() as session:
        await session.execute(update(OutboxDelivery).values(next_attempt_at=utcnow()))
        await session.commit()
    mail.stall.set()
    first = asyncio.create_task(run(app, "send-notifications"))
    await until(lambda: asyncio.to_thread(mail.stalled.wait, 0.2), 60, "the send to stall")
    claimed = (await deliveries(app))[0].lease_until
    assert claimed is not None

    async def renewed() -> bool:
        lease = (await deliveries(app))[0].lease_until
        return lease is not None and lease > claimed

    await until(renewed, 60, "the sender to renew its lease")
    assert (await run(app, "send-notifications"))["sent"] == 0  # a second sender: nothing to take
    mail.stall.clear()
    assert (await first)["sent"] == 1
    assert len(mail.messages) == 1
    row = (await deliveries(app))[0]
    assert (row.status, row.attempts) == (DeliveryStatus.sent, 2)
