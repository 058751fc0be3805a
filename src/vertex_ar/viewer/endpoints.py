"""Public routes: the viewer page, its API, signed media and the viewer's static files.

No authentication; every route is rate-limited per client IP (see viewer.ratelimit). Behind a
reverse proxy, the app takes the visitor's address from X-Forwarded-For when the proxy's own
address is in FORWARDED_ALLOW_IPS (and from nobody else).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import ValidationError

from vertex_ar.analytics.schemas import ViewSessionIn
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import NotFound, PayloadTooLarge, invalid_input
from vertex_ar.core.static_assets import IMMUTABLE, encoded_file_response
from vertex_ar.qr import service as qr
from vertex_ar.viewer import assets, scan_path
from vertex_ar.viewer.ratelimit import Bucket, RateLimiter
from vertex_ar.viewer.schemas import ActiveVideoRead, session_body_schema
from vertex_ar.viewer.service import ViewerService

SESSION_BODY_LIMIT = 4096
QR_PIXELS = 256


router = APIRouter(tags=["viewer (public)"])


async def check_rate(request: Request, bucket: Bucket) -> None:
    limiter: RateLimiter = request.app.state.rate_limiter  # built by the app's lifespan
    await limiter.check(bucket, _client(request))


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _session_rate(request: Request) -> None:
    await check_rate(request, "session")


async def _service(session: SessionDep, settings: SettingsDep) -> ViewerService:
    return ViewerService(session, settings)


ServiceDep = Annotated[ViewerService, Depends(_service)]


# The page, active-video and /media are answered by `scan_path.ScanPath` before routing; these
# routes declare them and answer what it leaves (see scan_path), with the same functions.


@router.get("/ar/{unique_id}", response_class=HTMLResponse, include_in_schema=False)
async def viewer_page(
    unique_id: str,
    request: Request,
    accept_language: Annotated[str | None, Header()] = None,
    user_agent: Annotated[str | None, Header()] = None,
    browser: Annotated[str | None, Query(max_length=scan_path.MAX_BROWSER_CHARS)] = None,
) -> Response:
    """The AR page of a print, or a page that says why it cannot be shown."""
    return await scan_path.viewer_page(
        request.app.state, unique_id, _client(request), accept_language, user_agent, browser
    )


@router.get("/ar/{unique_id}/qr.png", include_in_schema=False)
async def viewer_qr(unique_id: str, request: Request, service: ServiceDep) -> Response:
    """The QR code of the viewer's own link, for a desktop visitor to scan with a phone."""
    await check_rate(request, "viewer")
    content = await service.content(unique_id)  # 404 / 410 for a link that shows nothing
    url = qr.viewer_url(service.settings, unique_id, content.public_base_url)
    png = qr.render(url, qr.QRFormat.png, QR_PIXELS)
    return Response(
        png,
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/ar/{unique_id}/logo", include_in_schema=False)
async def viewer_logo(
    unique_id: str, request: Request, service: ServiceDep, v: str | None = None
) -> Response:
    """The company's logo for the start screen; its URL carries the logo's digest, so a
    matching `v` is cached for good."""
    await check_rate(request, "viewer")
    data, mime, digest = await service.logo(unique_id)
    cache = IMMUTABLE if v == digest else "public, max-age=300"
    return Response(
        data,
        media_type=mime,
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )


@router.get(
    "/api/ar/{unique_id}/active-video",
    response_model=ActiveVideoRead,
    responses={404: {}, 410: {}, 429: {}, 503: {"description": "marker or video not ready"}},
)
async def active_video(unique_id: str, request: Request) -> Response:
    return await scan_path.active_video(request.app.state, unique_id, _client(request))


@router.post(
    "/api/ar/{unique_id}/track-session",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[Depends(_session_rate)],
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": session_body_schema()}},
        }
    },
    responses={404: {}, 410: {}, 413: {}, 422: {}, 429: {}},
)
async def track_session(
    unique_id: str,
    request: Request,
    service: ServiceDep,
    user_agent: Annotated[str | None, Header()] = None,
) -> Response:
    """One view session (JSON; any content type, since `navigator.sendBeacon` sends text/plain)."""
    data = _session_body(await _read_limited(request, SESSION_BODY_LIMIT))
    await service.record_session(unique_id, data, user_agent)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


async def _read_limited(request: Request, limit: int) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"a session report is at most {limit} bytes")
    return bytes(body)


def _session_body(raw: bytes) -> ViewSessionIn:
    try:
        return ViewSessionIn.model_validate_json(raw)
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from exc


@router.api_route("/media", methods=["GET", "HEAD"], include_in_schema=False)
async def media(
    request: Request,
    token: Annotated[str, Query(alias="t", max_length=scan_path.MAX_TOKEN_CHARS)],
    range_header: Annotated[str | None, Header(alias="Range")] = None,
    if_range: Annotated[str | None, Header()] = None,
) -> Response:
    """A signed media link: the bytes, with HTTP Range (206) so that iOS can stream and seek."""
    return await scan_path.media(
        request.app.state,
        token,
        _client(request),
        range_header,
        if_range,
        head=request.method == "HEAD",
    )


@router.get("/ar-assets/vendor/{package}@{version}/{path:path}", include_in_schema=False)
async def vendor_asset(
    package: str,
    version: str,
    path: str,
    settings: SettingsDep,
    accept_encoding: Annotated[str | None, Header()] = None,
) -> FileResponse:
    """MindAR and three.js files from node_modules: only those the viewer page imports,
    precompressed (brotli or gzip) when the browser takes it."""
    try:
        file = assets.vendor_file(settings.node_modules_dir, package, version, path)
    except assets.AssetsMissing as exc:
        raise NotFound(str(exc)) from exc
    if file is None:
        raise NotFound("no such viewer asset")
    return encoded_file_response(file, "text/javascript", IMMUTABLE, accept_encoding)


@router.get("/ar-assets/{version}/{name}", include_in_schema=False)
async def own_asset(
    version: str, name: str, accept_encoding: Annotated[str | None, Header()] = None
) -> FileResponse:
    """Our script and styles under their content hash (another hash: served, but revalidated)."""
    return assets.OWN_FILES.response(name, version, accept_encoding)
