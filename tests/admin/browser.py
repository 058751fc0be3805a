"""Helpers for the admin UI's browser tests: a live app on loopback, axe-core in the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, ConsoleMessage, Page, Response, expect, sync_playwright

from tests.support.live_app import ROOT_EMAIL, ROOT_PASSWORD, Live, bearer, free_port, live_app
from tests.support.mindar_browser import CHROMIUM, CLOSED_NETWORK_ARGS

__all__ = ["ROOT_EMAIL", "ROOT_PASSWORD", "Live", "bearer", "free_port", "live_app"]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def add_company_admin(app: Live, company: str, email: str, password: str) -> int:
    """A company and its company admin, through the API; the company's id."""
    created = app.root.post("/api/companies", json={"name": company})
    assert created.status_code == 201, created.text
    user = app.root.post(
        "/api/users",
        json={"email": email, "password": password, "role": "company_admin",
              "company_id": created.json()["id"]},
    )  # fmt: skip
    assert user.status_code == 201, user.text
    company_id: int = created.json()["id"]
    return company_id


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, with no network beyond loopback."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CLOSED_NETWORK_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, base_url: str, email: str, password: str) -> None:
    page.goto(base_url + "/admin/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as it is now.

    axe is evaluated through the DevTools protocol, so the page's CSP stays on."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["html"][:200] for n in v["nodes"][:3]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]  # fmt: skip


def assert_accessible(page: Page) -> None:
    violations = axe_violations(page)
    assert not violations, f"{page.url}: {violations}"


def watch(page: Page) -> list[str]:
    """Script errors, CSP refusals, failed files and server errors of the page, as they happen
    (a 4xx the page shows as a message, like a wrong login or a refused upload, is not one)."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Failed loads are judged by their responses below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def on_response(response: Response) -> None:
        request = response.request
        answered = request.method != "GET" or request.resource_type in ("document", "xhr")
        if response.status >= 500 or (response.status >= 400 and not answered):
            problems.append(f"{response.status} {request.method} {response.url}")

    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", on_console)
    page.on("response", on_response)
    return problems
