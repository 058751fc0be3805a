"""The Notifications page in Chromium: a company admin saves the company's recipients, sends a
test message that the loopback SMTP server (aiosmtpd) receives, and sees it delivered; axe-core
checks the page before and after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.admin.browser import (
    Live,
    add_company_admin,
    assert_accessible,
    chromium,
    live_app,
    log_in,
    watch,
)
from tests.notifications.fakes import SmtpRecorder, smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

ADMIN_EMAIL, ADMIN_PASSWORD = "notices@print.example.com", "notices-password"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[SmtpRecorder, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, smtp: tuple[SmtpRecorder, int]
) -> Iterator[Live]:
    folder: Path = tmp_path_factory.mktemp("notifications")
    overrides = {"smtp_host": "127.0.0.1", "smtp_port": smtp[1], "smtp_starttls": False,
                 "smtp_from": "Vertex AR <noreply@vertex-ar.test>"}  # fmt: skip
    with live_app(folder, **overrides) as app:
        add_company_admin(app, "Notice Prints", ADMIN_EMAIL, ADMIN_PASSWORD)
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def test_company_admin_saves_and_sends_a_test_message(
    live: Live, browser: Browser, smtp: tuple[SmtpRecorder, int]
) -> None:
    mail = smtp[0]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    problems = watch(page)
    log_in(page, live.base_url, ADMIN_EMAIL, ADMIN_PASSWORD)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Notifications").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_text("No notifications yet.")).to_be_visible()
    assert_accessible(page)

    # A wrong address: the message sits next to the field, nothing is saved.
    page.get_by_label("Emails").fill("ops@notice.example\nnot-an-address")
    page.get_by_role("button", name="Save", exact=True).click()
    emails = page.get_by_label("Emails")
    expect(emails).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#n-emails-error")).to_contain_text("emails.1")
    assert_accessible(page)

    emails.fill("ops@notice.example")
    page.get_by_label("Warn days before expiry").fill("14, 3")
    page.get_by_label("Language of the messages").select_option("ru")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("Warn days before expiry")).to_have_value("14, 3")

    page.get_by_role("button", name="Send test message").click()
    report = page.get_by_role("status").filter(has_text="Test message results")
    expect(report).to_contain_text("ops@notice.example: Delivered")
    assert_accessible(page)
    assert [m["X-Envelope-To"] for m in mail.messages] == ["ops@notice.example"]
    assert "Notice Prints" in str(mail.messages[0]["Subject"])
    assert "проверочное сообщение" in mail.messages[0].get_content()  # the saved language

    company = live.root.get("/api/companies").json()["items"][0]
    stored = live.root.get(f"/api/companies/{company['id']}/notifications").json()
    assert stored["emails"] == ["ops@notice.example"]
    assert stored["expiry_warning_days"] == [14, 3] and stored["locale"] == "ru"
    assert not problems, problems
    context.close()
