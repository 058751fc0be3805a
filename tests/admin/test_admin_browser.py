"""The admin UI as an agency manager uses it, in Debian's Chromium against the running app: log
in, make a project, upload a poster and two videos through the form (with per-file progress),
watch the marker become Ready (a real Celery worker compiles it), set a daily cycle, download the
QR and decode it, open the viewer, switch to Russian, log out. axe-core checks every page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.admin.browser import (
    ROOT_EMAIL,
    ROOT_PASSWORD,
    Live,
    add_company_admin,
    assert_accessible,
    bearer,
    chromium,
    live_app,
    log_in,
    watch,
)
from tests.support import media
from tests.support.worker import running_worker

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

ADMIN_EMAIL, ADMIN_PASSWORD = "manager@print.example.com", "manager-password"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_app(tmp_path_factory.mktemp("admin")) as app:
        add_company_admin(app, "Print Shop", ADMIN_EMAIL, ADMIN_PASSWORD)
        yield app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


def _shot(page: Page, name: str) -> None:
    """Screenshots for the README, refreshed when SCREENSHOTS=1 is set."""
    if os.environ.get("SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def test_agency_journey(live: Live, browser: Browser, tmp_path: Path) -> None:
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    problems = watch(page)

    # Not logged in: the admin sends us to the login form; / leads there too.
    page.goto(live.base_url + "/")
    expect(page).to_have_url(f"{live.base_url}/admin/login?next=%2Fadmin")
    assert_accessible(page)
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    _shot(page, "login")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "vertex_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert_accessible(page)

    # A project.
    page.get_by_role("link", name="Projects").click()
    page.get_by_label("Project name").fill("Spring campaign")
    page.get_by_role("button", name="Create project").click()
    expect(page.get_by_role("heading", name="Spring campaign", level=1)).to_be_visible()
    assert_accessible(page)

    # New AR content through the form: a portrait and two videos, uploaded with progress.
    portrait = tmp_path / "poster.png"
    portrait.write_bytes(media.textured_image(480, 640, seed=7))
    clips = [tmp_path / "first.mp4", tmp_path / "second.mp4"]
    media.video(clips[0], seconds=2.0, size="160x120")
    media.video(clips[1], seconds=2.0, size="96x160")
    page.get_by_role("link", name="New AR content").first.click()
    expect(page.get_by_role("heading", name="New AR content", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Title").fill("Birthday poster")
    page.get_by_label("Project").select_option(label="Spring campaign")
    # A "portrait" that is no image: the API's message appears next to the Portrait field.
    fake = tmp_path / "not-an-image.png"
    fake.write_bytes(b"this is text, not a picture" * 10)
    page.get_by_label("Portrait").set_input_files(fake)
    page.get_by_role("button", name="Create").click()
    expect(page.locator("#portrait + .field-error")).to_contain_text("not a JPEG, PNG or WebP")
    expect(page.get_by_label("Portrait")).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith("/admin/content/new")
    page.get_by_label("Portrait").set_input_files(portrait)
    page.get_by_label("Videos").set_input_files(clips)
    _shot(page, "new-content")
    # Slow the upload down so the per-file progress is seen moving.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 150_000},
    )
    page.get_by_role("button", name="Create").click()
    bars = page.locator("[data-progress] progress")
    expect(bars).to_have_count(3)
    expect(page.get_by_role("progressbar", name="first.mp4")).to_be_visible()
    seen_partial = page.wait_for_function(
        "() => [...document.querySelectorAll('[data-progress] progress')]"
        ".some(b => b.value > 0 && b.value < 100)"
    )
    assert seen_partial
    # "Create" leads into the short setup wizard: quality check → rotation → QR.
    expect(page).to_have_url(re.compile(r".*/admin/content/\d+/setup/quality$"), timeout=60_000)
    unthrottled = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", unthrottled)
    content_id = int(page.url.split("/")[-3])
    content_url = f"{live.base_url}/admin/content/{content_id}"
    expect(page.get_by_role("heading", name="Birthday poster", level=1)).to_be_visible()
    steps = page.get_by_role("navigation", name="Setup steps")
    expect(steps.get_by_role("link", name="1. Quality check")).to_have_attribute(
        "aria-current", "step"
    )

    # The marker compiles in a real worker; the page updates by itself (htmx polling).
    with running_worker(live.settings, tmp_path / "worker.log"):
        expect(page.locator("#marker").get_by_text("Ready", exact=True)).to_be_visible(
            timeout=180_000
        )
    expect(page.locator("#marker .stars")).to_have_attribute(
        "aria-label", re.compile(r"\d of 5 stars")
    )
    expect(page.locator("#marker")).to_contain_text("Trackability")
    # The portrait is still there after the polls, with the feature-point heatmap over it.
    expect(page.locator("#marker img.portrait")).to_have_attribute("src", re.compile(r"^/media"))
    expect(page.locator("#marker .heatmap span").first).to_be_attached()
    assert_accessible(page)
    _shot(page, "setup")

    # Step 2: a daily cycle that started yesterday plays the second video today.
    page.get_by_role("link", name="Next step").click()
    expect(page.get_by_role("heading", name="Rotation", level=2)).to_be_visible()
    page.get_by_label("Daily cycle").check()
    rotation = page.locator("form.rotation-form")
    cycle = rotation.get_by_role("group", name="Daily cycle: videos in order, one per day")
    cycle.get_by_label("Video 1").check()
    cycle.get_by_label("Video 2").check()
    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    page.get_by_label("Cycle starts on").fill(yesterday)
    page.get_by_role("button", name="Save rotation").click()
    expect(page.get_by_text("Rotation saved.")).to_be_visible()
    days = page.locator("#calendar .calendar li")
    expect(days).to_have_count(30)
    expect(days.nth(0)).to_contain_text("Video 2")
    expect(days.nth(1)).to_contain_text("Video 1")
    rule = live.root.get(f"/api/ar-content/{content_id}/rotation-rule")
    assert rule.status_code == 200, rule.text
    assert rule.json()["type"] == "daily_cycle"
    assert rule.json()["config"]["start_date"] == yesterday
    assert_accessible(page)

    # Step 3, the QR code: downloaded as PNG, decoded back to the viewer's URL.
    page.get_by_role("link", name="Next step").click()
    expect(page.get_by_role("heading", name="QR code", level=2)).to_be_visible()
    assert_accessible(page)
    content = live.root.get(f"/api/ar-content/{content_id}").json()
    viewer_url = f"{live.base_url}/ar/{content['unique_id']}"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download QR (PNG)").click()
    png = tmp_path / "qr.png"
    download_info.value.save_as(png)
    image = cv2.imdecode(np.frombuffer(png.read_bytes(), np.uint8), cv2.IMREAD_GRAYSCALE)
    decoded, _points, _straight = cv2.QRCodeDetector().detectAndDecode(image)
    assert decoded == viewer_url

    # Open viewer: the public AR page of this print, in a new tab.
    with context.expect_page() as viewer_info:
        page.get_by_role("link", name="Open viewer").click()
    viewer = viewer_info.value
    viewer.wait_for_load_state()
    assert viewer.url == viewer_url
    assert viewer.locator("html").get_attribute("lang")
    viewer.close()

    # Finish: the content page has it all too.
    page.get_by_role("link", name="Finish").click()
    expect(page).to_have_url(content_url)
    expect(page.locator("#marker").get_by_text("Ready", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Download QR (PNG)")).to_be_visible()
    expect(page.get_by_role("link", name="Open viewer")).to_be_visible()
    expect(page.locator("#calendar .calendar li").nth(0)).to_contain_text("Video 2")
    assert_accessible(page)
    _shot(page, "content")

    # The content list shows it with its status.
    page.get_by_role("link", name="AR content", exact=True).click()
    expect(page.get_by_role("link", name="Birthday poster")).to_be_visible()
    expect(page.locator(".content-card").first).to_contain_text("Ready")
    assert_accessible(page)
    _shot(page, "content-list")

    # Russian: the user's pick wins over the browser's language, on every page.
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Switch language").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    nav = page.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Новый AR-контент")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("AR-контент")
    assert_accessible(page)
    page.goto(content_url)
    expect(page.locator("#marker")).to_contain_text("Готово")
    expect(page.get_by_role("link", name="Скачать QR (PNG)")).to_be_visible()

    # Logging out ends the session: the admin asks for the login again.
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r".*/admin/login"))
    page.goto(live.base_url + "/admin/content")
    expect(page).to_have_url(re.compile(r".*/admin/login\?next="))
    assert not [c for c in context.cookies() if c["name"] == "vertex_session"]
    assert not problems, problems
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_is_accessible(live: Live, browser: Browser, scheme: str) -> None:
    """As the superadmin, in light and dark: every page passes axe-core, nothing fails to load."""
    context = browser.new_context(viewport={"width": 1200, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    problems = watch(page)
    log_in(page, live.base_url, ROOT_EMAIL, ROOT_PASSWORD)
    content = live.root.get("/api/ar-content").json()["items"]
    pages = ["/admin", "/admin/content", "/admin/content/new", "/admin/projects",
             "/admin/analytics", "/admin/team", "/admin/companies", "/admin/storage",
             "/admin/profile", "/admin/trash", "/admin/notifications",
             "/admin/content/999999"]  # fmt: skip
    pages += [f"/admin/content/{item['id']}{step}" for item in content[:1]
              for step in ("/setup/quality", "/setup/rotation", "/setup/qr", "")]  # fmt: skip
    if not live.root.get("/api/storage/connections").json()["total"]:  # the editor's rows too
        shared = {"path": str(live.settings.data_dir / "shared")}
        made = live.root.post(
            "/api/storage/connections", json={"name": "Shared", "kind": "local", "config": shared}
        )
        assert made.status_code == 201, made.text
    for path in pages:
        page.goto(live.base_url + path)
        expect(page.locator("main h1")).to_be_visible()
        # Keyboard: the first Tab reaches the skip link, which moves focus to the page itself.
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_be_focused()
        if path == "/admin/storage":
            page.get_by_text("Edit Shared").click()  # open the row's editor
            if scheme == "light":
                page.evaluate("window.scrollTo(0, 0)")
                _shot(page, "storage")
        assert_accessible(page)
    if scheme == "dark":
        page.evaluate("window.scrollTo(0, 0)")
        _shot(page, "content-dark")
    for path in ("/docs", "/redoc"):  # offline: every file from this server
        page.goto(live.base_url + path)
        expect(page.get_by_text("Vertex AR").first).to_be_visible(timeout=30_000)
    assert not problems, problems
    context.close()


def test_editor_cannot_reach_team_or_settings(live: Live, browser: Browser) -> None:
    company = live.root.post("/api/companies", json={"name": "Editors Inc"}).json()
    email, password = "editor@editors.example.com", "editor-password"
    created = live.root.post(
        "/api/users",
        json={"email": email, "password": password, "role": "editor",
              "company_id": company["id"]},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live.base_url, email, password)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="New AR content")).to_be_visible()
    for hidden in ("Team", "Companies", "Storage"):
        expect(nav.get_by_role("link", name=hidden)).to_have_count(0)
    for path, message in [
        ("/admin/team", "only a company admin may manage the team"),
        ("/admin/companies", "only a superadmin may do this"),
        ("/admin/storage", "only a superadmin may do this"),
    ]:
        response = page.goto(live.base_url + path)
        assert response is not None and response.status == 403, path
        expect(page.get_by_role("alert")).to_have_text(message)
        assert_accessible(page)
    # The API says the same to the editor's bearer token.
    api = httpx.Client(base_url=live.base_url, headers=bearer(live.root, email, password))
    with api:
        assert api.get("/api/users").status_code == 403
        assert (
            api.patch(f"/api/companies/{company['id']}", json={"active": False}).status_code == 403
        )
        assert api.post("/api/projects", json={"name": "Allowed"}).status_code == 201
    context.close()


def test_restore_from_the_trash_page(live: Live, browser: Browser) -> None:
    company = live.root.post("/api/companies", json={"name": "Trash Co"}).json()
    project = live.root.post(
        "/api/projects", json={"name": "Bin campaign", "company_id": company["id"]}
    ).json()
    created = live.root.post(
        "/api/ar-content",
        data={"project_id": str(project["id"]), "title": "Poster to restore"},
        files=[("portrait", ("p.png", media.textured_image(), "image/png"))],
    )
    assert created.status_code == 201, created.text
    content = created.json()
    assert live.root.delete(f"/api/ar-content/{content['id']}").status_code == 204

    context = browser.new_context()
    page = context.new_page()
    problems = watch(page)
    log_in(page, live.base_url, ROOT_EMAIL, ROOT_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    expect(page.get_by_role("heading", name="Trash", level=1)).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Poster to restore")
    expect(row).to_contain_text("Trash Co")
    assert_accessible(page)
    row.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("status")).to_have_text("Restored.")
    expect(page.get_by_role("row").filter(has_text="Poster to restore")).to_have_count(0)
    assert live.root.get(f"/api/ar-content/{content['id']}").status_code == 200
    assert not problems, problems
    context.close()
