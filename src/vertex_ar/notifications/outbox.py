"""The outbox: messages recorded once, delivered by senders that claim them with a lease.

Recording is idempotent. A notification, an event about an item and a delivery each have a
UNIQUE key, and rows are inserted with "on conflict do nothing": Beat firing twice, or two workers
running the same job at once, make one row, and the second run finds nothing new to tell.

Sending: a sender claims one due delivery at a time (an UPDATE that only succeeds while the row is
due and unclaimed, or its last claim's lease has lapsed), sends it while renewing the lease every
third of NOTIFICATION_LEASE_SECONDS (a slow server is not a dead sender), and marks it sent under
that claim. A lease lapses only when its sender stopped. A failure sets the next attempt after an
exponential backoff (NOTIFICATION_RETRY_SECONDS, doubled each time, at most 6 hours; longer if
Telegram says `retry_after`) until NOTIFICATION_MAX_ATTEMPTS, then `failed`; a permanent refusal
(SMTP 5xx, Telegram 400/401/403) is `failed` at once.

At-least-once window, honestly: if the process dies after the server accepted a message but before
the `sent` commit (milliseconds, one UPDATE), the lease lapses and another sender sends it again.
Nothing can close that window without the receiver's help: SMTP and the Bot API have no
idempotency keys. It is kept narrow (one delivery claimed at a time, `sent` committed right after
the server's answer), and an email's copy carries the same Message-ID as the first (derived from
the delivery's id), so mail clients and archives that dedupe on Message-ID show it once. A process
killed before the server accepted loses nothing: the lease lapses and the message is sent later.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import anyio
import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.core.db import upsert_insert, utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.notifications.channels import (
    DeliveryError,
    Email,
    email_configured,
    message_id,
    send_email,
    send_telegram,
    telegram_configured,
)
from vertex_ar.notifications.models import (
    Channel,
    DeliveryStatus,
    Notification,
    NotificationEvent,
    NotificationSettings,
    OutboxDelivery,
)
from vertex_ar.notifications.templates import Text, telegram_text

log = structlog.get_logger(__name__)

MAX_BACKOFF = timedelta(hours=6)
SEND_BATCH = 100


async def insert_once(
    session: AsyncSession,
    model: type[Notification] | type[NotificationEvent] | type[OutboxDelivery],
    **values: Any,
) -> int | None:
    """Insert a row unless its `key` exists; the new row's id, or None when it existed."""
    stmt = (
        upsert_insert(session, model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(model.id)
    )
    new_id: int | None = await session.scalar(stmt)
    return new_id


async def record(
    session: AsyncSession,
    *,
    company_id: int | None,
    key: str,
    kind: str,
    payload: dict[str, Any],
) -> int | None:
    """The notification row (text filled in by `publish`); None if `key` was recorded before."""
    return await insert_once(
        session, Notification, company_id=company_id, key=key, kind=kind, subject="", body="",
        payload=payload, created_at=utcnow(),
    )  # fmt: skip


async def tell_once(session: AsyncSession, notification_id: int, keys: Sequence[str]) -> set[str]:
    """Record events (event, item, threshold) as told by the notification: the keys that were
    not told before."""
    new = set()
    for key in keys:
        if await insert_once(session, NotificationEvent, key=key, notification_id=notification_id):
            new.add(key)
    return new


@dataclass(frozen=True)
class Recipients:
    """Recipients that are no company's settings: the operators (OPERATOR_EMAILS, ...)."""

    emails: list[str]
    telegram_chat_ids: list[str]


async def publish(
    session: AsyncSession,
    settings: Settings,
    notification_id: int,
    text: Text,
    prefs: NotificationSettings | Recipients | None,
    payload: dict[str, Any],
) -> None:
    """Fill in the notification's text and queue one delivery per recipient and channel."""
    notification = await session.get(Notification, notification_id)
    assert notification is not None
    notification.subject = text.subject[:300]
    notification.body = text.body
    notification.payload = payload
    await session.flush()
    if prefs is None:
        return
    recipients = [(Channel.email, r) for r in prefs.emails]
    recipients += [(Channel.telegram, r) for r in prefs.telegram_chat_ids]
    configured = {
        Channel.email: email_configured(settings),
        Channel.telegram: telegram_configured(settings),
    }
    for channel, recipient in recipients:
        off = not configured[channel]
        await insert_once(
            session, OutboxDelivery, notification_id=notification_id,
            company_id=notification.company_id, key=f"{notification.key}/{channel}:{recipient}",
            channel=channel, recipient=recipient,
            status=DeliveryStatus.skipped if off else DeliveryStatus.pending,
            attempts=0, next_attempt_at=utcnow(), created_at=utcnow(),
            last_error=f"{channel} is not configured on this platform" if off else None,
        )  # fmt: skip


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def _due(now: datetime) -> Any:
    return or_(
        and_(
            OutboxDelivery.status == DeliveryStatus.pending, OutboxDelivery.next_attempt_at <= now
        ),
        and_(OutboxDelivery.status == DeliveryStatus.sending, OutboxDelivery.lease_until <= now),
    )


async def _claim(session: AsyncSession, settings: Settings, delivery_id: int) -> str | None:
    claim = secrets.token_hex(16)
    now = utcnow()
    result: Any = await session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.id == delivery_id,
            OutboxDelivery.attempts < settings.notification_max_attempts,
            _due(now),
        )
        .values(
            status=DeliveryStatus.sending,
            claim=claim,
            lease_until=now + timedelta(seconds=settings.notification_lease_seconds),
            attempts=OutboxDelivery.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return claim if int(result.rowcount or 0) == 1 else None


async def _give_up_on_lost(session: AsyncSession, settings: Settings) -> None:
    """A delivery whose sender died during its last allowed attempt: failed, not retried."""
    await session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.status == DeliveryStatus.sending,
            OutboxDelivery.lease_until <= utcnow(),
            OutboxDelivery.attempts >= settings.notification_max_attempts,
        )
        .values(
            status=DeliveryStatus.failed,
            claim=None,
            lease_until=None,
            last_error="the sender stopped during the last attempt",
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def _renew_lease(
    session: AsyncSession, settings: Settings, delivery_id: int, claim: str, done: anyio.Event
) -> None:
    """Push the lease ahead while a send is slow (a server that answers late is not a dead
    sender); stops, between commits, once `done` is set. The session is idle meanwhile."""
    lease = settings.notification_lease_seconds
    while True:
        with anyio.move_on_after(lease / 3):
            await done.wait()
        if done.is_set():
            return
        await session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == delivery_id, OutboxDelivery.claim == claim)
            .values(lease_until=utcnow() + timedelta(seconds=lease))
            .execution_options(synchronize_session=False)
        )
        await session.commit()


