"""The two channels: email over SMTP (smtplib in a thread) and Telegram's Bot API (httpx).

Each send either returns (the server accepted the message) or raises `DeliveryError`, which says
whether trying again could help. Errors never carry the SMTP password or the bot token.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

import anyio
import httpx

from vertex_ar.core.settings import Settings


class DeliveryError(Exception):
    def __init__(
        self, message: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class ChannelOff(DeliveryError):
    """The platform has no SMTP server or no bot token: nothing can be sent on the channel."""

    def __init__(self, message: str) -> None:
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    body: str
    message_id: str  # stable per delivery: a resent copy carries the same id


def email_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


def telegram_configured(settings: Settings) -> bool:
    return bool(settings.telegram_bot_token)


def message_id(settings: Settings, local_part: str) -> str:
    domain = parseaddr(settings.smtp_from)[1].rpartition("@")[2] or "vertex-ar.local"
    return f"<{local_part}@{domain}>"


def _build(settings: Settings, email: Email) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = email.message_id
    message.set_content(email.body)
    return message


def _smtp_send(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.notification_timeout_seconds
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        smtp.send_message(message)


async def send_email(settings: Settings, email: Email) -> None:
    if not email_configured(settings):
        raise ChannelOff("email is not configured on this platform (SMTP_HOST is empty)")
    message = _build(settings, email)
    try:
        await anyio.to_thread.run_sync(_smtp_send, settings, message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise DeliveryError(
            f"the SMTP server refused the recipient (codes {codes})",
            permanent=all(500 <= code < 600 for code in codes),
        ) from exc
    except smtplib.SMTPResponseException as exc:
        reason = (
            exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        )
        raise DeliveryError(
            f"SMTP {exc.smtp_code}: {reason[:200]}", permanent=500 <= exc.smtp_code < 600
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, disconnected, TLS
        raise DeliveryError(f"SMTP server unreachable: {type(exc).__name__}: {exc}") from exc


def _redact(settings: Settings, value: str) -> str:
    token = settings.telegram_bot_token
    return value.replace(token, "<token>") if token else value


async def send_telegram(settings: Settings, chat_id: str, text: str) -> None:
    if not telegram_configured(settings):
        raise ChannelOff(
            "Telegram is not configured on this platform (TELEGRAM_BOT_TOKEN is empty)"
        )
    url = f"{settings.telegram_api_url.rstrip('/')}/bot{settings.telegram_bot_token}/sendMessage"
    payload = {"chat_id": chat_id, "text": text, "disable_web_page_preview": True}
    try:
        async with httpx.AsyncClient(timeout=settings.notification_timeout_seconds) as http:
            response = await http.post(url, json=payload)
    except httpx.HTTPError as exc:
        detail = _redact(settings, f"{type(exc).__name__}: {exc}")
        raise DeliveryError(f"Telegram unreachable: {detail}") from exc
    try:
        body: Any = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code == 200 and body.get("ok") is True:
        return
    description = _redact(settings, str(body.get("description") or response.reason_phrase))
    parameters = body.get("parameters") if isinstance(body.get("parameters"), dict) else {}
    retry_after = parameters.get("retry_after") if parameters else None
    raise DeliveryError(
        f"Telegram {response.status_code}: {description[:200]}",
        # 400 (chat not found, bad request), 401 (token), 403 (bot blocked or kicked): no retry
        # helps; 429 (flood control, says when to come back) and 5xx may pass later.
        permanent=response.status_code in (400, 401, 403, 404),
        retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
    )
