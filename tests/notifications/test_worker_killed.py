"""A real worker (with Beat) killed while the SMTP server holds its message mid-send: after a
restart the warning is delivered, once."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from fastapi import FastAPI

from tests.notifications.fakes import SmtpRecorder
from tests.notifications.helpers import configure, deliveries, expiring, run, until
from tests.support.tenants import Tenant
from tests.support.worker import running_worker
from vertex_ar.core.settings import Settings
from vertex_ar.notifications.models import DeliveryStatus


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SMTP_HOST": settings.smtp_host, "SMTP_PORT": str(settings.smtp_port),
        "SMTP_STARTTLS": "false", "SMTP_FROM": settings.smtp_from,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "EXPIRY_WARNING_CHECK_SECONDS": "1", "NOTIFICATION_SEND_SECONDS": "1",
        "NOTIFICATION_LEASE_SECONDS": "3", "NOTIFICATION_TIMEOUT_SECONDS": "300",
    }  # fmt: skip


async def test_worker_killed_mid_send_delivers_once_after_restart(
    app: FastAPI, settings: Settings, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder,
    tmp_path: Path,
) -> None:  # fmt: skip
    await configure(tenant_a.admin, tenant_a.company_id, telegram_chat_ids=[])
    await expiring(tenant_a, clips, 6, title="Killed mid-send")
    mail.stall.set()  # the server takes the message and does not answer
    log = tmp_path / "worker.log"
    with running_worker(settings, log, **_env(settings)) as worker:
        await until(
            lambda: asyncio.to_thread(mail.stalled.wait, 0.5), 180, "the worker's SMTP send"
        )
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its Beat, mid-send
        await asyncio.to_thread(worker.wait, 30)
    row = (await deliveries(app))[0]
    assert (row.status, row.attempts) == (DeliveryStatus.sending, 1)
    mail.stall.clear()  # the server is well again; the dead client's message was never accepted
    assert mail.messages == []

    log2 = tmp_path / "worker2.log"
    with running_worker(settings, log2, **_env(settings)):

        async def sent() -> bool:
            return (await deliveries(app))[0].status is DeliveryStatus.sent

        await until(sent, 180, "the restarted worker to deliver the warning")
    assert len(mail.messages) == 1
    assert "Killed mid-send" in mail.messages[0].get_content()
    row = (await deliveries(app))[0]
    assert row.attempts == 2 and row.last_error is None
    assert (await run(app, "send-notifications"))["sent"] == 0
    assert (await run(app, "expiry-warnings"))["warned"] == {}
    assert len(mail.messages) == 1
    inbox = (await tenant_a.admin.get("/api/notifications")).json()
    assert inbox["total"] == 1
