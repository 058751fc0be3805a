"""Choosing the language and spotting apps' built-in browsers."""

from __future__ import annotations

import pytest

from vertex_ar.viewer.clients import in_app_browser
from vertex_ar.viewer.i18n import pick_language


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("ru-RU,ru;q=0.9,en-US;q=0.8", "ru"),
        ("en-US,en;q=0.9,ru;q=0.8", "en"),
        ("de-DE,ru;q=0.7,en;q=0.3", "ru"),
        ("ru;q=0", "en"),
        ("fr, *;q=0.1", "en"),
        ("ru;q=abc,en;q=0.2", "en"),
    ],
)
def test_language_from_accept_language(header: str | None, expected: str) -> None:
    assert pick_language(header) == expected


@pytest.mark.parametrize(
    ("user_agent", "in_app"),
    [
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
         "like Gecko) Mobile/15E148 Instagram 339.0.3.12.91", True),
        ("Mozilla/5.0 (iPhone) Mobile/15E148 [FBAN/FBIOS;FBAV/470.0.0.41.104]", True),
        ("Mozilla/5.0 (Linux; Android 14; wv) Chrome/130.0 Mobile Safari/537.36 "
         "Telegram-Android/11.2", True),
        ("Mozilla/5.0 (Linux; Android 13) Chrome/129.0 Mobile Safari/537.36 WhatsApp/2.24", True),
        ("Mozilla/5.0 (Linux; Android 14) Chrome/130 Mobile Safari/537.36 VKClient/8.90", True),
        ("Mozilla/5.0 (Linux; Android 14) Chrome/130 Mobile Safari/537.36 musical_ly_2023", True),
        ("Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 Safari Line/14.9.0", True),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
         "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1", False),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/130.0.0.0 Mobile Safari/537.36", False),
        (None, False),
    ],
)  # fmt: skip
def test_in_app_browsers(user_agent: str | None, in_app: bool) -> None:
    assert in_app_browser(user_agent) is in_app
