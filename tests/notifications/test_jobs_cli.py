"""`vertex-ar jobs list` and `vertex-ar jobs run NAME`: the operator runs Beat's code at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from tests.notifications.fakes import FakeTelegram, SmtpRecorder
from tests.notifications.helpers import configure, expiring
from tests.support.tenants import Tenant
from tests.support.worker import worker_env
from vertex_ar.core.settings import Settings


def _cli(settings: Settings, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = worker_env(
        settings,
        SMTP_HOST=settings.smtp_host, SMTP_PORT=str(settings.smtp_port), SMTP_STARTTLS="false",
        SMTP_FROM=settings.smtp_from, TELEGRAM_BOT_TOKEN=settings.telegram_bot_token,
        TELEGRAM_API_URL=settings.telegram_api_url, PUBLIC_BASE_URL=settings.public_base_url,
        LOG_LEVEL="WARNING",
    )  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "vertex_ar.cli", *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _result(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])["result"]


async def test_jobs_list_and_run(
    app: FastAPI, settings: Settings, tenant_a: Tenant, clips: list[bytes], tmp_path: Path,
    mail: SmtpRecorder, bot: FakeTelegram,
) -> None:  # fmt: skip
    listing = _cli(settings, tmp_path, "jobs", "list")
    assert listing.returncode == 0, listing.stderr
    names = [line.split()[0] for line in listing.stdout.splitlines()]
    assert {"expiry-warnings", "deactivate-expired", "send-notifications"} <= set(names)
    assert "notifications.expiry_warnings" in listing.stdout

    await configure(tenant_a.admin, tenant_a.company_id)
    await expiring(tenant_a, clips, 6, title="CLI poster")
    first = _result(_cli(settings, tmp_path, "jobs", "run", "expiry-warnings"))
    assert first["warned"] == {str(tenant_a.company_id): 1} and first["sent"] == 2
    again = _result(_cli(settings, tmp_path, "jobs", "run", "expiry-warnings"))
    assert again["warned"] == {} and again["sent"] == 0
    assert len(mail.messages) == 1 and len(bot.messages) == 1
    assert "CLI poster" in mail.messages[0].get_content()

    unknown = _cli(settings, tmp_path, "jobs", "run", "no-such-job")
    assert unknown.returncode == 2 and "expiry-warnings" in unknown.stderr
