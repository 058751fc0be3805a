"""Admin pages that manage the tenant: projects, companies, team, profile."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from vertex_ar.admin import services
from vertex_ar.admin.forms import checked, field_of, text, validate
from vertex_ar.admin.pages import AdminRoute, Context, Ctx, redirect
from vertex_ar.admin.session import CSRF_FIELD, check_csrf
from vertex_ar.content.service import ContentFilters
from vertex_ar.core.errors import AppError
from vertex_ar.core.schemas import PageParams
from vertex_ar.projects.schemas import ProjectCreate, ProjectUpdate

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
ALL = PageParams(limit=200)


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
        _items, counts[project.id] = await content.find(ContentFilters(project.id, None, 1, 0))
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
    items, total = await services.content(ctx).find(ContentFilters(project.id, None, 50, 0))
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
            ctx, project_id, {"error": exc.message}, status_code=exc.status_code
        )
    return await _project_page(ctx, project_id, {"saved": True})
