# ruff: noqa: F811  (the loopback SMTP/Telegram fixtures are imported, then requested by name)
"""The admin Notifications page over HTTP: a company admin edits the settings (errors next to the
field, nothing half-saved), sends a test to the loopback SMTP server and Telegram fake, reads the
inbox and marks a message read; editors and viewers only read; tenants stay apart."""

from __future__ import annotations

import re

from fastapi import FastAPI

from tests.admin.test_admin_http import _browser, _csrf, _log_in, _member
from tests.notifications.conftest import bot, mail, settings, smtp, telegram  # noqa: F401
from tests.notifications.fakes import FakeTelegram, SmtpRecorder, telegram_error
from tests.notifications.helpers import configure, expiring, run
from tests.support.tenants import Tenant

ALPHA_ADMIN, BETA_ADMIN = "admin@alpha-prints.example.com", "admin@beta-posters.example.com"
PASSWORD = "tenant-password"
PAGE = "/admin/notifications"


def _form(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "emails": "", "telegram_chat_ids": "",
            "expiry_warning_days": "7, 1", "locale": "en", **fields}  # fmt: skip


async def test_company_admin_saves_settings_and_sends_a_test(
    app: FastAPI,
    tenant_a: Tenant,
    mail: SmtpRecorder,
    bot: FakeTelegram,
) -> None:
    url = f"/api/companies/{tenant_a.company_id}/notifications"
    save = f"{PAGE}/{tenant_a.company_id}"
    async with await _browser(app) as http:
        await _log_in(http, ALPHA_ADMIN, PASSWORD)
        page = await http.get(PAGE)
        assert page.status_code == 200
        assert f'href="{PAGE}" aria-current="page"' in page.text
        assert f'action="{save}"' in page.text and 'value="7, 1"' in page.text
        token = await _csrf(http, PAGE)

        forged = await http.post(save, data=_form("", emails="ops@alpha.example"))
        assert forged.status_code == 403
        bad = await http.post(
            save, data=_form(token, emails="ops@alpha.example\nnot-an-address", locale="ru")
        )
        assert bad.status_code == 422
        assert 'id="n-emails-error"' in bad.text and "emails.1" in bad.text
        assert 'aria-invalid="true" aria-describedby="n-emails-hint n-emails-error"' in bad.text
        assert "not-an-address" in bad.text  # what was typed stays in the form
        days = await http.post(save, data=_form(token, expiry_warning_days="7, soon"))
        assert days.status_code == 422 and 'id="n-expiry_warning_days-error"' in days.text
        chat = await http.post(save, data=_form(token, telegram_chat_ids="not a chat"))
        assert chat.status_code == 422 and 'id="n-telegram_chat_ids-error"' in chat.text
        assert (await tenant_a.admin.get(url)).json()["emails"] == []  # nothing half-written

        good = await http.post(
            save,
            data=_form(token, emails="Ops@Alpha.example, boss@alpha.example",
                       telegram_chat_ids="-100123\n@alpha_prints", expiry_warning_days="1,14",
                       locale="ru"),
        )  # fmt: skip
        assert good.status_code == 200, good.text
        assert "Saved." in good.text
        stored = (await tenant_a.admin.get(url)).json()
        assert stored["emails"] == ["ops@alpha.example", "boss@alpha.example"]
        assert stored["telegram_chat_ids"] == ["-100123", "@alpha_prints"]
        assert stored["expiry_warning_days"] == [14, 1] and stored["locale"] == "ru"
        assert 'value="14, 1"' in good.text

        bot.chat_answers["@alpha_prints"] = telegram_error(400, "Bad Request: chat not found")
        test = await http.post(f"{save}/test", data={"csrf_token": token})
        assert test.status_code == 200, test.text
        assert sorted(m["X-Envelope-To"] for m in mail.messages) == [
            "boss@alpha.example", "ops@alpha.example"
        ]  # fmt: skip
        assert "Alpha Prints" in mail.messages[0]["Subject"]
        assert [m["chat"]["id"] for m in bot.messages] == ["-100123"]
        results = test.text.split('id="h-n-report"')[1]
        assert results.count("Delivered") == 3
        assert "Not delivered" in results and "chat not found" in results


