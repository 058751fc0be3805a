"""The Storage page (superadmin): connections (create, edit, test), media per company, and
connecting a Yandex Disk through its OAuth flow."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from vertex_ar.admin import services
from vertex_ar.admin.forms import checked, field_message, field_of, text, validate
from vertex_ar.admin.pages import AdminRoute, Context, Ctx, redirect
from vertex_ar.admin.session import CSRF_FIELD, check_csrf
from vertex_ar.connections import oauth
from vertex_ar.connections.models import StorageKind
from vertex_ar.connections.schemas import (
    CONFIG_MODELS,
    ConnectionCreate,
    ConnectionRead,
    ConnectionUpdate,
    reading,
)
from vertex_ar.core.errors import AppError, InvalidInput
from vertex_ar.core.schemas import PageParams

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
ALL = PageParams(limit=200)
YANDEX_FOLDER = "app:/vertex-ar"
FIELD_NAMES = {kind.value: list(model.model_fields) for kind, model in CONFIG_MODELS.items()}


def _config(form: FormData, kind: StorageKind) -> dict[str, Any]:
    """The kind's config fields from the form; empty ones are left out (a secret left empty
    when editing keeps the stored one; a default applies when creating)."""
    config: dict[str, Any] = {}
    for name, field in CONFIG_MODELS[kind].model_fields.items():
        if field.annotation is bool:
            config[name] = checked(form, name)
        elif (value := text(form, name)) is not None:
            config[name] = value
    return config


def _field(exc: AppError) -> str | None:
    """The input an API error names: `config.bucket` is the form's `bucket`."""
    field = field_of(exc)
    return field.removeprefix("config.") if field else None


async def _storage_page(
    ctx: Context, values: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    service = services.connections(ctx)
    rows, _total = await service.list(ALL)
    connections = [ConnectionRead.model_validate(r, context=reading(ctx.settings)) for r in rows]
    media = await service.media_per_company()
    names = {c.id: c.name for c in connections}
    query = ctx.request.query_params
    return ctx.render(
        "storage.html",
        {
            "connections": connections,
            "using": {c.id: [m.name for m in media if m.connection_id == c.id]
                      for c in connections},
            "media": media,
            "connection_names": names,
            "kinds": list(StorageKind),
            "kind_names": {"local": ctx.gettext("Server folder"), "s3": "S3 / MinIO",
                           "yandex_disk": "Yandex Disk"},
            "field_names": FIELD_NAMES,
            "all_fields": {name for names in FIELD_NAMES.values() for name in names},
            "yandex_folder": YANDEX_FOLDER,
            "connected": names.get(int(query["connected"]))
            if query.get("connected", "").isdigit() else None,
            "oauth_error": query.get("oauth_error"),
            "values": {},
            **(values or {}),
        },
        status_code=status_code,
    )  # fmt: skip


@router.get("/admin/storage")
async def storage_page(ctx: Ctx) -> Response:
    return await _storage_page(ctx)


@router.post("/admin/storage")
async def create_connection(ctx: Ctx) -> Response:
    form = await ctx.request.form()
    values = {name: value for name, value in form.items() if isinstance(value, str)}
    values.pop(CSRF_FIELD, None)
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        kind_name = text(form, "kind") or ""
        if kind_name not in StorageKind.__members__:
            raise InvalidInput(ctx.gettext("Choose a kind."), details={"field": "kind"})
        kind = StorageKind(kind_name)
        data = validate(
            ConnectionCreate,
            {"name": text(form, "name") or "", "kind": kind, "config": _config(form, kind)},
        )
        connection = await services.connections(ctx).create(data)
    except AppError as exc:
        return await _storage_page(
            ctx,
            {"values": values, "error": field_message(exc), "error_field": _field(exc) or "name"},
            status_code=exc.status_code,
        )
    return redirect(ctx.request, f"/admin/storage?created={connection.id}#connections")


@router.post("/admin/storage/yandex")
async def connect_yandex(ctx: Ctx) -> Response:
    """Start the OAuth flow: Yandex asks the superadmin, then sends the browser to the API's
    callback, which creates the connection and comes back to this page."""
    form = await ctx.request.form()
    values = {"yandex_name": text(form, "yandex_name"), "base_folder": text(form, "base_folder")}
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        if not values["yandex_name"]:
            raise InvalidInput(ctx.gettext("Name the new connection."),
                               details={"field": "yandex_name"})  # fmt: skip
        request = oauth.AuthorizeRequest(
            None, values["yandex_name"], values["base_folder"] or YANDEX_FOLDER
        )
        url, _state, nonce = await oauth.authorize(ctx.session, ctx.settings, ctx.user, request)
    except AppError as exc:
        field = _field(exc)
        return await _storage_page(
            ctx,
            {"values": values, "yandex_error": field_message(exc),
             "yandex_error_field": "base_folder" if field == "base_folder" else "yandex_name"},
            status_code=exc.status_code,
        )  # fmt: skip
    response = RedirectResponse(url, status_code=303)
    oauth.set_state_cookie(response, ctx.settings, nonce)
    return response


@router.post("/admin/storage/{connection_id}")
async def update_connection(ctx: Ctx, connection_id: int) -> Response:
    form = await ctx.request.form()
    service = services.connections(ctx)
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        connection = await service.get(connection_id)
        update = validate(
            ConnectionUpdate,
            {"name": text(form, "name"), "config": _config(form, connection.kind),
             "active": checked(form, "active")},
        )  # fmt: skip
        await service.update(connection_id, update)
    except AppError as exc:
        return await _storage_page(
            ctx,
            {"row_id": connection_id, "row_error": field_message(exc), "row_field": _field(exc)},
            status_code=exc.status_code,
        )
    return await _storage_page(ctx, {"row_saved": connection_id})


@router.post("/admin/storage/{connection_id}/test")
async def test_connection(ctx: Ctx, connection_id: int) -> Response:
    check_csrf(ctx.request, ctx.settings, None)
    service = services.connections(ctx)
    result = await service.test(connection_id)
    usage, usage_error = None, None
    if result.ok:
        try:
            usage = await service.usage(connection_id)
        except AppError as exc:
            usage_error = exc.message
    return ctx.render(
        "_connection_check.html",
        {"id": connection_id, "result": result, "usage": usage, "usage_error": usage_error},
    )
