"""The whole journey in a real browser: content through the API, a real worker compiles the
marker, the viewer page on a fake camera that shows the print finds it, lays today's video
exactly over it and plays it, pauses when the print leaves the picture and resumes when it
returns; leaving the page records a view session.

Runs once, on the embedded stack (SQLite, filesystem broker, no Redis): a uvicorn server in a
thread, a Celery worker subprocess, Debian's Chromium through Playwright.
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Playwright, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.support import media
from tests.support.fake_camera import (
    FRAME_HEIGHT,
    FRAME_WIDTH,
    Pose,
    background,
    render,
    write_feed,
    write_y4m,
)
from tests.support.live_app import bearer, free_port, live_app, serving
from tests.support.mindar_browser import CHROMIUM, CLOSED_NETWORK_ARGS, FAKE_CAMERA_ARGS
from tests.support.qr_decode import decode
from tests.support.worker import running_worker, wait_for
from vertex_ar.app import create_app
from vertex_ar.core.clock import local_now
from vertex_ar.core.settings import Settings

pytest.importorskip("vertex_ar.markers.compiler", reason="the marker compiler is not in this tree")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

# UTC+14: the company's date is ahead of UTC for most of the day, so "today" must be its own.
COMPANY_TZ = "Pacific/Kiritimati"
PORTRAIT = (480, 640)  # width, height of the print's image
VIEWPORT = {"width": 480, "height": 640}  # a phone held upright
POSE = Pose(scale=0.8, rotation_deg=8.0, tilt_x_deg=15.0)
FEED_FPS = 5  # MindAR tracks at ~4 fps on SwiftShader; more frames only make the file bigger
PRINT_SECONDS, AWAY_SECONDS = 16, 5  # the feed: the print, then the bare table, looping
# Mean distance of the plane's corners from where they belong, in CSS pixels; MindAR's own
# pose error on such a feed is ~1-3 video pixels (x 1.33 here).
MAX_PLANE_ERROR_PX = 8.0
TERMINAL = str(["playing", "fallback"])


@dataclass
class Live:
    base_url: str
    settings: Settings
    http: httpx.Client  # logged in as the company admin


@dataclass
class Print:
    content: dict[str, Any]
    portrait: bytes
    todays_video: int


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_app(tmp_path_factory.mktemp("live")) as app:
        company = app.root.post(
            "/api/companies", json={"name": "Print Shop", "timezone": COMPANY_TZ}
        )
        assert company.status_code == 201, company.text
        user = app.root.post(
            "/api/users",
            json={"email": "admin@print.example.com", "password": "tenant-password",
                  "role": "company_admin", "company_id": company.json()["id"]},
        )  # fmt: skip
        assert user.status_code == 201, user.text
        with httpx.Client(base_url=app.base_url, timeout=30) as http:
            http.headers.update(bearer(http, "admin@print.example.com", "tenant-password"))
            yield Live(app.base_url, app.settings, http)


@pytest.fixture(scope="module")
def printed(live: Live, tmp_path_factory: pytest.TempPathFactory) -> Print:
    """A poster with two videos and a daily cycle, its marker compiled by a real worker."""
    folder = tmp_path_factory.mktemp("print")
    http = live.http
    project = http.post("/api/projects", json={"name": "Launch"})
    assert project.status_code == 201, project.text
    portrait = media.textured_image(*PORTRAIT, seed=7)
    clips = [
        media.video(folder / "landscape.mp4", seconds=8.0, size="160x120"),
        media.video(folder / "portrait.mp4", seconds=8.0, size="96x160"),
    ]
    created = http.post(
        "/api/ar-content",
        data={"project_id": str(project.json()["id"]), "title": "Birthday poster"},
        files=[("portrait", ("poster.png", portrait, "image/png"))]
        + [("video", (f"clip{i}.mp4", clip, "video/mp4")) for i, clip in enumerate(clips)],
    )
    assert created.status_code == 201, created.text
    content = created.json()
    landscape, upright = (v["id"] for v in content["videos"])

    # A daily cycle that started yesterday (company time) plays its second video today.
    today = local_now(COMPANY_TZ).date()
    rule = http.put(
        f"/api/ar-content/{content['id']}/rotation-rule",
        json={"type": "daily_cycle", "default_video_id": landscape,
              "config": {"video_sequence": [landscape, upright],
                         "start_date": str(today - timedelta(days=1))}},
    )  # fmt: skip
    assert rule.status_code == 200, rule.text
    assert rule.json()["today"] == {"date": str(today), "timezone": COMPANY_TZ,
                                    "video_id": upright}  # fmt: skip

    log = folder / "worker.log"
    url = f"/api/ar-content/{content['id']}"
    with running_worker(live.settings, log):

        def compiled() -> bool:
            body = http.get(url).json()
            assert body["marker_status"] != "failed", body["marker_error"]
            return bool(body["marker_status"] == "ready")

        wait_for(compiled, 120, "the worker to compile the marker", log)
    return Print(content, portrait, upright)


def _target_rgb(printed: Print) -> npt.NDArray[np.uint8]:
    return np.asarray(Image.open(io.BytesIO(printed.portrait)).convert("RGB"))


def _blinking_feed(path: Path, target: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    """The print for PRINT_SECONDS, then the bare table for AWAY_SECONDS (Chromium loops it)."""
    clean, corners = render(target, POSE, seed=3)
    table = background(3)
    rng = np.random.default_rng(3)
    frames = []
    for i in range((PRINT_SECONDS + AWAY_SECONDS) * FEED_FPS):
        base = clean if i < PRINT_SECONDS * FEED_FPS else table
        noisy = base.astype(np.float32) + rng.normal(0.0, 1.5, base.shape)
        frames.append(np.clip(noisy + 0.5, 0, 255).astype(np.uint8))
    write_y4m(path, frames, FEED_FPS)
    return corners


def _expected_plane(
    corners: npt.NDArray[np.float64], video_w: int, video_h: int
) -> npt.NDArray[np.float64]:
    """Where the video plane belongs on the page, (4, 2) CSS px, TL TR BR BL.

    The video keeps its aspect and fits inside the target, centred; the camera frame covers the
    viewport (scaled to fill, centred), as MindAR lays it out.
    """
    tw, th = PORTRAIT
    scale = min(tw / video_w, th / video_h)
    pw, ph = video_w * scale, video_h * scale
    x0, y0 = (tw - pw) / 2, (th - ph) / 2
    inside = np.array([[x0, y0], [x0 + pw, y0], [x0 + pw, y0 + ph], [x0, y0 + ph]], np.float32)
    rect = np.array([[0, 0], [tw, 0], [tw, th], [0, th]], np.float32)
    homography = cv2.getPerspectiveTransform(rect, corners.astype(np.float32))
    in_frame = cv2.perspectiveTransform(inside[None], homography)[0].astype(np.float64)
    cover = max(VIEWPORT["width"] / FRAME_WIDTH, VIEWPORT["height"] / FRAME_HEIGHT)
    offset = np.array(
        [(VIEWPORT["width"] - FRAME_WIDTH * cover) / 2,
         (VIEWPORT["height"] - FRAME_HEIGHT * cover) / 2]
    )  # fmt: skip
    result: npt.NDArray[np.float64] = in_frame * cover + offset
    return result


# Playback with sound only after a user gesture, as on phones: "muted === false" means something.
GESTURE_AUTOPLAY = "--autoplay-policy=user-gesture-required"


def _launch(playwright: Playwright, *args: str) -> Browser:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CLOSED_NETWORK_ARGS, GESTURE_AUTOPLAY, *args],
    )


def _start(page: Page, name: str = "Start") -> None:
    """The start screen comes first; its button is the gesture that starts everything."""
    start = page.get_by_role("button", name=name, exact=True)
    start.click(timeout=30_000)


def _wait_terminal(page: Page, console: list[str], timeout_ms: float) -> None:
    try:
        page.wait_for_function(
            f"() => window.vertexViewer && {TERMINAL}.includes(window.vertexViewer.phase)",
            timeout=timeout_ms,
        )
    except PlaywrightError:
        state = page.evaluate(
            """() => ({ viewer: window.vertexViewer, videos: [...document.querySelectorAll("video")]
                  .map((v) => ({ cls: v.className, paused: v.paused, t: v.currentTime,
                                 muted: v.muted, ready: v.readyState, w: v.videoWidth })) })"""
        )
        raise AssertionError(f"the viewer did not settle: {state}, console: {console}") from None


def _video(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(
        """() => { const v = document.querySelector("video.source-video");
                   return { t: v.currentTime, paused: v.paused, muted: v.muted, w: v.videoWidth,
                            h: v.videoHeight, viewer: window.vertexViewer }; }"""
    )
    return state


def _sessions(http: httpx.Client, content_id: int) -> list[dict[str, Any]]:
    response = http.get("/api/analytics/sessions", params={"content_id": content_id})
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _new_session(http: httpx.Client, content_id: int, before: int) -> dict[str, Any]:
    """The newest view session, once there are more than ``before``."""

    def recorded() -> list[dict[str, Any]]:
        items = _sessions(http, content_id)
        return items if len(items) > before else []

    items: list[dict[str, Any]] = wait_for(recorded, 60, "the view session")
    return items[0]


def test_the_print_plays_todays_video(live: Live, printed: Print, tmp_path: Path) -> None:
    content = printed.content
    feed = tmp_path / "feed.y4m"
    true_corners = _blinking_feed(feed, _target_rgb(printed))
    sessions_before = len(_sessions(live.http, content["id"]))

    console: list[str] = []
    with sync_playwright() as playwright:
        camera = f"--use-file-for-fake-video-capture={feed}"
        browser = _launch(playwright, *FAKE_CAMERA_ARGS, camera)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
            page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
            opened = time.monotonic()
            page.goto(f"{live.base_url}/ar/{content['unique_id']}")
            # Nothing starts before the tap: the start screen names the company and the print.
            overlay = page.locator("#overlay")
            assert overlay.get_attribute("data-state") == "start"
            assert page.locator("#company").inner_text() == "Print Shop"
            assert page.locator("#state-title").inner_text() == "Birthday poster"
            # A computer (headless Chromium on Linux) is also offered the page's QR code.
            qr = page.get_by_role("img", name="QR code of this page")
            qr.wait_for(timeout=10_000)
            page.wait_for_function(
                "() => document.querySelector('#desktop-qr img').naturalWidth > 0", timeout=10_000
            )
            _start(page)
            _wait_terminal(page, console, 90_000)
            found_after = time.monotonic() - opened
            first = _video(page)
            assert first["viewer"]["phase"] == "playing", (first, console)
            # The plane sits on the print: median of a few rendered poses (MindAR filters jitter).
            samples = []
            for _ in range(5):
                corners = page.evaluate("() => window.vertexViewer.planeCorners()")
                samples.append(np.asarray(corners, dtype=np.float64))
                page.wait_for_timeout(200)
            plane = np.median(np.stack(samples), axis=0)
            expected = _expected_plane(true_corners, 96, 160)
            plane_error = float(np.linalg.norm(plane - expected, axis=1).mean())
            second = _video(page)
            # Today's video (the upright 96×160 clip) is the one playing, and its clock advances.
            assert second["viewer"]["videoId"] == printed.todays_video
            assert (second["w"], second["h"]) == (96, 160)
            assert not second["paused"]
            assert second["muted"] is False  # with sound, started by the tap
            # MindAR runs with the content's (default) tracking feel.
            assert second["viewer"]["filter"] == {"minCF": 0.001, "beta": 1.0}
            assert page.evaluate("() => document.querySelector('video.source-video').playsInline")
            assert second["t"] > first["t"], (first, second)
            assert page.locator("#sound").is_visible()
            assert page.locator("#camera-picker").is_hidden()  # one camera: nothing to pick
            assert page.locator("#sound").inner_text() == "Sound on"
            assert plane_error < MAX_PLANE_ERROR_PX, (plane.tolist(), expected.tolist())

            # The print leaves the picture: the video pauses; it comes back: the video resumes.
            page.wait_for_function("() => window.vertexViewer.lostCount >= 1", timeout=60_000)
            lost = _video(page)
            assert lost["paused"] and lost["viewer"]["phase"] == "scanning"
            assert page.locator("#hint").is_visible()
            page.wait_for_function("() => window.vertexViewer.foundCount >= 2", timeout=60_000)
            resumed = _video(page)
            page.wait_for_timeout(700)
            back = _video(page)
            assert back["viewer"]["phase"] == "playing" and not back["paused"]
            assert back["t"] != resumed["t"]  # the clock runs again (a loop may wrap it)
            print(
                f"\nfound {found_after:.1f} s after opening the page "
                f"(tracking start to detection {first['viewer']['timeToDetectionMs']:.0f} ms), "
                f"plane corners within {plane_error:.1f} px, "
                f"lost/found {back['viewer']['lostCount']}/{back['viewer']['foundCount']}"
            )
            # Leaving sends the session (unless the 30 s timer already did: one per view).
            page.goto("about:blank")
        finally:
            browser.close()
    assert not [line for line in console if "pageerror" in line or "Content Security" in line]

    def recorded() -> list[dict[str, Any]]:
        items = _sessions(live.http, content["id"])
        return items if len(items) > sessions_before else []

    session = wait_for(recorded, 60, "the view session")[0]
    print(f"session: {session}")
    assert session["found"] is True
    assert session["mode"] == "ar"
    assert session["device_type"] == "desktop"  # headless Chromium on Linux
    assert 0 < session["time_to_detection_ms"] < 90_000
    assert 0 < session["engine_start_ms"] < 90_000  # the tap to MindAR running
    # The analytics API gives the medians per content item.
    started = _sessions(live.http, content["id"])
    startup = live.http.get("/api/analytics/startup", params={"content_id": content["id"]})
    assert startup.json()["items"] == [{
        "content_id": content["id"],
        "engine_starts": sum(s["engine_start_ms"] is not None for s in started),
        "median_engine_start_ms": pytest.approx(
            statistics.median(s["engine_start_ms"] for s in started if s["engine_start_ms"])),
        "detections": sum(s["time_to_detection_ms"] is not None for s in started),
        "median_time_to_detection_ms": pytest.approx(
            statistics.median(s["time_to_detection_ms"] for s in started
                              if s["time_to_detection_ms"] is not None)),
    }]  # fmt: skip
    assert session["fps"] > 0
    assert session["duration_seconds"] >= min(found_after, 30.0) - 1
    overview = live.http.get("/api/analytics/overview", params={"content_id": content["id"]})
    assert overview.json()["views"] == sessions_before + 1


def test_without_ar_the_video_plays_in_a_plain_player(
    live: Live, printed: Print, tmp_path: Path
) -> None:
    """No camera permission, or no WebGL: the tap still plays today's video, with sound, in a
    plain player with a note saying why; the view session records the path taken. A Russian
    browser gets the page in Russian, the script's note included."""
    feed = tmp_path / "feed.y4m"
    write_feed(feed, _target_rgb(printed), POSE, seconds=1.0, fps=FEED_FPS)
    content = printed.content
    url = f"{live.base_url}/ar/{content['unique_id']}"
    # reason: (Chromium flags, locale (Accept-Language), the Start button, words of the note)
    cases = {
        # The fake device exists, but the permission prompt is refused.
        "camera-denied": (["--use-fake-device-for-media-stream", "--deny-permission-prompts",
                           f"--use-file-for-fake-video-capture={feed}"],
                          "en-US", "Start", "here is the video"),
        "no-webgl": (["--disable-webgl", "--disable-3d-apis"],
                     "ru-RU", "Начать", "поэтому вот видео"),
    }  # fmt: skip
    console: list[str] = []
    with sync_playwright() as playwright:
        for reason, (args, locale, start, words) in cases.items():
            sessions_before = len(_sessions(live.http, content["id"]))
            browser = _launch(playwright, *args)
            try:
                page = browser.new_page(viewport=VIEWPORT, locale=locale)
                page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
                page.goto(url)
                _start(page, start)
                _wait_terminal(page, console, 60_000)
                viewer = page.evaluate("() => window.vertexViewer")
                assert (viewer["phase"], viewer["mode"]) == ("fallback", f"fallback-{reason}")
                assert page.locator("#overlay").is_hidden()
                player = page.locator("#fallback video.fallback-video")
                assert player.is_visible()
                assert player.evaluate("(v) => v.controls && v.playsInline")
                page.wait_for_function(
                    "() => document.querySelector('video.fallback-video').currentTime > 0.3",
                    timeout=30_000,
                )
                playing = player.evaluate(
                    "(v) => ({ paused: v.paused, muted: v.muted, w: v.videoWidth })"
                )
                assert playing == {"paused": False, "muted": False, "w": 96}  # today's video
                note = page.locator("#fallback-note").inner_text()
                assert words in note and len(note) > 30, note
                page.goto("about:blank")  # leaving sends the session
                # (before the browser closes: closing at once would cut the beacon off)
                session = _new_session(live.http, content["id"], sessions_before)
            finally:
                browser.close()
            assert not console, console
            assert (session["mode"], session["found"]) == (f"fallback-{reason}", False)


