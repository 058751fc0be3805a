"""A failed backup tells the operators (OPERATOR_EMAILS, OPERATOR_TELEGRAM_CHAT_IDS), not a
company: through the outbox when the database answers (a superadmin sees it in the inbox, no
company does), and straight to them when the database is what failed."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import make_url, select

from tests.backups.test_backup_cli import _cli
from tests.notifications.conftest import BOT_TOKEN
from tests.notifications.fakes import FakeTelegram, SmtpRecorder
from tests.support.api import Api
from tests.support.backends import Backend
from tests.support.tenants import Tenant
from vertex_ar.core.settings import Settings
from vertex_ar.notifications.models import DeliveryStatus, Notification, OutboxDelivery
from vertex_ar.notifications.operators import BACKUP_FAILED


def _operators(settings: Settings) -> dict[str, str]:
    return {
        "SMTP_HOST": settings.smtp_host,
        "SMTP_PORT": str(settings.smtp_port),
        "SMTP_STARTTLS": "false",
        "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "OPERATOR_EMAILS": "oncall@ops.example, lead@ops.example",
        "OPERATOR_TELEGRAM_CHAT_IDS": "-100777",
    }


async def test_a_failed_backup_emails_the_operators_once_through_the_outbox(
    app: FastAPI,
    settings: Settings,
    superadmin: Api,
    tenant_a: Tenant,
    mail: SmtpRecorder,
    bot: FakeTelegram,
    tmp_path: Path,
) -> None:
    not_a_folder = tmp_path / "backup-disk"
    not_a_folder.write_text("the backup disk is not mounted")
    done = _cli(settings, "create", "--dir", str(not_a_folder / "backups"), **_operators(settings))
    assert done.returncode == 1
    assert '"event": "backup.failed"' in done.stderr

    assert sorted(m["X-Envelope-To"] for m in mail.messages) == [
        "lead@ops.example", "oncall@ops.example"
    ]  # fmt: skip
    message = mail.messages[0]
    assert message["Subject"] == "Vertex AR: a backup failed"
    assert "Not a directory" in message.get_content()
    assert [str(m["chat"]["id"]) for m in bot.messages] == ["-100777"]
    assert "a backup failed" in bot.messages[0]["text"]

    async with app.state.database.sessions() as session:
        rows = (await session.scalars(select(Notification))).all()
        deliveries = (await session.scalars(select(OutboxDelivery))).all()
    assert [(r.kind, r.company_id) for r in rows] == [(BACKUP_FAILED, None)]
    assert sorted((d.recipient, d.status) for d in deliveries) == [
        ("-100777", DeliveryStatus.sent),
        ("lead@ops.example", DeliveryStatus.sent),
        ("oncall@ops.example", DeliveryStatus.sent),
    ]
    inbox = (await superadmin.get("/api/notifications")).json()
    assert [(i["kind"], i["company_id"]) for i in inbox["items"]] == [(BACKUP_FAILED, None)]
    assert (await tenant_a.admin.get("/api/notifications")).json()["total"] == 0


async def test_a_backup_that_cannot_reach_the_database_still_tells_the_operators(
    app: FastAPI, backend: Backend, settings: Settings, mail: SmtpRecorder, tmp_path: Path
) -> None:
    if backend.name == "sqlite":
        damaged = tmp_path / "damaged.db"
        damaged.write_bytes(b"not a database, whatever the name says" * 100)
        broken = f"sqlite+aiosqlite:///{damaged}"
    else:
        url = make_url(settings.database_url).set(database="no_such_database_here")
        broken = url.render_as_string(hide_password=False)
    done = _cli(
        settings, "create", "--dir", str(tmp_path / "backups"), DATABASE_URL=broken,
        **_operators(settings),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "the database cannot be read" in done.stderr
    assert '"event": "notification.outbox_unreachable"' in done.stderr
    assert sorted(m["X-Envelope-To"] for m in mail.messages) == [
        "lead@ops.example", "oncall@ops.example"
    ]  # fmt: skip
    assert mail.messages[0]["Subject"] == "Vertex AR: a backup failed"
    async with app.state.database.sessions() as session:
        assert (await session.scalars(select(Notification))).all() == []