def backoff(settings: Settings, attempts: int, retry_after: float | None) -> timedelta:
    delay = timedelta(seconds=settings.notification_retry_seconds * 2 ** max(attempts - 1, 0))
    delay = min(delay, MAX_BACKOFF)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


async def deliver(settings: Settings, delivery: OutboxDelivery, notification: Notification) -> None:
    """One delivery to its server; raises DeliveryError."""
    text = Text(notification.subject, notification.body)
    if delivery.channel is Channel.email:
        local_part = f"vertex-ar.notification-{notification.id}.delivery-{delivery.id}"
        await send_email(
            settings,
            Email(delivery.recipient, text.subject, text.body, message_id(settings, local_part)),
        )
    else:
        locale = str(notification.payload.get("locale", "en"))
        await send_telegram(settings, delivery.recipient, telegram_text(locale, text))


async def _finish(
    session: AsyncSession,
    settings: Settings,
    delivery: OutboxDelivery,
    claim: str,
    error: DeliveryError | None,
    report: SendReport,
) -> None:
    mine = and_(OutboxDelivery.id == delivery.id, OutboxDelivery.claim == claim)
    values: dict[str, Any] = {"claim": None, "lease_until": None}
    if error is None:
        values |= {"status": DeliveryStatus.sent, "sent_at": utcnow(), "last_error": None}
        report.sent += 1
    elif error.permanent or delivery.attempts >= settings.notification_max_attempts:
        values |= {"status": DeliveryStatus.failed, "last_error": str(error)[:1000]}
        report.failed += 1
    else:
        later = utcnow() + backoff(settings, delivery.attempts, error.retry_after)
        values |= {
            "status": DeliveryStatus.pending,
            "next_attempt_at": later,
            "last_error": str(error)[:1000],
        }
        report.retrying += 1
    if error is not None:
        report.errors.append(str(error))
        log.warning(
            "notification.delivery_failed", delivery_id=delivery.id, channel=delivery.channel,
            attempts=delivery.attempts, error=str(error)[:300], final=values["status"],
        )  # fmt: skip
    await session.execute(
        update(OutboxDelivery)
        .where(mine)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()


async def send_due(
    session: AsyncSession,
    settings: Settings,
    *,
    limit: int = SEND_BATCH,
    notification_id: int | None = None,
) -> SendReport:
    """Send every delivery that is due now (up to `limit`; only one notification's when
    `notification_id` is given), one claim at a time."""
    report = SendReport()
    await _give_up_on_lost(session, settings)
    stmt = select(OutboxDelivery.id).where(_due(utcnow()))
    if notification_id is not None:
        stmt = stmt.where(OutboxDelivery.notification_id == notification_id)
    due = await session.scalars(stmt.order_by(OutboxDelivery.id).limit(limit))
    due_ids = due.all()
    # Every write below starts a transaction of its own: on SQLite a transaction that read first
    # cannot write once another sender has committed (SQLITE_BUSY_SNAPSHOT).
    await session.commit()
    for delivery_id in due_ids:
        claim = await _claim(session, settings, delivery_id)
        if claim is None:
            continue  # another sender has it, or it is no longer due
        delivery = await session.get(OutboxDelivery, delivery_id, populate_existing=True)
        notification = (
            await session.get(Notification, delivery.notification_id) if delivery else None
        )
        await session.commit()
        if delivery is None or notification is None:
            continue  # deleted with its company meanwhile
        error: DeliveryError | None = None
        done = anyio.Event()
        async with anyio.create_task_group() as group:
            group.start_soon(_renew_lease, session, settings, delivery.id, claim, done)
            try:
                await deliver(settings, delivery, notification)
            except DeliveryError as exc:  # ChannelOff too: the channel was switched off since
                error = exc
            finally:
                done.set()
        await _finish(session, settings, delivery, claim, error, report)
    if report.sent or report.failed or report.retrying:
        log.info("notification.sent", **report.as_dict())
    return report
