from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from vertex_ar.analytics.schemas import BreakdownRead, OverviewRead, StartupRead, ViewSessionRead
from vertex_ar.analytics.service import AnalyticsService, OverviewQuery, SessionsQuery
from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep
from vertex_ar.core.schemas import Page, PageParams, page_of

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


def _service(session: SessionDep, subject: Subject) -> AnalyticsService:
    return AnalyticsService(session, subject)


ServiceDep = Annotated[AnalyticsService, Depends(_service)]


@router.get("/overview")
async def overview(
    service: ServiceDep,
    date_from: date | None = None,
    date_to: date | None = None,
    company_id: Annotated[int | None, Query(description="superadmin: one company")] = None,
    content_id: int | None = None,
) -> OverviewRead:
    """Views of the caller's company in a period of its local days (default: the last 30)."""
    return await service.overview(OverviewQuery(date_from, date_to, company_id, content_id))


@router.get("/breakdown")
async def breakdown(
    service: ServiceDep,
    date_from: date | None = None,
    date_to: date | None = None,
    company_id: Annotated[int | None, Query(description="superadmin: one company")] = None,
) -> BreakdownRead:
    """The period's ten most viewed content items and the views per project."""
    return await service.breakdown(OverviewQuery(date_from, date_to, company_id))


@router.get("/startup")
async def startup(
    service: ServiceDep,
    date_from: date | None = None,
    date_to: date | None = None,
    company_id: Annotated[int | None, Query(description="superadmin: one company")] = None,
    content_id: int | None = None,
) -> StartupRead:
    """The viewer's start-up per content item: median time from the Start tap to the AR engine
    running, and from there to the first detection (same period rules as the overview)."""
    return await service.startup(OverviewQuery(date_from, date_to, company_id, content_id))


@router.get("/sessions")
async def sessions(
    service: ServiceDep,
    page: Annotated[PageParams, Depends()],
    company_id: Annotated[int | None, Query(description="superadmin: one company")] = None,
    content_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[ViewSessionRead]:
    """View sessions, newest first."""
    items, total = await service.list(SessionsQuery(company_id, content_id, since, until), page)
    return page_of(ViewSessionRead, items, total, page)
