"""The notification tests' app sends to loopback servers: SMTP (aiosmtpd) and a Telegram fake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.notifications.fakes import (
    FakeTelegram,
    SmtpRecorder,
    smtp_server,
    telegram_server,
)
from vertex_ar.core.settings import Settings

BOT_TOKEN = "123456:test-token-AAAA"


@pytest.fixture
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def telegram() -> Iterator[tuple[FakeTelegram, str]]:
    with telegram_server(BOT_TOKEN) as server:
        yield server


@pytest.fixture
def mail(smtp: tuple[SmtpRecorder, int]) -> SmtpRecorder:
    return smtp[0]


@pytest.fixture
def bot(telegram: tuple[FakeTelegram, str]) -> FakeTelegram:
    return telegram[0]


@pytest.fixture
def settings(
    settings: Settings, smtp: tuple[SmtpRecorder, int], telegram: tuple[FakeTelegram, str]
) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp[1],
            "smtp_starttls": False,  # aiosmtpd without a certificate
            "smtp_from": "Vertex AR <noreply@vertex-ar.test>",
            "telegram_bot_token": BOT_TOKEN,
            "telegram_api_url": telegram[1],
            "notification_retry_seconds": 1,
            "notification_timeout_seconds": 10.0,
            "public_base_url": "https://ar.example.test",
        }
    )
