"""Admin pages that manage tenants: projects, team, companies (superadmin), profile, trash."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Response

from vertex_ar.admin import services
from vertex_ar.admin.forms import checked, field_message, field_of, text, validate
from vertex_ar.admin.pages import AdminRoute, Context, Ctx, redirect
from vertex_ar.admin.session import CSRF_FIELD, check_csrf, set_session
from vertex_ar.companies.schemas import CompanyCreate, CompanyUpdate
from vertex_ar.content.service import ContentFilters
from vertex_ar.core.errors import AppError, InvalidInput, Unauthorized
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.tenancy import Role
from vertex_ar.projects.schemas import ProjectCreate, ProjectUpdate
from vertex_ar.trash.operations import TrashKind
from vertex_ar.users.schemas import UserCreate, UserUpdate

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
ALL = PageParams(limit=200)
ONE = PageParams(limit=1)


async def _companies(ctx: Context) -> list[Any]:
    if not ctx.user.is_superadmin:
        return []
    rows, _total = await services.companies(ctx).list(ALL)
    return list(rows)


async def _projects_page(
    ctx: Context, values: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    projects, _total = await services.projects(ctx).list(ALL, None)
    content = services.content(ctx)
    counts = {}
    for project in projects:
        _items, counts[project.id] = await content.find(ContentFilters(project.id), ONE)
    companies = await _companies(ctx)
    return ctx.render(
        "projects.html",
        {
            "projects": projects,
            "counts": counts,
            "companies": companies,
            "company_names": {c.id: c.name for c in companies},
            "values": {},
            **(values or {}),
        },
        status_code=status_code,
    )


@router.get("/admin/projects")
async def projects_page(ctx: Ctx) -> Response:
    return await _projects_page(ctx)


@router.post("/admin/projects")
async def create_project(ctx: Ctx) -> Response:
    form = await ctx.request.form()
    values = {name: text(form, name) for name in ("name", "description", "company_id")}
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        data = validate(
            ProjectCreate,
            {
                "name": values["name"] or "",
                "description": values["description"] or "",
                "company_id": values["company_id"],
            },
        )
        project = await services.projects(ctx).create(data)
    except AppError as exc:
        return await _projects_page(
            ctx,
            {"values": values, "error": exc.message, "error_field": field_of(exc) or "name"},
            status_code=exc.status_code,
        )
    return redirect(ctx.request, f"/admin/projects/{project.id}")


async def _project_page(
    ctx: Context, project_id: int, values: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    project = await services.projects(ctx).get(project_id)
    items, total = await services.content(ctx).find(ContentFilters(project.id), ALL)
    return ctx.render(
        "project_detail.html",
        {"project": project, "items": items, "total": total, **(values or {})},
        status_code=status_code,
    )


@router.get("/admin/projects/{project_id}")
async def project_page(ctx: Ctx, project_id: int) -> Response:
    return await _project_page(ctx, project_id)


@router.post("/admin/projects/{project_id}")
async def update_project(ctx: Ctx, project_id: int) -> Response:
    form = await ctx.request.form()
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        data = validate(
            ProjectUpdate,
            {
                "name": text(form, "name") or "",
                "description": text(form, "description") or "",
                "active": checked(form, "active"),
            },
        )
        await services.projects(ctx).update(project_id, data)
    except AppError as exc:
        return await _project_page(
            ctx,
            project_id,
            {"error": field_message(exc), "error_field": field_of(exc)},
            status_code=exc.status_code,
        )
    return await _project_page(ctx, project_id, {"saved": True})


# --- team ----------------------------------------------------------------------------------

COMPANY_ROLES = (Role.company_admin, Role.editor, Role.viewer)


async def _team_page(
    ctx: Context, values: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    users, _total = await services.users(ctx).list(ALL)
    companies = await _companies(ctx)
    roles = list(Role) if ctx.user.is_superadmin else list(COMPANY_ROLES)
    return ctx.render(
        "team.html",
        {
            "users": users,
            "roles": roles,
            "companies": companies,
            "company_names": {c.id: c.name for c in companies},
            "values": {},
            **(values or {}),
        },
        status_code=status_code,
    )


@router.get("/admin/team")
async def team_page(ctx: Ctx) -> Response:
    ctx.user.require_team_admin()
    return await _team_page(ctx)


@router.post("/admin/team")
async def create_user(ctx: Ctx) -> Response:
    ctx.user.require_team_admin()
    form = await ctx.request.form()
    values = {name: text(form, name) for name in ("email", "role", "company_id")}
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        data = validate(
            UserCreate,
            {
                "email": values["email"] or "",
                "password": text(form, "password") or "",
                "role": values["role"] or Role.editor,
                "company_id": values["company_id"],
            },
        )
        await services.users(ctx).create(data)
    except AppError as exc:
        return await _team_page(
            ctx,
            {"values": values, "error": exc.message, "error_field": field_of(exc) or "email"},
            status_code=exc.status_code,
        )
    return redirect(ctx.request, "/admin/team")


@router.post("/admin/team/{user_id}")
async def update_user(ctx: Ctx, user_id: int) -> Response:
    form = await ctx.request.form()
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        data = validate(UserUpdate, {"role": text(form, "role"), "active": checked(form, "active")})
        await services.users(ctx).update(user_id, data)
    except AppError as exc:
        return await _team_page(
            ctx, {"row_error": exc.message, "row_id": user_id}, status_code=exc.status_code
        )
    return await _team_page(ctx, {"row_saved": user_id})


# --- companies (superadmin) ----------------------------------------------------------------


async def _companies_page(
    ctx: Context, values: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    ctx.user.require_superadmin()
    connections, _total = await services.connections(ctx).list(ALL)
    return ctx.render(
        "companies.html",
        {
            "companies": await _companies(ctx),
            "connections": [c for c in connections if c.active],
            "values": {},
            **(values or {}),
        },
        status_code=status_code,
    )


@router.get("/admin/companies")
async def companies_page(ctx: Ctx) -> Response:
    return await _companies_page(ctx)


@router.post("/admin/companies")
async def create_company(ctx: Ctx) -> Response:
    form = await ctx.request.form()
    values = {name: text(form, name) for name in ("name", "timezone")}
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        data = validate(
            CompanyCreate, {"name": values["name"] or "", "timezone": values["timezone"] or "UTC"}
        )
        await services.companies(ctx).create(data)
    except AppError as exc:
        return await _companies_page(
            ctx,
            {"values": values, "error": exc.message, "error_field": field_of(exc) or "name"},
            status_code=exc.status_code,
        )
    return redirect(ctx.request, "/admin/companies")


@router.post("/admin/companies/{company_id}")
async def update_company(ctx: Ctx, company_id: int) -> Response:
    form = await ctx.request.form()
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        data = validate(
            CompanyUpdate,
            {
                "name": text(form, "name"),
                "timezone": text(form, "timezone"),
                "active": checked(form, "active"),
                "storage_connection_id": text(form, "storage_connection_id"),
            },
        )
        await services.companies(ctx).update(company_id, data)
    except AppError as exc:
        return await _companies_page(
            ctx, {"row_error": exc.message, "row_id": company_id}, status_code=exc.status_code
        )
    return await _companies_page(ctx, {"row_saved": company_id})


# --- profile -------------------------------------------------------------------------------


@router.get("/admin/profile")
async def profile_page(ctx: Ctx) -> Response:
    return ctx.render("profile.html", {})


@router.post("/admin/profile/password")
async def change_password(ctx: Ctx) -> Response:
    form = await ctx.request.form()
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        current, new = text(form, "current_password") or "", text(form, "new_password") or ""
        if new != (text(form, "confirm_password") or ""):
            raise InvalidInput(
                ctx.gettext("The new passwords differ."), details={"field": "confirm_password"}
            )
        try:
            await services.auth(ctx).login(ctx.user.email, current, ctx.client_ip)
        except Unauthorized as exc:
            raise InvalidInput(
                ctx.gettext("The current password is wrong."),
                details={"field": "current_password"},
            ) from exc
        data = validate(UserUpdate, {"password": new})
        await services.users(ctx).update(ctx.user.user_id, data)
        # The change ends every token of the account, this session's too: start a new one.
        token = await services.auth(ctx).login(ctx.user.email, new, ctx.client_ip)
    except AppError as exc:
        field = field_of(exc)
        return ctx.render(
            "profile.html",
            {"error": exc.message, "error_field": "new_password" if field == "password" else field},
            status_code=exc.status_code,
        )
    response = ctx.render("profile.html", {"saved": True})
    set_session(response, ctx.settings, token)
    return response


# --- trash ---------------------------------------------------------------------------------


async def _trash_page(
    ctx: Context, values: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    items, total = await services.trash(ctx).list(ALL)
    companies = await _companies(ctx)
    return ctx.render(
        "trash.html",
        {
            "items": items,
            "total": total,
            "days": ctx.settings.trash_retention_days,
            "company_names": {c.id: c.name for c in companies},
            **(values or {}),
        },
        status_code=status_code,
    )


@router.get("/admin/trash")
async def trash_page(ctx: Ctx) -> Response:
    return await _trash_page(ctx)


class TrashAction(StrEnum):
    restore = "restore"
    purge = "purge"  # superadmin: delete the item and its files for good, now


@router.post("/admin/trash/{kind}/{item_id}/{action}")
async def trash_action(ctx: Ctx, kind: TrashKind, item_id: int, action: TrashAction) -> Response:
    form = await ctx.request.form()
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        trash = services.trash(ctx)
        if action is TrashAction.restore:
            await trash.restore(kind, item_id)
        else:
            await trash.purge(kind, item_id)
    except AppError as exc:
        return await _trash_page(ctx, {"error": exc.message}, status_code=exc.status_code)
    return await _trash_page(ctx, {"restored" if action is TrashAction.restore else "purged": True})
