"""Dashboard and analytics pages (with CSV export), over the API's analytics service."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse

from vertex_ar.admin import services
from vertex_ar.admin.pages import AdminRoute, Context, Ctx
from vertex_ar.analytics.schemas import OverviewRead
from vertex_ar.analytics.service import OverviewQuery, SessionsQuery
from vertex_ar.content.marker_job import LOW_MARKER_SCORE
from vertex_ar.content.models import MarkerStatus
from vertex_ar.content.service import ContentFilters
from vertex_ar.core.errors import AppError
from vertex_ar.core.schemas import PageParams

router = APIRouter(route_class=AdminRoute, include_in_schema=False)
EXPORT_PAGE = 200  # PageParams allows no more
EXPORT_MAX_ROWS = 200_000


def chart(overview: OverviewRead) -> list[dict[str, Any]]:
    """Bars of views per day, as a share of the busiest day."""
    peak = max((day.views for day in overview.views_per_day), default=0) or 1
    return [
        {"date": day.date, "views": day.views, "height": round(100 * day.views / peak)}
        for day in overview.views_per_day
    ]


@router.get("/admin")
async def dashboard(ctx: Ctx) -> Response:
    content = services.content(ctx)
    soon = datetime.now(UTC) + timedelta(days=7)
    recent, total = await content.find(ContentFilters(), PageParams(limit=5))
    expiring, _n = await content.find(
        ContentFilters(expires_before=soon, active=True), PageParams(limit=10)
    )
    failed, _n = await content.find(
        ContentFilters(marker_status=MarkerStatus.failed), PageParams(limit=10)
    )
    ready, _n = await content.find(
        ContentFilters(marker_status=MarkerStatus.ready), PageParams(limit=50)
    )
    low = [c for c in ready if (c.marker_quality or {}).get("score", 100) < LOW_MARKER_SCORE]
    overview = await services.analytics(ctx).overview(OverviewQuery())
    return ctx.render(
        "dashboard.html",
        {
            "recent": recent,
            "total": total,
            "expiring": expiring,
            "failed": failed,
            "low": low,
            "overview": overview,
            "chart": chart(overview),
            "nav": "dashboard",
        },
    )


async def _overview(
    ctx: Context, date_from: date | None, date_to: date | None
) -> tuple[OverviewRead | None, str | None]:
    try:
        return await services.analytics(ctx).overview(OverviewQuery(date_from, date_to)), None
    except AppError as exc:
        return None, exc.message


@router.get("/admin/analytics")
async def analytics_page(
    ctx: Ctx,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    overview, error = await _overview(ctx, date_from, date_to)
    if overview is None:
        overview, _ = await _overview(ctx, None, None)
    assert overview is not None
    period = OverviewQuery(overview.date_from, overview.date_to)
    return ctx.render(
        "analytics.html",
        {
            "overview": overview,
            "breakdown": await services.analytics(ctx).breakdown(period),
            "chart": chart(overview),
            "error": error,
            "date_from": date_from or overview.date_from,
            "date_to": date_to or overview.date_to,
        },
        status_code=422 if error else 200,
    )


@router.get("/admin/analytics.csv")
async def analytics_csv(
    ctx: Ctx,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
) -> Response:
    """Every view session of the period, one row each (the period's days in UTC)."""
    service = services.analytics(ctx)
    overview = await service.overview(OverviewQuery(date_from, date_to))  # validates the period
    since = datetime.combine(overview.date_from, time.min, UTC)
    until = datetime.combine(overview.date_to + timedelta(days=1), time.min, UTC)
    columns = ["id", "created_at", "content_id", "device_type", "found",
               "time_to_detection_ms", "fps", "duration_seconds"]  # fmt: skip

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(columns)
        query = SessionsQuery(since=since, until=until)
        for offset in range(0, EXPORT_MAX_ROWS, EXPORT_PAGE):
            window = PageParams(limit=EXPORT_PAGE, offset=offset)
            sessions, _total = await service.list(query, window)
            for row in sessions:
                writer.writerow(
                    [row.created_at.isoformat() if c == "created_at" else getattr(row, c)
                     for c in columns]
                )  # fmt: skip
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            if len(sessions) < EXPORT_PAGE:
                break

    name = f"vertex-ar-views-{overview.date_from}-{overview.date_to}.csv"
    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
