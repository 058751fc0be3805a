"""Renditions play in a real browser (Debian's Chromium): the 1080p60 and HEVC uploads'
renditions decode and advance; the HEVC upload itself does not, which is why it is converted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.support import media
from tests.support.mindar_browser import CHROMIUM
from vertex_ar.content.renditions import RenditionCaps, make_rendition

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

CAPS = RenditionCaps(max_side=1280, max_bitrate=2_500_000, max_fps=30, timeout_seconds=600)
PLAY = """async () => {
  const video = document.querySelector("video");
  try { await video.play(); } catch (err) { return { error: String(err) }; }
  const deadline = Date.now() + 20000;
  while (video.currentTime < 0.5 && !video.error && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { width: video.videoWidth, height: video.videoHeight, time: video.currentTime,
           error: video.error && video.error.code };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--autoplay-policy=no-user-gesture-required"]
        )
        yield launched
        launched.close()


def _play(browser: Browser, video: Path) -> dict[str, Any]:
    page_file = video.with_name(video.name + ".html")
    page_file.write_text(f'<video src="{video.name}" muted playsinline></video>')
    page = browser.new_page()
    try:
        page.goto(page_file.as_uri())
        result: dict[str, Any] = page.evaluate(PLAY)
        return result
    finally:
        page.close()


def test_renditions_play_in_chromium(browser: Browser, tmp_path: Path) -> None:
    hd = tmp_path / "hd60.mp4"
    media.hd60_high_bitrate(hd)
    hevc = tmp_path / "hevc.mp4"
    media.hevc(hevc, size="320x240")
    for source, size in ((hd, (1280, 720)), (hevc, (320, 240))):
        folder = tmp_path / source.stem
        folder.mkdir()
        rendition = make_rendition(source, folder, CAPS)
        played = _play(browser, rendition.video)
        assert played["error"] is None, played
        assert (played["width"], played["height"]) == size
        assert played["time"] >= 0.5

    assert _play(browser, hevc)["error"] is not None  # the upload as it came: no HEVC here