async def test_inbox_shows_deliveries_and_marks_read(
    app: FastAPI, tenant_a: Tenant, tenant_b: Tenant, clips: list[bytes],
    mail: SmtpRecorder,
) -> None:  # fmt: skip
    await configure(tenant_a.admin, tenant_a.company_id)
    await expiring(tenant_a, clips, 6, title="Wedding poster")
    await run(app, "expiry-warnings")
    await run(app, "send-notifications")
    assert len(mail.messages) == 1
    notification = (await tenant_a.admin.get("/api/notifications")).json()["items"][0]
    read = f"{PAGE}/inbox/{notification['id']}/read"

    async with await _browser(app) as http:  # another tenant sees none of it
        await _log_in(http, BETA_ADMIN, PASSWORD)
        other = await http.get(PAGE)
        assert other.status_code == 200 and "No notifications yet." in other.text
        token = await _csrf(http, PAGE)
        assert (await http.post(read, data={"csrf_token": token})).status_code == 404
        stolen = await http.post(f"{PAGE}/{tenant_a.company_id}", data=_form(token))
        assert stolen.status_code == 404
        tested = await http.post(f"{PAGE}/{tenant_a.company_id}/test", data={"csrf_token": token})
        assert tested.status_code == 404
    assert len(mail.messages) == 1

    viewer = await _member(tenant_a, "viewer")
    async with await _browser(app) as http:
        await _log_in(http, viewer, "member-password")
        page = await http.get(PAGE)
        assert page.status_code == 200
        assert notification["subject"] in page.text
        assert "Unread" in page.text
        row = page.text.split(notification["subject"])[1]
        assert re.search(r"email · ops@alpha\.example: <span class=\"badge badge-ready\">Sent", row)
        assert "telegram · -100123" in row
        # Read-only settings: no Save, no test; a post is refused and changes nothing.
        assert '<fieldset class="stack bare-fieldset" disabled>' in page.text
        assert ">Save<" not in page.text and "Send test message" not in page.text
        token = await _csrf(http, PAGE)
        refused = await http.post(
            f"{PAGE}/{tenant_a.company_id}", data=_form(token, emails="evil@example.com")
        )
        assert refused.status_code == 403
        assert "only a company admin" in refused.text
        refused_test = await http.post(
            f"{PAGE}/{tenant_a.company_id}/test", data={"csrf_token": token}
        )
        assert refused_test.status_code == 403
        # Reading is allowed to every member, as in the API.
        marked = await http.post(read, data={"csrf_token": token})
        assert marked.status_code == 200
        assert "Marked as read." in marked.text and "Unread" not in marked.text
    assert len(mail.messages) == 1
    settings_now = await tenant_a.admin.get(f"/api/companies/{tenant_a.company_id}/notifications")
    assert settings_now.json()["emails"] == ["ops@alpha.example"]
    inbox = (await tenant_a.admin.get("/api/notifications")).json()["items"]
    assert inbox[0]["read"] is True


async def test_superadmin_picks_the_company(
    app: FastAPI, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    await configure(tenant_b.admin, tenant_b.company_id, emails=["desk@beta.example"])
    async with await _browser(app) as http:
        await _log_in(http, "root@example.com", "root-password")
        first = await http.get(PAGE)
        assert first.status_code == 200 and 'id="n-company"' in first.text
        page = await http.get(f"{PAGE}?company={tenant_b.company_id}")
        assert page.status_code == 200
        assert "desk@beta.example" in page.text
        assert f'<option value="{tenant_b.company_id}" selected>' in page.text
        assert (await http.get(f"{PAGE}?company=999999")).status_code == 404
        token = await _csrf(http, PAGE)
        saved = await http.post(
            f"{PAGE}/{tenant_b.company_id}", data=_form(token, emails="night@beta.example")
        )
        assert saved.status_code == 200 and "Saved." in saved.text
    stored = await tenant_b.admin.get(f"/api/companies/{tenant_b.company_id}/notifications")
    assert stored.json()["emails"] == ["night@beta.example"]
