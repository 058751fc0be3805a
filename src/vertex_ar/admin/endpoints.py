"""Admin pages: session, layout, AR content (list, new, page, rotation, QR), assets and the
offline API docs. Every page goes through the same services and tenancy as the API."""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse

from vertex_ar.admin import assets, i18n, insights, manage, notify, services, storage
from vertex_ar.admin.forms import checked, end_of_day, field_message, field_of, text, validate
from vertex_ar.admin.pages import (
    AdminRoute,
    Context,
    Ctx,
    PublicCtx,
    is_htmx,
    redirect,
    wants_json,
)
from vertex_ar.admin.rotation_form import SCHEDULE_ROWS, calendar, rule_from_form
from vertex_ar.admin.session import (
    CSRF_FIELD,
    SESSION_COOKIE,
    check_csrf,
    clear_session,
    set_session,
)
from vertex_ar.analytics.service import OverviewQuery
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.content.schemas import ContentFields, ContentUpdate
from vertex_ar.content.service import MAX_VIDEOS_PER_UPLOAD, ContentFilters
from vertex_ar.content.uploads import FileField, receive_multipart, upload_folder
from vertex_ar.core.clock import local_now
from vertex_ar.core.deps import SettingsDep
from vertex_ar.core.errors import AppError, InvalidInput, NotFound
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.static_assets import IMMUTABLE
from vertex_ar.qr.service import QRFormat
from vertex_ar.rotation.repository import RotationRepository
from vertex_ar.rotation.service import plan_of

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
PAGE_SIZE = 20
MARKER_POLL_SECONDS = 2
EXPIRING_SOON = timedelta(days=7)
SETUP_STEPS = ("quality", "rotation", "qr")


@router.get("/")
async def root() -> RedirectResponse:
    return RedirectResponse("/admin", status_code=307)


# --- session -------------------------------------------------------------------------------


def _safe_next(target: str | None) -> str:
    """Only a path of this UI: never another host (`//evil`, `/\\evil`)."""
    if target and target.startswith("/admin") and not target.startswith(("//", "/\\")):
        return target
    return "/admin"


@router.get("/admin/login")
async def login_page(ctx: PublicCtx, next: str | None = None) -> Response:
    return ctx.render("login.html", {"next": _safe_next(next)})


@router.post("/admin/login")
async def login(
    ctx: PublicCtx,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "/admin",
) -> Response:
    values = {"next": _safe_next(next), "email": email}
    try:
        check_csrf(ctx.request, ctx.settings, csrf_token)
        if not email or not password:
            raise InvalidInput(ctx.gettext("Enter your email and password."))
        token = await services.auth(ctx).login(email.strip(), password, ctx.client_ip)
    except AppError as exc:
        message = exc.message
        if exc.status_code == 401:
            message = ctx.gettext("Wrong email or password.")
        return ctx.render(
            "login.html", {**values, "error": message}, status_code=exc.status_code,
            headers=exc.headers,
        )  # fmt: skip
    response = RedirectResponse(values["next"], status_code=303)
    set_session(response, ctx.settings, token)
    return response


@router.post("/admin/logout")
async def logout(
    ctx: PublicCtx, csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = ""
) -> Response:
    check_csrf(ctx.request, ctx.settings, csrf_token)
    # This browser's token ends for good (a copied cookie is dead too); the user's other
    # browsers and API tokens stay logged in.
    token = ctx.request.cookies.get(SESSION_COOKIE)
    if token:
        await services.auth(ctx).logout(token)
    response = redirect(ctx.request, "/admin/login")
    clear_session(response, ctx.settings)
    return response


@router.post("/admin/language")
async def language(
    ctx: PublicCtx,
    lang: Annotated[str, Form()],
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    back: Annotated[str, Form()] = "/admin",
) -> Response:
    check_csrf(ctx.request, ctx.settings, csrf_token)
    if lang not in i18n.LOCALES:
        raise InvalidInput(f"unknown language {lang!r}")
    response = redirect(ctx.request, _safe_next(back))
    response.set_cookie(
        i18n.LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True, path="/"
    )
    return response


# --- AR content ----------------------------------------------------------------------------


async def _project_choices(ctx: Context) -> list[Any]:
    rows, _total = await services.projects(ctx).list(PageParams(limit=200), None)
    return [row for row in rows if row.active]


