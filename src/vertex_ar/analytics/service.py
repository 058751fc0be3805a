"""Recording viewer sessions (public) and reading them back (scoped to the caller's company)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.analytics.models import ARViewSession
from vertex_ar.analytics.repository import Group, SessionFilter, SessionRepository
from vertex_ar.analytics.schemas import DayViews, DeviceType, OverviewRead, ViewSessionIn
from vertex_ar.auth.subject import AuthSubject
from vertex_ar.companies.models import Company
from vertex_ar.content.repository import ContentRepository
from vertex_ar.core.errors import InvalidInput, NotFound
from vertex_ar.rotation.clock import local_now, zone

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30
USER_AGENT_CHARS = 500
_DEVICES = {device.value: device for device in DeviceType}


async def record_view_session(
    session: AsyncSession,
    company_id: int,
    content_id: int,
    data: ViewSessionIn,
    user_agent: str | None,
) -> None:
    session.add(
        ARViewSession(
            company_id=company_id,
            content_id=content_id,
            device_type=data.device_type.value,
            found=data.found,
            time_to_detection_ms=data.time_to_detection_ms,
            fps=data.fps,
            duration_seconds=data.duration_seconds,
            user_agent=user_agent[:USER_AGENT_CHARS] if user_agent else None,
        )
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
    limit: int
    offset: int
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
        company_id = await self._company(query.company_id)
        content_id = await self._content(query.content_id)
        timezone = await self._timezone(company_id)
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
        groups = await self.sessions.groups(where)
        per_day = {date_from + timedelta(days=i): 0 for i in range((date_to - date_from).days + 1)}
        devices = dict.fromkeys(DeviceType, 0)
        for group in groups:
            day = datetime.fromtimestamp(group.bucket_start, tz).date()
            if day in per_day:
                per_day[day] += group.views
            devices[_DEVICES.get(group.device_type, DeviceType.other)] += group.views
        views = sum(g.views for g in groups)
        return OverviewRead(
            date_from=date_from,
            date_to=date_to,
            timezone=str(tz),
            views=views,
            views_per_day=[DayViews(date=d, views=n) for d, n in per_day.items()],
            unique_content=await self.sessions.unique_content(where) if views else 0,
            avg_session_seconds=_mean(groups, "duration"),
            device_split=devices,
            avg_fps=_mean(groups, "fps"),
            detection_rate=sum(g.found for g in groups) / views if views else None,
            avg_time_to_detection_ms=_mean(groups, "detection"),
        )

    async def list(self, query: SessionsQuery) -> tuple[Sequence[ARViewSession], int]:
        where = SessionFilter(
            start=query.since,
            end=query.until,
            company_id=await self._company(query.company_id),
            content_id=await self._content(query.content_id),
        )
        return await self.sessions.newest_first(where, limit=query.limit, offset=query.offset)

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


def _mean(groups: Sequence[Group], field: str) -> float | None:
    """The mean of a column over all groups, from their sums and counts (nulls excluded)."""
    total = sum(getattr(g, f"{field}_sum") for g in groups)
    count = sum(getattr(g, f"{field}_count") for g in groups)
    return total / count if count else None
