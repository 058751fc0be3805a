"""The scan path: the three public routes every phone that scans a print hits, as pure ASGI.

`GET /api/ar/{unique_id}/active-video`, `GET /ar/{unique_id}` and `GET|HEAD /media?t=` are
answered by `ScanPath` (a middleware inside the request id, logging and metrics ones) without
FastAPI's routing and dependency solving, which cost most of a kept answer's CPU (issue 15,
py-spy). The routes in `viewer.endpoints` declare them (OpenAPI, metrics' route templates) and
answer what this path leaves to them: another method, a missing or overlong query parameter
(their 422). Both call the functions below, so the rules are the same: the per-IP rate limit
first, then 404/410/503 with the usual bodies, signed and expiring media links.

One Redis round trip per scan: the rate limit's script also reads the viewer's change generation
(`answers`), so a kept answer needs nothing else; the embedded default needs none (buckets in
process, the generation a file's time).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from starlette.datastructures import State
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from vertex_ar.connections.routing import ManagedStorage, storage_for_company
from vertex_ar.content.models import VideoStatus
from vertex_ar.core.errors import AppError, app_error_response
from vertex_ar.viewer import assets, i18n, pages
from vertex_ar.viewer.answers import Answer, ViewerAnswers
from vertex_ar.viewer.media import accel_response, open_media, range_response
from vertex_ar.viewer.ratelimit import Bucket, RateLimiter
from vertex_ar.viewer.service import ViewerService
from vertex_ar.viewer.signing import verify

MAX_TOKEN_CHARS = 2048
MAX_BROWSER_CHARS = 16
_NO_STORE = {"Cache-Control": "no-store"}
# The routes' own patterns: Starlette's `{name}` matches `[^/]+`.
_ACTIVE_VIDEO = re.compile(r"/api/ar/([^/]+)/active-video")
_PAGE = re.compile(r"/ar/([^/]+)")


async def admit(state: State, bucket: Bucket, client: str) -> str | None:
    """Take ``client``'s token from ``bucket`` (RateLimited when there is none); returns the
    viewer's generation when Redis brought it along."""
    limiter: RateLimiter = state.rate_limiter
    answers: ViewerAnswers = state.viewer_answers
    return await limiter.check(bucket, client, also_read=answers.generation_key)


async def _answer(state: State, unique_id: str, generation: str | None) -> Answer:
    """What the print plays now: the kept answer (no database), or a fresh one."""

    async def fresh() -> Answer:
        async with state.database.sessions() as session:
            return await ViewerService(session, state.settings).active_video(unique_id)

    answers: ViewerAnswers = state.viewer_answers
    return await answers.get(unique_id, fresh, generation)


async def active_video(state: State, unique_id: str, client: str) -> Response:
    try:
        generation = await admit(state, "viewer", client)
        answer = await _answer(state, unique_id, generation)
    except AppError as exc:
        return app_error_response(exc)
    return Response(answer.json, media_type="application/json", headers=_NO_STORE)


async def viewer_page(
    state: State,
    unique_id: str,
    client: str,
    accept_language: str | None,
    user_agent: str | None,
    browser: str | None,
) -> Response:
    """The AR page of a print, or a page that says why it cannot be shown.

    An app's built-in browser (Instagram, Telegram...) first gets a page offering to open the
    link in Safari or Chrome; `?browser=here` goes on in it anyway. The AR page itself is
    rendered once per kept answer and language.
    """
    settings = state.settings
    lang = i18n.pick_language(accept_language)
    try:
        generation = await admit(state, "viewer", client)
        answer = await _answer(state, unique_id, generation)
        app = i18n.in_app_browser(user_agent)
        if app is not None and browser != "here":
            url = answer.video.viewer_url  # the company's own domain if it has one
            return pages.in_app_page(answer.video, app, url, accept_language, user_agent or "")
        if not answer.video.playable:  # nothing a phone can play until the rendition is made
            failed = answer.video.status is VideoStatus.failed
            message = pages.VIDEO_FAILED if failed else pages.VIDEO_PREPARING
            return pages.message_page(message, lang=lang)
        page = answer.pages.get(lang)
        if page is None:
            session_url = f"/api/ar/{unique_id}/track-session"
            page = pages.prepare_viewer_page(answer.video, settings, session_url, lang)
            answer.pages[lang] = page
        return page.response()
    except AppError as exc:
        return pages.message_page(pages.message_for(exc), lang=lang)
    except assets.AssetsMissing:
        return pages.message_page(pages.ASSETS_MISSING, lang=lang)


async def media(
    state: State,
    token: str,
    client: str,
    range_header: str | None,
    if_range: str | None,
    *,
    head: bool,
) -> Response:
    """A signed media link: the bytes, with HTTP Range (206) so that iOS can stream and seek."""
    settings = state.settings
    try:
        generation = await admit(state, "media", client)
        grant = verify(settings.secret_key, token)

        async def fresh() -> ManagedStorage:
            async with state.database.sessions() as session:
                return await storage_for_company(session, settings, grant.company_id)

        answers: ViewerAnswers = state.viewer_answers
        storage = await answers.storage(grant.company_id, fresh, generation)
        media_object = await open_media(storage, grant)
    except AppError as exc:
        return app_error_response(exc)
    accel = accel_response(media_object, settings)
    if accel is not None:
        return accel  # Nginx sends the bytes (sendfile, Range)
    return range_response(media_object, range_header, if_range, head=head)


def _query(scope: Scope) -> dict[str, str]:
    # The last of repeated parameters, as FastAPI reads a single-valued one.
    return dict(parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True))


def _headers(scope: Scope) -> dict[bytes, bytes]:
    # The first of repeated headers, as Starlette's Headers.get.
    return dict(reversed(scope["headers"]))


class ScanPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            response = await self._respond(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _respond(self, scope: Scope) -> Response | None:
        """The answer of a scan-path request; None for anything the routes should handle."""
        path: str = scope["path"]
        state: State = scope["app"].state
        client = scope["client"][0] if scope.get("client") else "unknown"
        if path == "/media":
            token = _query(scope).get("t")
            if token is None or len(token) > MAX_TOKEN_CHARS:
                return None
            headers = _headers(scope)
            range_header, if_range = headers.get(b"range"), headers.get(b"if-range")
            return await media(
                state,
                token,
                client,
                range_header.decode("latin-1") if range_header is not None else None,
                if_range.decode("latin-1") if if_range is not None else None,
                head=scope["method"] == "HEAD",
            )
        if scope["method"] != "GET":
            return None
        if (found := _ACTIVE_VIDEO.fullmatch(path)) is not None:
            return await active_video(state, found.group(1), client)
        if (found := _PAGE.fullmatch(path)) is not None:
            browser = _query(scope).get("browser") if scope["query_string"] else None
            if browser is not None and len(browser) > MAX_BROWSER_CHARS:
                return None
            headers = _headers(scope)
            language, agent = headers.get(b"accept-language"), headers.get(b"user-agent")
            return await viewer_page(
                state,
                found.group(1),
                client,
                language.decode("latin-1") if language is not None else None,
                agent.decode("latin-1") if agent is not None else None,
                browser,
            )
        return None