@router.get("/admin/content")
async def content_list(
    ctx: Ctx,
    q: Annotated[str | None, Query(max_length=200)] = None,
    project: Annotated[int | None, Query()] = None,
    status: Annotated[MarkerStatus | None, Query()] = None,
    show: Annotated[str | None, Query(pattern="^(expiring|inactive)$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    filters = ContentFilters(
        project,
        status,
        search=(q or "").strip() or None,
        expires_before=datetime.now(UTC) + EXPIRING_SOON if show == "expiring" else None,
        # "Expiring soon" is still on; an expired item is off (shown under "inactive").
        active={"inactive": False, "expiring": True}.get(show or ""),
    )
    window = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    items, total = await services.content(ctx).find(filters, window)
    links = services.media_links(ctx)
    thumbnails = {
        c.id: await links.url(c.company_id, c.portrait_key, c.portrait_mime) for c in items
    }
    query = {
        k: v for k, v in {"q": q, "project": project, "status": status, "show": show}.items() if v
    }
    values = {
        "items": items,
        "total": total,
        "thumbnails": thumbnails,
        "projects": await _project_choices(ctx),
        "filters": query,
        "statuses": list(MarkerStatus),
        "page": page,
        "pages": max(1, -(-total // PAGE_SIZE)),
        "page_url": lambda n: "/admin/content?" + urlencode({**query, "page": n}),
    }
    return ctx.render("content_list.html", values)


@router.get("/admin/content/new")
async def new_content_page(ctx: Ctx, project: int | None = None) -> Response:
    ctx.user.require_editor()
    return ctx.render(
        "content_new.html",
        {"projects": await _project_choices(ctx), "values": {"project_id": project}},
    )


def _form_fields(values: dict[str, str]) -> ContentFields:
    data: dict[str, Any] = {name: values.get(name) or None for name in ContentFields.model_fields}
    data["expires_at"] = end_of_day(data["expires_at"])
    return validate(ContentFields, data)


@router.post("/admin/content/new")
async def create_content(ctx: Ctx) -> Response:
    """The new-content form (multipart). A script posts it with progress and asks for JSON;
    without scripts the browser posts it and gets the page back."""
    settings = ctx.settings
    file_fields = {
        "portrait": FileField(settings.max_image_bytes),
        "video": FileField(settings.max_video_bytes, MAX_VIDEOS_PER_UPLOAD),
    }
    text: dict[str, str] = {}
    service = services.content(ctx)
    await service.release_connection()  # none is held while the body streams
    try:
        async with upload_folder(settings) as folder:
            form = await receive_multipart(
                ctx.request, folder, file_fields, settings.upload_idle_seconds
            )
            text = form.fields
            # In the body (plain form post) or the X-CSRF-Token header (the upload script).
            check_csrf(ctx.request, settings, form.fields.get(CSRF_FIELD))
            fields = _form_fields(text)
            portraits = form.files.get("portrait", [])
            if len(portraits) != 1:
                raise InvalidInput(
                    ctx.gettext("Choose one portrait image."), details={"field": "portrait"}
                )
            videos = form.files.get("video", [])
            content = await service.create(fields, portraits[0], videos)
    except AppError as exc:
        field = field_of(exc)
        if wants_json(ctx.request):
            return JSONResponse(
                {"message": exc.message, "field": field}, status_code=exc.status_code
            )
        return ctx.render(
            "content_new.html",
            {"projects": await _project_choices(ctx), "values": text, "error": exc.message,
             "error_field": field},
            status_code=exc.status_code,
        )  # fmt: skip
    location = f"/admin/content/{content.id}/setup/{SETUP_STEPS[0]}"
    if wants_json(ctx.request):
        return JSONResponse({"id": content.id, "location": location}, status_code=201)
    return RedirectResponse(location, status_code=303)


async def _content_values(ctx: Context, content: ARContent) -> dict[str, Any]:
    links = services.media_links(ctx)
    timezone = await RotationRepository(ctx.session).company_timezone(content.company_id)
    rule = await RotationRepository(ctx.session).rule(content.id)
    videos = sorted(content.videos, key=lambda video: video.id)
    overview = await services.analytics(ctx).overview(OverviewQuery(content_id=content.id))
    return {
        "content": content,
        "videos": videos,
        "portrait_url": await links.url(
            content.company_id, content.portrait_key, content.portrait_mime
        ),
        "video_urls": {
            v.id: await links.url(content.company_id, v.file_key, v.mime) for v in videos
        },
        "thumbnail_urls": {
            v.id: await links.url(content.company_id, v.thumbnail_key, "image/jpeg")
            for v in videos
            if v.thumbnail_key
        },
        "viewer_url": await services.qr(ctx).viewer_link(content.unique_id, content.company_id),
        "rule": rule,
        "schedule_rows": SCHEDULE_ROWS,
        "timezone": timezone,
        "calendar": calendar(content, plan_of(rule), local_now(timezone).date()),
        "poll_seconds": MARKER_POLL_SECONDS,
        "overview": overview,
        "chart": insights.chart(overview),
    }


@router.get("/admin/content/{content_id}")
async def content_page(ctx: Ctx, content_id: int) -> Response:
    content = await services.content(ctx).get(content_id)
    return ctx.render("content_detail.html", await _content_values(ctx, content))


async def _marker(ctx: Context, content: ARContent) -> Response:
    url = await services.media_links(ctx).url(
        content.company_id, content.portrait_key, content.portrait_mime
    )
    values = {"content": content, "poll_seconds": MARKER_POLL_SECONDS, "portrait_url": url}
    return ctx.render("_marker.html", values)


@router.get("/admin/content/{content_id}/setup/{step}")
async def setup_step(ctx: Ctx, content_id: int, step: str) -> Response:
    """The short wizard after "Create": quality check → rotation → QR. Every step is optional:
    each links to the next and to the content page."""
    if step not in SETUP_STEPS:
        raise NotFound(f"no setup step {step!r}")
    content = await services.content(ctx).get(content_id)
    following = SETUP_STEPS[SETUP_STEPS.index(step) + 1 :]
    values = {"step": step, "next_step": following[0] if following else None}
    return ctx.render("content_setup.html", {**await _content_values(ctx, content), **values})


@router.get("/admin/content/{content_id}/marker")
async def marker_fragment(ctx: Ctx, content_id: int) -> Response:
    """The marker status block; it polls itself while the marker is being compiled."""
    return await _marker(ctx, await services.content(ctx).get(content_id))


@router.post("/admin/content/{content_id}/marker")
async def recompile_marker(ctx: Ctx, content_id: int) -> Response:
    check_csrf(ctx.request, ctx.settings, None)
    content = await services.content(ctx).requeue_marker(content_id)
    return await _marker(ctx, content)


@router.post("/admin/content/{content_id}")
async def update_content(ctx: Ctx, content_id: int) -> Response:
    form = await ctx.request.form()
    service = services.content(ctx)
    try:
        check_csrf(ctx.request, ctx.settings, str(form.get(CSRF_FIELD) or ""))
        update = validate(
            ContentUpdate,
            {
                "title": text(form, "title") or "",
                "customer_name": text(form, "customer_name"),
                "customer_email": text(form, "customer_email"),
                "customer_phone": text(form, "customer_phone"),
                "expires_at": end_of_day(text(form, "expires_at")),
                "active": checked(form, "active"),
            },
        )
        content = await service.update(content_id, update)
        saved, error, error_field = True, None, None
    except AppError as exc:
        content = await service.get(content_id)
        saved, error, error_field = False, field_message(exc), field_of(exc)
    return ctx.render(
        "_details_form.html",
        {"content": content, "saved": saved, "error": error, "error_field": error_field},
        status_code=200 if error is None else 422,
    )  # fmt: skip


@router.post("/admin/content/{content_id}/delete")
async def delete_content(ctx: Ctx, content_id: int) -> Response:
    form = await ctx.request.form()
    check_csrf(ctx.request, ctx.settings, str(form.get(CSRF_FIELD) or ""))
    await services.content(ctx).delete(content_id)
    return redirect(ctx.request, "/admin/content")


@router.post("/admin/content/{content_id}/videos")
async def add_videos(ctx: Ctx, content_id: int) -> Response:
    service = services.content(ctx)
    await service.get(content_id)  # another tenant's id is a 404 before any byte is stored
    await service.release_connection()
    video = FileField(ctx.settings.max_video_bytes, MAX_VIDEOS_PER_UPLOAD)
    try:
        async with upload_folder(ctx.settings) as folder:
            form = await receive_multipart(
                ctx.request, folder, {"video": video}, ctx.settings.upload_idle_seconds
            )
            check_csrf(ctx.request, ctx.settings, form.fields.get(CSRF_FIELD))
            await service.add_videos(content_id, form.files.get("video", []))
    except AppError as exc:
        if wants_json(ctx.request):
            return JSONResponse({"message": exc.message, "field": "video"}, exc.status_code)
        raise
    location = f"/admin/content/{content_id}#videos"
    if wants_json(ctx.request):
        return JSONResponse({"location": location}, status_code=201)
    return RedirectResponse(location, status_code=303)


@router.post("/admin/content/{content_id}/videos/{video_id}/delete")
async def delete_video(ctx: Ctx, content_id: int, video_id: int) -> Response:
    form = await ctx.request.form()
    check_csrf(ctx.request, ctx.settings, str(form.get(CSRF_FIELD) or ""))
    await services.content(ctx).delete_video(content_id, video_id)
    return redirect(ctx.request, f"/admin/content/{content_id}#videos")


@router.post("/admin/content/{content_id}/rotation")
async def save_rotation(
    ctx: Ctx, content_id: int, preview: Annotated[bool, Query()] = False
) -> Response:
    """Save the rotation rule (or, with ?preview=1, only show its calendar)."""
    form = await ctx.request.form()
    content = await services.content(ctx).get(content_id)
    rotation = services.rotation(ctx)
    error, saved = None, False
    try:
        check_csrf(ctx.request, ctx.settings, str(form.get(CSRF_FIELD) or ""))
        rule = rule_from_form(form)
        if preview:
            plan = rule.config.to_plan(rule.default_video_id) if rule else None
        else:
            if rule is None:
                with suppress(NotFound):  # no rule to delete: already "no rule"
                    await rotation.delete(content_id)
            else:
                await rotation.put(content_id, rule)
            saved = True
            plan = plan_of(await RotationRepository(ctx.session).rule(content.id))
    except AppError as exc:
        error = exc.message
        plan = plan_of(await RotationRepository(ctx.session).rule(content.id))
    if not is_htmx(ctx.request) and error is None:
        return RedirectResponse(f"/admin/content/{content_id}#rotation", status_code=303)
    timezone = await RotationRepository(ctx.session).company_timezone(content.company_id)
    values = {
        "content": content,
        "videos": sorted(content.videos, key=lambda video: video.id),
        "calendar": calendar(content, plan, local_now(timezone).date()),
        "timezone": timezone,
        "saved": saved,
        "error": error,
        "preview": preview,
    }
    return ctx.render("_calendar.html", values, status_code=422 if error else 200)


@router.get("/admin/content/{content_id}/qr.{fmt}")
async def content_qr(
    ctx: Ctx, content_id: int, fmt: str, size: Annotated[int | None, Query()] = None
) -> Response:
    try:
        qr_format = QRFormat(fmt)
    except ValueError as exc:
        raise NotFound(f"no QR format {fmt!r}") from exc
    code = await services.qr(ctx).code(content_id, qr_format, size)
    return Response(
        code.data,
        media_type=code.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{code.filename}"',
            "Cache-Control": "private, max-age=300",
        },
    )


# --- assets and API docs -------------------------------------------------------------------


@router.get("/admin/static/{name}")
async def own_asset(name: str, v: str | None = None) -> Response:
    return assets.OWN_FILES.response(name, v)


@router.get("/admin/vendor/{package}@{version}/{path:path}")
async def vendor_asset(package: str, version: str, path: str, settings: SettingsDep) -> Response:
    try:
        file, media_type = assets.vendor_file(settings.node_modules_dir, package, version, path)
    except assets.AssetsMissing as exc:
        raise NotFound(str(exc)) from exc
    return FileResponse(file, media_type=media_type, headers={"Cache-Control": IMMUTABLE})


def _docs_page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>{body}</html>"
    )


@router.get("/docs")
async def swagger_ui(settings: SettingsDep) -> HTMLResponse:
    node_modules = settings.node_modules_dir
    css = assets.vendor_url(node_modules, "swagger-ui-dist", "swagger-ui.css")
    bundle = assets.vendor_url(node_modules, "swagger-ui-dist", "swagger-ui-bundle.js")
    return _docs_page(
        "Vertex AR API",
        f'<link rel="stylesheet" href="{css}"></head><body><main id="swagger-ui" '
        f'data-openapi="/openapi.json"></main><script src="{bundle}"></script>'
        f'<script src="{assets.OWN_FILES.url("api-docs.js")}"></script></body>',
    )


@router.get("/redoc")
async def redoc(settings: SettingsDep) -> HTMLResponse:
    bundle = assets.vendor_url(settings.node_modules_dir, "redoc", "bundles/redoc.standalone.js")
    return _docs_page(
        "Vertex AR API — ReDoc",
        f'</head><body><main id="redoc" data-openapi="/openapi.json"></main>'
        f'<script src="{bundle}"></script>'
        f'<script src="{assets.OWN_FILES.url("api-docs.js")}"></script></body>',
    )


router.include_router(manage.router)
router.include_router(notify.router)
router.include_router(insights.router)
router.include_router(storage.router)
