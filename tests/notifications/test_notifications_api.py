"""`/api/companies/{id}/notifications` (settings, test message) and `/api/notifications` (inbox):
validation, permissions, and tenants kept apart."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.notifications.fakes import FakeTelegram, SmtpRecorder, telegram_error
from tests.notifications.helpers import configure, expiring, run
from tests.support.api import Api, login
from tests.support.tenants import TENANT_ADMIN_PASSWORD, Tenant


async def _settings(api: Api, company_id: int) -> Any:
    return await api.get(f"/api/companies/{company_id}/notifications")


async def test_defaults_then_put_and_get(tenant_a: Tenant) -> None:
    url = f"/api/companies/{tenant_a.company_id}/notifications"
    default = (await tenant_a.admin.get(url)).json()
    assert default == {
        "company_id": tenant_a.company_id, "emails": [], "telegram_chat_ids": [],
        "expiry_warning_days": [7, 1], "locale": "en",
        "channels_available": {"email": True, "telegram": True},
    }  # fmt: skip
    body = {
        "emails": ["Ops@Alpha.example", "ops@alpha.example", "boss@alpha.example"],
        "telegram_chat_ids": ["-1001234567890", "@alpha_prints"],
        "expiry_warning_days": [1, 14, 7, 14],
        "locale": "ru",
    }
    saved = await tenant_a.admin.put(url, json=body)
    assert saved.status_code == 200, saved.text
    assert saved.json()["emails"] == ["ops@alpha.example", "boss@alpha.example"]
    assert saved.json()["expiry_warning_days"] == [14, 7, 1]
    assert (await tenant_a.admin.get(url)).json() == saved.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emails": ["not-an-email"]}, "emails.0"),
        ({"emails": [f"u{i}@x.example" for i in range(21)]}, "emails"),
        ({"expiry_warning_days": [0]}, "expiry_warning_days.0"),
        ({"expiry_warning_days": [7, 366]}, "expiry_warning_days.1"),
        ({"expiry_warning_days": list(range(1, 12))}, "expiry_warning_days"),
        ({"telegram_chat_ids": ["12a"]}, "telegram_chat_ids.0"),
        ({"locale": "de"}, "locale"),
        ({"emails": "ops@alpha.example"}, "emails"),
    ],
)
async def test_bad_settings_answer_422_naming_the_field(
    tenant_a: Tenant, body: dict[str, Any], field: str
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id)
    before = (await _settings(tenant_a.admin, tenant_a.company_id)).json()
    response = await tenant_a.admin.put(
        f"/api/companies/{tenant_a.company_id}/notifications", json=body
    )
    assert response.status_code == 422, response.text
    assert field in [d["field"] for d in response.json()["error"]["details"]]
    assert (await _settings(tenant_a.admin, tenant_a.company_id)).json() == before


async def test_tenants_cannot_touch_each_others_notifications(
    app: FastAPI, superadmin: Api, tenant_a: Tenant, tenant_b: Tenant, clips: list[bytes],
    mail: SmtpRecorder,
) -> None:  # fmt: skip
    await configure(tenant_b.admin, tenant_b.company_id, emails=["desk@beta.example"])
    await expiring(tenant_b, clips, 2)
    await run(app, "expiry-warnings")
    b_url = f"/api/companies/{tenant_b.company_id}/notifications"
    a = tenant_a.admin
    assert (await a.get(b_url)).status_code == 404
    assert (await a.put(b_url, json={"emails": ["thief@alpha.example"]})).status_code == 404
    assert (await a.post(f"{b_url}/test")).status_code == 404
    assert len(mail.messages) == 1  # the warning only: no test message went out
    assert (await _settings(tenant_b.admin, tenant_b.company_id)).json()["emails"] == [
        "desk@beta.example"
    ]
    assert (await a.get("/api/notifications")).json()["total"] == 0
    listed = await a.get(f"/api/notifications?company_id={tenant_b.company_id}")
    assert listed.status_code == 404
    b_inbox = (await tenant_b.admin.get("/api/notifications")).json()
    assert b_inbox["total"] == 1
    b_id = b_inbox["items"][0]["id"]
    assert (await a.post(f"/api/notifications/{b_id}/read")).status_code == 404
    assert (await tenant_b.admin.get("/api/notifications")).json()["items"][0]["read"] is False

    # The superadmin sees every inbox, filters by company, and sets any company's settings.
    assert (await superadmin.get("/api/notifications")).json()["total"] == 1
    only_a = await superadmin.get(f"/api/notifications?company_id={tenant_a.company_id}")
    assert only_a.json()["total"] == 0
    put = await superadmin.put(b_url, json={"emails": ["root@beta.example"]})
    assert put.status_code == 200 and put.json()["emails"] == ["root@beta.example"]


async def test_only_admins_change_settings(superadmin: Api, tenant_a: Tenant) -> None:
    url = f"/api/companies/{tenant_a.company_id}/notifications"
    for role in ("editor", "viewer"):
        email = f"{role}@alpha.example"
        created = await superadmin.post(
            "/api/users", json={"email": email, "password": TENANT_ADMIN_PASSWORD, "role": role,
                                "company_id": tenant_a.company_id},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        user = await login(superadmin.http, email, TENANT_ADMIN_PASSWORD)
        assert (await user.get(url)).status_code == 200
        assert (await user.put(url, json={"emails": ["x@alpha.example"]})).status_code == 403
        assert (await user.post(f"{url}/test")).status_code == 403
        assert (await user.get("/api/notifications")).status_code == 200


async def test_inbox_read_and_unread(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder
) -> None:
    await expiring(tenant_a, clips, 2)
    await run(app, "expiry-warnings")
    unread = (await tenant_a.admin.get("/api/notifications?unread=true")).json()
    assert unread["total"] == 1
    notification_id = unread["items"][0]["id"]
    marked = await tenant_a.admin.post(f"/api/notifications/{notification_id}/read")
    assert marked.status_code == 200 and marked.json()["read"] is True
    assert (await tenant_a.admin.get("/api/notifications?unread=true")).json()["total"] == 0
    assert (await tenant_a.admin.get("/api/notifications?unread=false")).json()["total"] == 1
    assert (await tenant_a.admin.post("/api/notifications/999999/read")).status_code == 404


async def test_test_message_reports_each_channel(
    tenant_a: Tenant, mail: SmtpRecorder, bot: FakeTelegram
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id,
                    telegram_chat_ids=["-100123", "-100999"], locale="ru")  # fmt: skip
    bot.chat_answers["-100999"] = telegram_error(
        403, "Forbidden: bot was kicked from the group chat"
    )
    response = await tenant_a.admin.post(f"/api/companies/{tenant_a.company_id}/notifications/test")
    assert response.status_code == 200, response.text
    channels = {c["channel"]: c for c in response.json()["channels"]}
    assert channels["email"]["results"] == [
        {"channel": "email", "recipient": "ops@alpha.example", "ok": True, "error": None}
    ]
    telegram = channels["telegram"]["results"]
    assert [(r["recipient"], r["ok"]) for r in telegram] == [("-100123", True), ("-100999", False)]
    assert "403" in telegram[1]["error"] and "kicked" in telegram[1]["error"]
    assert len(mail.messages) == 1 and "проверка" in mail.messages[0]["Subject"]
    assert [m["chat"]["id"] for m in bot.messages] == ["-100123"]


async def test_no_thresholds_no_warnings(
    app: FastAPI, tenant_a: Tenant, clips: list[bytes], mail: SmtpRecorder
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id, expiry_warning_days=[])
    settings = (await _settings(tenant_a.admin, tenant_a.company_id)).json()
    assert settings["expiry_warning_days"] == []
    await expiring(tenant_a, clips, 1)
    assert (await run(app, "expiry-warnings"))["warned"] == {}
    assert mail.messages == []


async def test_test_message_without_channels_says_so(
    app: FastAPI, tenant_a: Tenant, mail: SmtpRecorder
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"telegram_bot_token": "", "smtp_host": ""}
    )
    await configure(tenant_a.admin, tenant_a.company_id)
    response = await tenant_a.admin.post(f"/api/companies/{tenant_a.company_id}/notifications/test")
    channels = {c["channel"]: c for c in response.json()["channels"]}
    assert channels["telegram"]["available"] is False
    assert "TELEGRAM_BOT_TOKEN" in channels["telegram"]["note"]
    assert channels["telegram"]["results"][0]["ok"] is False
    assert "SMTP_HOST" in channels["email"]["note"]
    assert mail.messages == []
