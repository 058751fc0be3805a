"""The Notifications page: a company's notification settings, a test message, and its inbox.

Everything goes through the notifications service, as the API does: a company admin edits their
company's settings and sends the test; editors and viewers read them and their inbox."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Response

from vertex_ar.admin import services
from vertex_ar.admin.forms import field_of, text, validate
from vertex_ar.admin.pages import AdminRoute, Context, Ctx
from vertex_ar.admin.session import CSRF_FIELD, check_csrf
from vertex_ar.core.errors import AppError, NotFound
from vertex_ar.core.schemas import PageParams
from vertex_ar.notifications.schemas import NotificationSettingsIn

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
INBOX = PageParams(limit=50)
FIELDS = ("emails", "telegram_chat_ids", "expiry_warning_days", "locale")
SEPARATORS = re.compile(r"[\s,;]+")


def _items(value: str | None) -> list[str]:
    """A list field typed one per line (or separated by commas)."""
    return [item for item in SEPARATORS.split(value or "") if item]


async def _company_id(ctx: Context, requested: int | None) -> int | None:
    """A company user's own company; a superadmin's pick (`?company=`), else the first one."""
    if not ctx.user.is_superadmin:
        return ctx.user.company_id
    if requested is not None:
        return requested
    rows, _total = await services.companies(ctx).list(PageParams(limit=1))
    return rows[0].id if rows else None


async def _page(
    ctx: Context, company_id: int | None, values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:  # fmt: skip
    companies: list[Any] = []
    if ctx.user.is_superadmin:
        listed, _total = await services.companies(ctx).list(PageParams(limit=200))
        companies = list(listed)
    service = services.notifications(ctx)
    current, inbox, total = None, list[Any](), 0
    if company_id is not None:
        current = await service.get_settings(company_id)  # another tenant's: 404
        rows, total = await service.inbox(INBOX, company_id=company_id, unread=None)
        inbox = list(rows)
    values = dict(values or {})
    form: dict[str, str] = {}
    if current is not None:
        form = {
            "emails": "\n".join(current.emails),
            "telegram_chat_ids": "\n".join(current.telegram_chat_ids),
            "expiry_warning_days": ", ".join(str(d) for d in current.expiry_warning_days),
            "locale": current.locale,
        }
    return ctx.render(
        "notifications.html",
        {
            "company_id": company_id,
            "companies": companies,
            "current": current,
            "inbox": inbox,
            "total": total,
            **values,
            "form": {**form, **values.get("form", {})},
        },
        status_code=status_code,
    )


@router.get("/admin/notifications")
async def notifications_page(ctx: Ctx, company: int | None = None) -> Response:
    return await _page(ctx, await _company_id(ctx, company))


@router.post("/admin/notifications/{company_id}")
async def save_settings(ctx: Ctx, company_id: int) -> Response:
    form = await ctx.request.form()
    typed = {name: text(form, name) or "" for name in FIELDS}
    try:
        check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
        data = validate(
            NotificationSettingsIn,
            {
                "emails": _items(typed["emails"]),
                "telegram_chat_ids": _items(typed["telegram_chat_ids"]),
                "expiry_warning_days": _items(typed["expiry_warning_days"]),
                "locale": typed["locale"] or "en",
            },
        )
        await services.notifications(ctx).put_settings(company_id, data)
    except NotFound:
        raise
    except AppError as exc:
        field = (field_of(exc) or "").split(".")[0]
        return await _page(
            ctx,
            company_id,
            {"form": typed, "error": exc.message, "error_field": field},
            status_code=exc.status_code,
        )
    return await _page(ctx, company_id, {"saved": True})


@router.post("/admin/notifications/{company_id}/test")
async def send_test(ctx: Ctx, company_id: int) -> Response:
    form = await ctx.request.form()
    check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
    report = await services.notifications(ctx).send_test(company_id)
    return await _page(ctx, company_id, {"report": report})


@router.post("/admin/notifications/inbox/{notification_id}/read")
async def mark_read(ctx: Ctx, notification_id: int) -> Response:
    form = await ctx.request.form()
    check_csrf(ctx.request, ctx.settings, text(form, CSRF_FIELD))
    row = await services.notifications(ctx).mark_read(notification_id)
    return await _page(ctx, row.company_id, {"marked": notification_id})