def _fallback_plays(page: Page) -> None:
    """The plain player is showing today's video, playing with sound, and AR is gone."""
    player = page.locator("#fallback video.fallback-video")
    assert player.is_visible()
    assert page.locator("#overlay").is_hidden() and page.locator("#ar").is_hidden()
    start = player.evaluate("(v) => v.currentTime")
    page.wait_for_function(
        f"() => document.querySelector('video.fallback-video').currentTime > {start} + 0.3",
        timeout=30_000,
    )
    playing = player.evaluate("(v) => ({ paused: v.paused, muted: v.muted, w: v.videoWidth })")
    assert playing == {"paused": False, "muted": False, "w": 96}


def test_webgl_lost_mid_session_falls_back_to_the_plain_player(
    live: Live, printed: Print, tmp_path: Path
) -> None:
    """AR is running when the browser takes the WebGL context back (WEBGL_lose_context does
    what a GPU reset does): the video goes on in the plain player with a note and a retry; the
    session records the path and the engine's start-up time."""
    feed = tmp_path / "feed.y4m"
    write_feed(feed, _target_rgb(printed), POSE, seconds=2.0, fps=FEED_FPS)
    content = printed.content
    sessions_before = len(_sessions(live.http, content["id"]))
    console: list[str] = []
    with sync_playwright() as playwright:
        camera = f"--use-file-for-fake-video-capture={feed}"
        browser = _launch(playwright, *FAKE_CAMERA_ARGS, camera)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
            page.goto(f"{live.base_url}/ar/{content['unique_id']}")
            _start(page)
            page.wait_for_function(
                "() => ['scanning', 'playing', 'fallback'].includes(window.vertexViewer.phase)",
                timeout=90_000,
            )
            assert page.evaluate("() => window.vertexViewer.mode") == "ar", console
            lost = page.evaluate(
                """() => { const canvas = document.querySelector("#ar canvas");
                           const gl = canvas.getContext("webgl2") || canvas.getContext("webgl");
                           const ext = gl.getExtension("WEBGL_lose_context");
                           if (!ext) return false;
                           ext.loseContext();
                           return true; }"""
            )
            assert lost, "this Chromium offers no WEBGL_lose_context"
            _wait_terminal(page, console, 30_000)
            viewer = page.evaluate("() => window.vertexViewer")
            assert (viewer["phase"], viewer["mode"]) == ("fallback", "fallback-webgl-lost")
            _fallback_plays(page)
            assert "3D graphics stopped" in page.locator("#fallback-note").inner_text()
            assert page.get_by_role("button", name="Try AR again").is_visible()
            page.goto("about:blank")
            session = _new_session(live.http, content["id"], sessions_before)
        finally:
            browser.close()
    assert not console, console
    assert session["mode"] == "fallback-webgl-lost"
    assert session["engine_start_ms"] == pytest.approx(viewer["engineStartMs"], abs=0.1)
    assert session["engine_start_ms"] > 0


