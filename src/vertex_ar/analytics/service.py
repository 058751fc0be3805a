"""Recording viewer sessions (public) and reading them back (scoped to the caller's company)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.analytics.models import ARViewSession
from vertex_ar.analytics.repository import (
    SessionFilter,
    SessionRepository,
    add_view_session_once,
)
from vertex_ar.analytics.schemas import (
    BreakdownRead,
    ContentStartupRead,
    ContentViews,
    DayViews,
    DeviceType,
    OverviewRead,
    ProjectViews,
    StartupRead,
    ViewSessionIn,
)
from vertex_ar.companies.models import Company
from vertex_ar.content.repository import ContentRepository
from vertex_ar.core.clock import local_now, zone
from vertex_ar.core.db import utcnow
from vertex_ar.core.errors import InvalidInput, NotFound
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.tenancy import AuthSubject

MAX_PERIOD_DAYS = 366
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2999, 12, 31)
DEFAULT_PERIOD_DAYS = 30
TOP_CONTENT = 10
USER_AGENT_CHARS = 500
_DEVICES = {device.value: device for device in DeviceType}


async def record_view_session(
    session: AsyncSession,
    company_id: int,
    content_id: int,
    data: ViewSessionIn,
    user_agent: str | None,
) -> None:
    await add_view_session_once(
        session,
        {
            "company_id": company_id,
            "content_id": content_id,
            "device_type": data.device_type.value,
            "found": data.found,
            "time_to_detection_ms": data.time_to_detection_ms,
            "engine_start_ms": data.engine_start_ms,
            "fps": data.fps,
            "duration_seconds": data.duration_seconds,
            "mode": data.mode.value if data.mode is not None else None,
            "user_agent": user_agent[:USER_AGENT_CHARS] if user_agent else None,
            "visit_id": data.visit_id,
            "created_at": utcnow(),
        },
    )
    await session.commit()


@dataclass(frozen=True)
class OverviewQuery:
    date_from: date | None = None
    date_to: date | None = None
    company_id: int | None = None
    content_id: int | None = None


@dataclass(frozen=True)
class SessionsQuery:
    company_id: int | None = None
    content_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


class AnalyticsService:
    def __init__(self, session: AsyncSession, subject: AuthSubject) -> None:
        self.session = session
        self.subject = subject
        self.sessions = SessionRepository(session, subject)

    async def overview(self, query: OverviewQuery) -> OverviewRead:
        date_from, date_to, tz, where = await self._period(query)
        totals = await self.sessions.totals(where)
        devices = await self.sessions.device_split(where) if totals.views else {}
        days = await self.sessions.views_per_day(where, tz) if totals.views else {}
        period = [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
        split = dict.fromkeys(DeviceType, 0)
        for device, count in devices.items():
            split[_DEVICES.get(device, DeviceType.other)] += count
        return OverviewRead(
            date_from=date_from,
            date_to=date_to,
            timezone=str(tz),
            views=totals.views,
            views_per_day=[DayViews(date=day, views=days.get(day, 0)) for day in period],
            unique_content=totals.unique_content,
            avg_session_seconds=totals.avg_duration,
            device_split=split,
            avg_fps=totals.avg_fps,
            detection_rate=totals.found / totals.views if totals.views else None,
            avg_time_to_detection_ms=totals.avg_detection_ms,
        )

    async def _period(self, query: OverviewQuery) -> tuple[date, date, ZoneInfo, SessionFilter]:
        """The query's period in local days (default: the last 30) and the filter of its
        sessions; refuses a period out of bounds."""
        company_id = await self._company(query.company_id)
        content_id = await self._content(query.content_id)
        timezone = await self._timezone(company_id)
        for given in (query.date_from, query.date_to):
            if given is not None and not FIRST_DAY <= given <= LAST_DAY:
                # Near the calendar's ends, a day's bounds in the company's zone do not exist.
                raise InvalidInput(
                    f"date_from and date_to must lie between {FIRST_DAY} and {LAST_DAY}"
                )
        today = local_now(timezone).date()
        date_to = query.date_to or today
        date_from = query.date_from or date_to - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if date_from > date_to:
            raise InvalidInput("date_from is after date_to")
        if (date_to - date_from).days >= MAX_PERIOD_DAYS:
            raise InvalidInput(f"the period is longer than {MAX_PERIOD_DAYS} days")
        tz = zone(timezone)
        where = SessionFilter(
            start=datetime.combine(date_from, time.min, tz).astimezone(UTC),
            end=datetime.combine(date_to + timedelta(days=1), time.min, tz).astimezone(UTC),
            company_id=company_id,
            content_id=content_id,
        )
        return date_from, date_to, tz, where

    async def breakdown(self, query: OverviewQuery, top: int = TOP_CONTENT) -> BreakdownRead:
        """The period's most viewed content and its views per project."""
        date_from, date_to, _tz, where = await self._period(query)
        return BreakdownRead(
            date_from=date_from,
            date_to=date_to,
            top_content=[
                ContentViews(content_id=cid, title=title, views=views,
                             detection_rate=found / views)
                for cid, title, views, found in await self.sessions.top_content(where, top)
            ],
            projects=[
                ProjectViews(project_id=pid, name=name, views=views, content_viewed=content,
                             detection_rate=found / views)
                for pid, name, views, content, found in await self.sessions.per_project(where)
            ],
        )  # fmt: skip

    async def startup(self, query: OverviewQuery) -> StartupRead:
        date_from, date_to, tz, where = await self._period(query)
        rows = await self.sessions.startup_by_content(where)
        return StartupRead(
            date_from=date_from,
            date_to=date_to,
            timezone=str(tz),
            items=[ContentStartupRead.model_validate(row, from_attributes=True) for row in rows],
        )

    async def list(
        self, query: SessionsQuery, page: PageParams
    ) -> tuple[Sequence[ARViewSession], int]:
        where = SessionFilter(
            start=query.since,
            end=query.until,
            company_id=await self._company(query.company_id),
            content_id=await self._content(query.content_id),
        )
        return await self.sessions.newest_first(where, limit=page.limit, offset=page.offset)

    async def _company(self, company_id: int | None) -> int | None:
        """The one company the figures are about (None: a superadmin's view of all)."""
        if company_id is None:
            return self.subject.company_id  # None only for a superadmin
        if not self.subject.can_see_company(company_id):
            raise NotFound(f"company {company_id} not found")
        return company_id

    async def _content(self, content_id: int | None) -> int | None:
        if content_id is None:
            return None
        content = await ContentRepository(self.session, self.subject).get(content_id)
        return content.id

    async def _timezone(self, company_id: int | None) -> str:
        if company_id is None:
            return "UTC"
        timezone = await self.session.scalar(
            select(Company.timezone).where(Company.id == company_id)
        )
        if timezone is None:
            raise NotFound(f"company {company_id} not found")
        return str(timezone)
