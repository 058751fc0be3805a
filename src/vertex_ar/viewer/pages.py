"""The viewer's HTML: the AR page itself and the honest failure pages (404, 410, not ready)."""

from __future__ import annotations

import html
import json
import re
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

from fastapi.responses import HTMLResponse

from vertex_ar.core.errors import AppError
from vertex_ar.core.settings import Settings
from vertex_ar.viewer import assets, i18n
from vertex_ar.viewer.schemas import ActiveVideoRead

TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Message:
    status: int
    state: str  # for styling and tests: data-state on the card
    title: str
    text: str
    refresh_seconds: int | None = None


NOT_FOUND = Message(
    404,
    "not-found",
    "Nothing here",
    "This AR link does not lead to anything. Check that the whole code was scanned, or ask "
    "whoever gave you the print for a new link.",
)
INACTIVE = Message(
    410,
    "inactive",
    "This AR experience has ended",
    "Its owner has switched it off. The print is still yours to keep.",
)
NOT_READY = Message(
    503,
    "not-ready",
    "Almost ready",
    "The AR experience for this print is still being prepared. This page reloads by itself.",
    refresh_seconds=15,
)
MARKER_FAILED = Message(
    503,
    "not-ready",
    "Not ready yet",
    "The AR experience for this print could not be prepared yet. Please try again later.",
    refresh_seconds=300,
)
NO_VIDEO = Message(
    503,
    "not-ready",
    "Not ready yet",
    "No video has been added to this print yet. Please try again later.",
    refresh_seconds=60,
)
# The video chosen today is being converted and its upload does not play in phone browsers.
VIDEO_PREPARING = Message(
    503,
    "not-ready",
    "Almost ready",
    "The video for this print is being prepared for phones. This page reloads by itself.",
    refresh_seconds=15,
)
VIDEO_FAILED = Message(
    503,
    "not-ready",
    "Not ready yet",
    "The video for this print could not be prepared for phones. Please try again later.",
    refresh_seconds=300,
)
RATE_LIMITED = Message(
    429, "rate-limited", "Too many requests", "Please wait a moment, then reload the page."
)
ASSETS_MISSING = Message(
    503,
    "unavailable",
    "Viewer unavailable",
    "The AR viewer is not installed on this server yet. Please try again later.",
    refresh_seconds=60,
)


EXPIRED_TEXT = "It was available until {until}. The print is still yours to keep."


def localized(message: Message, lang: str) -> Message:
    """The message in `lang` (i18n.STRINGS' languages); English when there is no translation."""
    if lang != "ru":
        return message
    table = i18n.MESSAGES_RU
    text = table.get(message.text, message.text)
    if message.state == "expired":  # the only text with a value in it: the date
        until = message.text.removeprefix("It was available until ")[:10]
        text = table[EXPIRED_TEXT].replace("{until}", until)
    return replace(message, title=table.get(message.title, message.title), text=text)


def message_for(error: AppError) -> Message:
    details: dict[str, Any] = error.details if isinstance(error.details, dict) else {}
    if error.status_code == 404:
        return NOT_FOUND
    if error.status_code == 410:
        if details.get("reason") == "expired":
            until = str(details.get("expired_at", ""))[:10]
            return Message(
                410,
                "expired",
                "This AR experience has expired",
                EXPIRED_TEXT.replace("{until}", until),
            )
        return INACTIVE
    if error.status_code == 429:
        return RATE_LIMITED
    if error.code == "not_ready":
        if details.get("reason") == "no_video":
            return NO_VIDEO
        if details.get("marker_status") == "failed":
            return MARKER_FAILED
        return NOT_READY
    if error.status_code >= 500:  # server-side details stay in the logs
        return Message(
            error.status_code,
            "error",
            "Something went wrong",
            "The AR experience cannot be shown right now. Please try again in a moment.",
            refresh_seconds=30,
        )
    return Message(
        error.status_code,
        "error",
        "Something went wrong",
        f"{error.message[:1].upper()}{error.message[1:]}.",
    )


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def _security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "Cache-Control": "no-store",  # the page embeds signed links
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    }


def message_page(
    message: Message, headers: dict[str, str] | None = None, lang: str = i18n.DEFAULT
) -> HTMLResponse:
    message = localized(message, lang)
    refresh = (
        f'<meta http-equiv="refresh" content="{message.refresh_seconds}">'
        if message.refresh_seconds
        else ""
    )
    body = _template("message.html").substitute(
        lang=lang,
        title=html.escape(message.title),
        text=html.escape(message.text),
        state=message.state,
        refresh=refresh,
        css_url=html.escape(assets.OWN_FILES.versioned_url("viewer.css")),
    )
    csp = "; ".join(
        ["default-src 'none'", "style-src 'self'", "base-uri 'none'", "frame-ancestors 'none'"]
    )
    all_headers = _security_headers(csp) | (headers or {})
    if message.refresh_seconds:
        all_headers["Retry-After"] = str(message.refresh_seconds)
    return HTMLResponse(body, status_code=message.status, headers=all_headers)


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element (no `</script>` or `<!--` can be formed)."""
    return (
        json.dumps(value, separators=(",", ":"))
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def _origins(urls: list[str | None]) -> list[str]:
    """Origins of absolute media URLs (a storage backend's own delivery host)."""
    found = []
    for url in urls:
        parts = urlsplit(url or "")
        if parts.scheme in ("http", "https") and parts.netloc:
            found.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(found))