# A camera that never answers (an unanswered prompt, a hung driver): MindAR never starts.
HUNG_CAMERA = """if (navigator.mediaDevices) {
  navigator.mediaDevices.getUserMedia = () => new Promise(() => {});
}"""
SHORT_ENGINE_TIMEOUT = 3.0


def test_an_engine_that_never_starts_gives_way_to_the_plain_player(
    live: Live, printed: Print
) -> None:
    """VIEWER_ENGINE_TIMEOUT_SECONDS after the tap, an engine still starting gives way to the
    plain player ("fallback-timeout"), not before; a server with a short limit shows it."""
    settings = live.settings.model_copy(
        update={"viewer_engine_timeout_seconds": SHORT_ENGINE_TIMEOUT}
    )
    content = printed.content
    sessions_before = len(_sessions(live.http, content["id"]))
    console: list[str] = []
    with sync_playwright() as playwright, serving(create_app(settings), free_port()) as base_url:
        browser = _launch(playwright, *FAKE_CAMERA_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
            page.add_init_script(HUNG_CAMERA)
            page.goto(f"{base_url}/ar/{content['unique_id']}")
            _start(page)
            _wait_terminal(page, console, 60_000)
            viewer = page.evaluate(
                "() => ({ ...window.vertexViewer, waited: performance.now() - "
                "window.vertexViewer.tappedAt })"
            )
            assert (viewer["phase"], viewer["mode"]) == ("fallback", "fallback-timeout")
            assert viewer["waited"] >= SHORT_ENGINE_TIMEOUT * 1000
            assert viewer["engineStartMs"] is None
            _fallback_plays(page)
            assert "taking too long" in page.locator("#fallback-note").inner_text()
            assert page.get_by_role("button", name="Try AR again").is_visible()
            page.goto("about:blank")
            session = _new_session(live.http, content["id"], sessions_before)
        finally:
            browser.close()
    assert not console, console
    assert (session["mode"], session["found"], session["engine_start_ms"]) == (
        "fallback-timeout", False, None,
    )  # fmt: skip


def test_a_second_rear_camera_can_be_picked_and_turning_the_phone_keeps_tracking(
    live: Live, printed: Print
) -> None:
    """Two cameras that do not say which way they face (Chromium's generated fake devices, as
    a computer's webcams): the picker offers both; choosing the other restarts MindAR on it.
    Turning the phone (portrait to landscape) re-lays the camera picture over the whole page and
    tracking goes on."""
    args = [arg for arg in FAKE_CAMERA_ARGS if not arg.startswith("--use-fake-device")]
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = _launch(playwright, *args, "--use-fake-device-for-media-stream=device-count=2")
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
            page.goto(f"{live.base_url}/ar/{printed.content['unique_id']}")
            _start(page)
            page.wait_for_function(
                "() => ['scanning', 'fallback'].includes(window.vertexViewer.phase)",
                timeout=90_000,
            )
            picker = page.get_by_label("Camera")
            picker.wait_for(timeout=10_000)
            viewer = page.evaluate("() => window.vertexViewer")
            assert viewer["mode"] == "ar" and len(viewer["cameras"]) == 2, (viewer, console)
            assert viewer["cameraId"] == viewer["cameras"][0]
            assert picker.evaluate("(s) => [...s.options].map((o) => o.value)") == viewer["cameras"]
            other = viewer["cameras"][1]
            picker.select_option(value=other)
            page.wait_for_function(
                f"() => window.vertexViewer.cameraId === {json.dumps(other)}", timeout=60_000
            )
            assert page.evaluate("() => window.vertexViewer.phase") == "scanning"
            assert (
                page.evaluate(
                    "() => document.querySelector('#ar video').srcObject.getVideoTracks()[0]"
                    ".getSettings().deviceId"
                )
                == other
            )

            # Landscape: the camera picture covers the new page, the tracker keeps processing.
            page.set_viewport_size({"width": 640, "height": 480})
            page.wait_for_function(
                """() => { const box = document.querySelector("#ar canvas").getBoundingClientRect();
                           return box.width >= 640 && box.height >= 480; }""",
                timeout=30_000,
            )
            frames = page.evaluate("() => window.vertexViewer.frames")
            page.wait_for_function(
                f"() => window.vertexViewer.frames > {frames} + 2", timeout=60_000
            )
            assert page.evaluate("() => window.vertexViewer.phase") == "scanning"
        finally:
            browser.close()
    assert not console, console


def _lavfi_clip(path: Path, graph: str, inputs: list[str]) -> Path:
    """An H.264 clip (yuv420p, 4 s, 15 fps) from lavfi colour sources joined by ``graph``."""
    sources = [arg for source in inputs
               for arg in ("-f", "lavfi", "-i", f"color=c={source}:r=15:d=4")]  # fmt: skip
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", *sources, "-filter_complex", graph,
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


def _with_video(page: Page, page_url: str, clip: Path, fields: dict[str, Any]) -> None:
    """Serve the viewer page with its config pointing at ``clip`` and carrying ``fields`` (what
    the active video's JSON says), the clip itself from the same origin."""
    clip_url = f"{page_url.split('/ar/')[0]}/test-clip/{clip.name}"
    mp4 = "video/mp4"
    page.route(f"**/test-clip/{clip.name}", lambda r: r.fulfill(path=clip, content_type=mp4))

    def patched(route: Route) -> None:
        response = route.fetch()
        head, rest = response.text().split('id="viewer-config">', 1)
        config_json, tail = rest.split("</script>", 1)
        config = json.loads(config_json) | {"url": clip_url, "poster": None} | fields
        encoded = json.dumps(config).replace("<", "\\u003c")
        route.fulfill(response=response, body=f'{head}id="viewer-config">{encoded}</script>{tail}')

    page.route(page_url, patched)


# Canvas pixels (RGBA) at points given in #ar's CSS pixels, read in the animation frame right
# after three.js rendered it (the drawing buffer is not kept once the frame is shown).
READ_CANVAS = """(points) => new Promise((resolve) => {
  setTimeout(() => resolve(null), 10000); // no frame drawn: counts as a miss
  requestAnimationFrame(() => {
  const canvas = document.querySelector("#ar canvas");
  const box = canvas.getBoundingClientRect();
  const ar = document.getElementById("ar").getBoundingClientRect();
  const copy = document.createElement("canvas");
  copy.width = canvas.width;
  copy.height = canvas.height;
  const context = copy.getContext("2d");
  context.drawImage(canvas, 0, 0);
  const at = points.map(([x, y]) => [
    Math.round(((x + ar.left - box.left) * canvas.width) / box.width),
    Math.round(((y + ar.top - box.top) * canvas.height) / box.height)]);
  // The print lost for a frame leaves no plane corners (NaN): a miss, like no frame.
  if (!at.flat().every(Number.isFinite)) return resolve(null);
  resolve(at.map(([px, py]) => Array.from(context.getImageData(px, py, 1, 1).data)));
  });
})"""


def _plane_point(corners: npt.NDArray[np.float64], u: float, v: float) -> list[float]:
    """The point at (u, v) of the plane (0..1 from its top left), from its corners TL TR BR BL."""
    top = corners[0] + (corners[1] - corners[0]) * u
    bottom = corners[3] + (corners[2] - corners[3]) * u
    point: list[float] = (top + (bottom - top) * v).tolist()
    return point


def _opaque_red(rgba: list[int]) -> bool:
    r, g, b, a = rgba
    return a > 220 and r > 180 and g < 70 and b < 70


@pytest.mark.timeout(600)  # two finds of the print, on a loaded machine
def test_transparent_and_keyed_video_show_the_print_through(
    live: Live, printed: Print, tmp_path: Path
) -> None:
    """The active video's `layout` and `chroma_key` drive the plane's shader: a side-by-side clip
    (red picture; alpha white on its left half, black on its right) leaves the canvas
    transparent over the print on the right half of the plane, and a green/red clip keyed on
    green leaves it transparent on the left (green) half; the other halves are opaque red."""
    sbs = _lavfi_clip(
        tmp_path / "alpha.mp4",
        "[1][2]hstack[alpha];[0][alpha]hstack",
        ["red:s=96x96", "white:s=48x96", "black:s=48x96"],
    )
    keyed = _lavfi_clip(tmp_path / "keyed.mp4", "[0][1]hstack", ["0x00ff00:s=48x96", "red:s=48x96"])
    cases = {
        # name: (clip, active-video fields, where the plane is transparent: left or right half)
        "alpha-side-by-side": (sbs, {"layout": "alpha-side-by-side", "width": 192,
                                     "height": 96}, "right"),
        "chroma-key": (keyed, {"chroma_key": {"color": "#00ff00", "tolerance": 0.3},
                               "width": 96, "height": 96}, "left"),
    }  # fmt: skip
    feed = tmp_path / "feed.y4m"
    write_feed(feed, _target_rgb(printed), POSE, seconds=2.0, fps=FEED_FPS)
    url = f"{live.base_url}/ar/{printed.content['unique_id']}"
    console: list[str] = []
    with sync_playwright() as playwright:
        camera = f"--use-file-for-fake-video-capture={feed}"
        browser = _launch(playwright, *FAKE_CAMERA_ARGS, camera)
        try:
            for name, (clip, fields, clear_half) in cases.items():
                page = browser.new_page(viewport=VIEWPORT)
                page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
                _with_video(page, url, clip, fields)
                page.goto(url)
                _start(page)
                _wait_terminal(page, console, 90_000)
                assert page.evaluate("() => window.vertexViewer.phase") == "playing", console
                page.wait_for_function(
                    "() => document.querySelector('video.source-video').currentTime > 0.5",
                    timeout=30_000,
                )
                # Plane-shaped from the left half only (96×96 picture on a 480×640 target).
                pixels: list[list[list[int]]] = []
                for _ in range(10):  # a few frames: tracking may drop one
                    corners = np.asarray(
                        page.evaluate("() => window.vertexViewer.planeCorners()"), np.float64
                    )
                    points = [_plane_point(corners, u, 0.5) for u in (0.25, 0.75)]
                    read = page.evaluate(READ_CANVAS, points)
                    if read is not None:  # None: no frame drawn in time, a miss
                        pixels.append(read)
                    page.wait_for_timeout(200)
                left, right = ([p[i] for p in pixels] for i in (0, 1))
                clear, solid = (right, left) if clear_half == "right" else (left, right)
                print(f"{name}: clear {clear[:3]}, solid {solid[:3]}")
                assert sum(px[3] < 8 for px in clear) >= 7, (name, clear)
                assert sum(_opaque_red(px) for px in solid) >= 7, (name, solid)
                # The plane has the picture's shape (square), not the packed frame's (2:1).
                width, height = (np.linalg.norm(corners[i] - corners[0]) for i in (1, 3))
                assert width / height == pytest.approx(1.0, rel=0.2)
                page.close()
        finally:
            browser.close()
    assert not console, console


def test_the_start_screen_wears_the_companys_branding(live: Live, printed: Print) -> None:
    """Logo, start text and accent colour on the start screen; the desktop QR code leads to the
    company's own domain."""
    http, content = live.http, printed.content
    company = f"/api/companies/{content['company_id']}"
    logo = io.BytesIO()
    Image.new("RGB", (240, 80), (20, 120, 220)).save(logo, format="PNG")
    domain = "https://ar.print-shop.example"
    branding = {"accent_color": "#ff6600", "start_text": "Welcome! Aim at the poster.",
                "public_base_url": domain}  # fmt: skip
    assert http.patch(f"{company}/branding", json=branding).status_code == 200
    put = http.put(f"{company}/logo", files={"logo": ("logo.png", logo.getvalue(), "image/png")})
    assert put.status_code == 200, put.text
    console: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = _launch(playwright)
            try:
                page = browser.new_page(viewport=VIEWPORT)
                page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
                page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
                page.goto(f"{live.base_url}/ar/{content['unique_id']}")
                image = page.get_by_role("img", name="Print Shop")
                image.wait_for(timeout=10_000)
                page.wait_for_function(
                    "() => document.getElementById('logo').naturalWidth === 240", timeout=10_000
                )
                assert image.is_visible()
                assert page.locator("#state-text").inner_text() == branding["start_text"]
                start = page.get_by_role("button", name="Start", exact=True)
                colour = start.evaluate("(b) => getComputedStyle(b).backgroundColor")
                assert colour == "rgb(255, 102, 0)"
                page.wait_for_function(
                    "() => document.querySelector('#desktop-qr img').naturalWidth > 0",
                    timeout=10_000,
                )
                qr_png = page.evaluate(
                    """async () => { const r = await fetch(document.querySelector(
                           '#desktop-qr img').src); return Array.from(new Uint8Array(
                           await r.arrayBuffer())); }"""
                )
            finally:
                browser.close()
    finally:
        http.patch(f"{company}/branding", json=dict.fromkeys(branding))  # back to the defaults
        http.delete(f"{company}/logo")
    assert not [line for line in console if "pageerror" in line or "Content Security" in line]
    grey = cv2.imdecode(np.frombuffer(bytes(qr_png), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert decode(grey) == f"{domain}/ar/{content['unique_id']}"


INSTAGRAM_UA = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.32.104 (iPhone14,5; iOS 17_4; en_US)"
)


def test_an_in_app_browser_is_offered_safari_or_chrome(live: Live, printed: Print) -> None:
    """Instagram's web view: a page to open the link in a real browser; "Copy link" copies it;
    "Continue here anyway" goes on to the start screen."""
    uid = printed.content["unique_id"]
    console: list[str] = []
    with sync_playwright() as playwright:
        browser = _launch(playwright)
        try:
            context = browser.new_context(viewport=VIEWPORT, user_agent=INSTAGRAM_UA)
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.base_url)
            page = context.new_page()
            page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
            page.on("pageerror", lambda err: console.append(f"pageerror: {err}"))
            page.goto(f"{live.base_url}/ar/{uid}")
            assert page.get_by_role("heading").inner_text() == "Open in your browser"
            assert "Instagram" in page.locator("main").inner_text()
            page.get_by_role("button", name="Copy link").click()
            page.get_by_text("Link copied").wait_for(timeout=10_000)
            copied = page.evaluate("() => navigator.clipboard.readText()")
            assert copied == f"{live.base_url}/ar/{uid}"
            page.get_by_role("link", name="Continue here anyway").click()
            page.get_by_role("button", name="Start", exact=True).wait_for(timeout=30_000)
            page.wait_for_function(  # the script is running (it enables the button)
                "() => window.vertexViewer && !document.getElementById('start').disabled",
                timeout=30_000,
            )
            assert page.evaluate("() => window.vertexViewer.phase") == "start"
            assert page.locator("#desktop-qr").is_hidden()  # a phone: no QR to scan
        finally:
            browser.close()
    assert not [line for line in console if "pageerror" in line or "Content Security" in line]
