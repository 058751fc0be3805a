"""Messages to the platform's operators (OPERATOR_EMAILS, OPERATOR_TELEGRAM_CHAT_IDS), not to a
company: a failed backup.

They go through the same outbox as a company's messages: a `Notification` with no company (in
no company's inbox; a superadmin's `GET /api/notifications` lists it) and one delivery per
operator address, sent at once by the process that saw the failure (the backup CLI or the Beat
task) and retried by `send-notifications` if a server was down.

A backup can fail because the database is down, and then the outbox cannot record anything: the
message is sent straight to the operators instead (best effort, once, no retry) and the error is
logged, so that the failure is never silent.
"""

from __future__ import annotations

import asyncio
import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import structlog

from vertex_ar.core.db import Database, utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.notifications import templates
from vertex_ar.notifications.channels import (
    DeliveryError,
    Email,
    email_configured,
    message_id,
    send_email,
    send_telegram,
    telegram_configured,
)
from vertex_ar.notifications.outbox import Recipients, publish, record, send_due

log = structlog.get_logger(__name__)

BACKUP_FAILED = "backup_failed"


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def operator_recipients(settings: Settings) -> Recipients:
    return Recipients(
        emails=_split(settings.operator_emails),
        telegram_chat_ids=_split(settings.operator_telegram_chat_ids),
    )


async def _through_outbox(
    settings: Settings, key: str, kind: str, text: templates.Text, payload: dict[str, Any]
) -> dict[str, int]:
    database = Database(settings.database_url, pooled=False)
    try:
        async with database.sessions() as session:
            notification_id = await record(
                session, company_id=None, key=key, kind=kind, payload=payload
            )
            if notification_id is None:  # told before (the same key): nothing new
                await session.rollback()
                return {"sent": 0, "retrying": 0, "failed": 0}
            recipients = operator_recipients(settings)
            await publish(session, settings, notification_id, text, recipients, payload)
            await session.commit()
            report = await send_due(session, settings, notification_id=notification_id)
            return report.as_dict()
    finally:
        await database.dispose()


async def _straight(settings: Settings, key: str, text: templates.Text) -> int:
    """The outbox is unreachable: send to each operator once, without a record; the count sent."""
    recipients = operator_recipients(settings)
    sent = 0
    if email_configured(settings):
        for address in recipients.emails:
            local_part = f"vertex-ar.operator-{secrets.token_hex(8)}"
            try:
                await send_email(
                    settings,
                    Email(address, text.subject, text.body, message_id(settings, local_part)),
                )
                sent += 1
            except DeliveryError as exc:
                log.error("notification.operator_send_failed", key=key, error=str(exc)[:300])
    if telegram_configured(settings):
        for chat in recipients.telegram_chat_ids:
            try:
                await send_telegram(settings, chat, templates.telegram_text("en", text))
                sent += 1
            except DeliveryError as exc:
                log.error("notification.operator_send_failed", key=key, error=str(exc)[:300])
    return sent


async def tell_operators(
    settings: Settings, key: str, kind: str, text: templates.Text, payload: dict[str, Any]
) -> dict[str, Any]:
    """Record the message for the operators in the outbox and send it; without a database, send
    it straight. What happened, for the log."""
    recipients = operator_recipients(settings)
    if not recipients.emails and not recipients.telegram_chat_ids:
        log.warning("notification.no_operators", kind=kind)
        return {"outbox": False, "sent": 0}
    try:
        with anyio.fail_after(max(10.0, settings.notification_timeout_seconds * 3)):
            report = await _through_outbox(settings, key, kind, text, payload)
        return {"outbox": True, **report}
    except Exception as exc:  # the database (or the outbox) is unreachable: never stay silent
        log.error("notification.outbox_unreachable", kind=kind, error=str(exc)[:300])
        return {"outbox": False, "sent": await _straight(settings, key, text)}


def backup_failed(settings: Settings, error: str) -> dict[str, Any]:
    """Tell the operators that a backup failed (a synchronous caller: the backup CLI or task)."""
    when = utcnow()
    text = templates.backup_failed(when.strftime("%Y-%m-%d %H:%M:%S UTC"), error)
    key = f"{BACKUP_FAILED}:at={when.isoformat()}"
    payload = {"locale": "en", "error": error, "at": when.isoformat()}
    # A thread of its own: the caller may or may not run an event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(
            asyncio.run, tell_operators(settings, key, BACKUP_FAILED, text, payload)
        ).result()
