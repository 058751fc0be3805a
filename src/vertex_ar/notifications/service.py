"""A company's notification settings, its test message, and its inbox."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.core.db import utcnow
from vertex_ar.core.errors import NotFound
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
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
from vertex_ar.notifications.events import locale_of, preferences, thresholds
from vertex_ar.notifications.models import Notification, NotificationSettings
from vertex_ar.notifications.repository import NotificationRepository
from vertex_ar.notifications.schemas import (
    NotificationSettingsIn,
    NotificationSettingsRead,
    TestChannel,
    TestReport,
    TestResult,
)


class NotificationService:
    def __init__(self, session: AsyncSession, subject: AuthSubject, settings: Settings) -> None:
        self.session = session
        self.subject = subject
        self.settings = settings
        self.companies = CompanyRepository(session, subject)
        self.repository = NotificationRepository(session, subject)

    def _read(
        self, company: Company, prefs: NotificationSettings | None
    ) -> NotificationSettingsRead:
        return NotificationSettingsRead(
            company_id=company.id,
            emails=list(prefs.emails) if prefs else [],
            telegram_chat_ids=list(prefs.telegram_chat_ids) if prefs else [],
            expiry_warning_days=sorted(thresholds(prefs), reverse=True),
            locale=locale_of(prefs),
            channels_available={
                "email": email_configured(self.settings),
                "telegram": telegram_configured(self.settings),
            },
        )

    async def get_settings(self, company_id: int) -> NotificationSettingsRead:
        company = await self.companies.get(company_id)  # another tenant's: 404
        return self._read(company, await preferences(self.session, company.id))

    async def put_settings(
        self, company_id: int, data: NotificationSettingsIn
    ) -> NotificationSettingsRead:
        company = await self.companies.get(company_id)
        self.subject.require_team_admin()
        prefs = await preferences(self.session, company.id)
        if prefs is None:
            prefs = NotificationSettings(company_id=company.id)
            self.session.add(prefs)
        prefs.emails = [str(e) for e in data.emails]
        prefs.telegram_chat_ids = list(data.telegram_chat_ids)
        prefs.expiry_warning_days = list(data.expiry_warning_days)
        prefs.locale = data.locale
        prefs.updated_at = utcnow()
        await self.session.commit()
        return self._read(company, prefs)

    async def send_test(self, company_id: int) -> TestReport:
        """Send a test message to every configured recipient now (not through the outbox)."""
        company = await self.companies.get(company_id)
        self.subject.require_team_admin()
        prefs = await preferences(self.session, company.id)
        locale = locale_of(prefs)
        text = templates.test_message(locale, company.name)
        recipients = (prefs.emails, prefs.telegram_chat_ids) if prefs else ([], [])
        # At once, not one after another: an unreachable server costs one timeout, not one each.
        emails, chats = await asyncio.gather(
            asyncio.gather(*(self._email(address, text) for address in recipients[0])),
            asyncio.gather(*(self._telegram(chat, locale, text) for chat in recipients[1])),
        )
        return TestReport(
            channels=[
                self._channel("email", email_configured(self.settings), emails, "SMTP_HOST"),
                self._channel(
                    "telegram", telegram_configured(self.settings), chats, "TELEGRAM_BOT_TOKEN"
                ),
            ]
        )

    async def _email(self, address: str, text: templates.Text) -> TestResult:
        local_part = f"vertex-ar.test-{secrets.token_hex(8)}"
        email = Email(address, text.subject, text.body, message_id(self.settings, local_part))
        try:
            await send_email(self.settings, email)
        except DeliveryError as exc:
            return TestResult(channel="email", recipient=address, ok=False, error=str(exc))
        return TestResult(channel="email", recipient=address, ok=True)

    async def _telegram(self, chat: str, locale: str, text: templates.Text) -> TestResult:
        try:
            await send_telegram(self.settings, chat, templates.telegram_text(locale, text))
        except DeliveryError as exc:
            return TestResult(channel="telegram", recipient=chat, ok=False, error=str(exc))
        return TestResult(channel="telegram", recipient=chat, ok=True)

    @staticmethod
    def _channel(
        name: str, available: bool, results: list[TestResult], setting: str
    ) -> TestChannel:
        note = None
        if not available:
            note = f"{name} is not configured on this platform ({setting} is empty)"
        elif not results:
            note = f"no {name} recipients are configured for this company"
        return TestChannel(channel=name, available=available, results=results, note=note)

    async def inbox(
        self, page: PageParams, *, company_id: int | None, unread: bool | None
    ) -> tuple[Sequence[Notification], int]:
        stmt = self.repository.select()
        if company_id is not None:
            if not self.subject.can_see_company(company_id):
                raise NotFound(f"company {company_id} not found")
            stmt = stmt.where(Notification.company_id == company_id)
        if unread is True:
            stmt = stmt.where(Notification.read_at.is_(None))
        elif unread is False:
            stmt = stmt.where(Notification.read_at.is_not(None))
        return await self.repository.page(stmt, limit=page.limit, offset=page.offset)

    async def mark_read(self, notification_id: int) -> Notification:
        row = await self.repository.get(notification_id)
        if row.read_at is None:
            row.read_at = utcnow()
            await self.session.commit()
        return row
