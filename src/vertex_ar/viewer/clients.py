"""Which browser is asking: apps' built-in browsers cannot run the AR camera dependably."""

from __future__ import annotations

import re

# Tokens these apps put in their WebView's user agent. Instagram and Facebook (FBAN/FBAV/FB_IAB)
# block or break getUserMedia; the others open pages in WebViews without camera permission
# prompts or with autoplay restrictions of their own.
_IN_APP = re.compile(
    r"Instagram|FBAN|FBAV|FB_IAB|FBIOS|Messenger|Telegram|WhatsApp|VKClient|com\.vkontakte|"
    r"BytedanceWebview|musical_ly|TikTok|\bLine/|KAKAOTALK|Snapchat|Pinterest|Twitter|"
    r"LinkedInApp|MicroMessenger|YandexSearch|OKApp|ok\.ru",
    re.IGNORECASE,
)


def in_app_browser(user_agent: str | None) -> bool:
    return bool(user_agent) and _IN_APP.search(user_agent or "") is not None