# Where the per-response nonce goes in a prepared page (a NUL never occurs in the template).
_NONCE_SLOT = f"\x00{secrets.token_hex(8)}\x00"


@dataclass(frozen=True)
class PreparedPage:
    """The viewer page of one answer in one language, rendered once; each response gets a nonce
    of its own (a page served from a kept copy must not share its CSP nonce with other visitors).
    """

    body: tuple[str, ...]  # split at the nonce
    csp: tuple[str, ...]

    def response(self) -> HTMLResponse:
        nonce = secrets.token_urlsafe(16)
        headers = _security_headers(nonce.join(self.csp)) | {"Vary": "Accept-Language"}
        return HTMLResponse(nonce.join(self.body), headers=headers)


def prepare_viewer_page(
    video: ActiveVideoRead, settings: Settings, session_url: str, lang: str
) -> PreparedPage:
    """``lang``: one of i18n.STRINGS' languages (`i18n.pick_language`)."""
    nonce = _NONCE_SLOT
    strings = i18n.STRINGS[lang]
    config = video.model_dump(mode="json") | {
        "engine_timeout_ms": round(settings.viewer_engine_timeout_seconds * 1000),
        "session_url": session_url,
        "active_video_url": f"/api/ar/{video.unique_id}/active-video",
        "lang": lang,
        "strings": strings,
    }
    texts = strings | ({"start_text": video.start_text} if video.start_text else {})
    logo = (
        f'<img id="logo" class="logo" src="{html.escape(video.logo)}" '
        f'alt="{html.escape(video.company_name)}">'
        if video.logo
        else ""
    )
    # Validated as #rrggbb when saved (checked again: it goes into an attribute as it is).
    colour = video.accent_color or ""
    accent = f' style="--accent: {colour}"' if re.fullmatch(r"#[0-9a-fA-F]{6}", colour) else ""
    body = _template("viewer.html").substitute(
        {key: html.escape(text) for key, text in texts.items() if key.isidentifier()},
        logo=logo,
        accent_style=accent,
        lang=lang,
        title=html.escape(video.title),
        company=html.escape(video.company_name),
        qr_url=html.escape(f"/ar/{video.unique_id}/qr.png"),
        nonce=nonce,
        css_url=html.escape(assets.OWN_FILES.versioned_url("viewer.css")),
        js_url=html.escape(assets.OWN_FILES.versioned_url("viewer.js")),
        import_map=_script_json(assets.import_map(settings.node_modules_dir)),
        config=_script_json(config),
    )
    media = " ".join(_origins([video.url, video.poster, video.marker_url]))
    # MindAR runs its tracker in workers built from data: URLs and fetches the target through
    # a blob: URL; tfjs compiles WebGL shaders, not JavaScript, so no 'unsafe-eval'.
    csp = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",  # MindAR and three.js set inline styles
            f"img-src 'self' data: blob: {media}".rstrip(),
            f"media-src 'self' blob: {media}".rstrip(),
            f"connect-src 'self' data: blob: {media}".rstrip(),
            "worker-src 'self' data: blob:",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'none'",
        ]
    )
    return PreparedPage(tuple(body.split(nonce)), tuple(csp.split(nonce)))


def in_app_page(
    video: ActiveVideoRead, app: str, url: str, accept_language: str | None, user_agent: str
) -> HTMLResponse:
    """For an app's built-in browser: open the link in Safari or Chrome (copy it), or go on."""
    nonce = secrets.token_urlsafe(16)
    lang = i18n.pick_language(accept_language)
    strings = {key: text.replace("{app}", app) for key, text in i18n.STRINGS[lang].items()}
    chrome_link = ""
    parts = urlsplit(url)
    if "Android" in user_agent and parts.scheme in ("http", "https"):
        # Android opens an intent: link in the named app (Chrome), leaving the web view.
        intent = (
            f"intent://{parts.netloc}{parts.path}"
            f"#Intent;scheme={parts.scheme};package=com.android.chrome;end"
        )
        chrome_link = (
            f'<p><a id="open-chrome" class="action" href="{html.escape(intent)}">'
            f"{html.escape(strings['inapp_chrome'])}</a></p>"
        )
    body = _template("in_app.html").substitute(
        {key: html.escape(text) for key, text in strings.items() if key.isidentifier()},
        lang=lang,
        nonce=nonce,
        company=html.escape(video.company_name),
        url=html.escape(url),
        here_url=html.escape(f"{parts.path}?browser=here"),
        chrome_link=chrome_link,
        copied_json=_script_json(strings["inapp_copied"]),
        css_url=html.escape(assets.OWN_FILES.versioned_url("viewer.css")),
    )
    csp = "; ".join(
        [
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            "style-src 'self'",
            "img-src data:",  # the empty favicon
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'none'",
        ]
    )
    headers = _security_headers(csp) | {"Vary": "Accept-Language, User-Agent"}
    return HTMLResponse(body, headers=headers)
