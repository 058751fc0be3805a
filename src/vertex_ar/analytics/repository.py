"""View-session queries. Every read is scoped by the auth subject and bounded by a period.

The overview makes three passes over the covering index (company_id, created_at, then every
column it aggregates; migration 0003) and never reads the table: totals (one row), the device
split (a row per device type) and views per local day (a row per day). Days are the company's:
PostgreSQL converts with its own time zone database; SQLite, which has none, gets the period cut
where the zone's UTC offset changes and a constant offset per piece.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.analytics.models import ARViewSession
from vertex_ar.content.models import ARContent
from vertex_ar.core.db import upsert_insert
from vertex_ar.core.tenancy import ScopedRepository
from vertex_ar.projects.models import Project


async def add_view_session_once(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a view session unless its visit was recorded already (the unique index on
    content_id + visit_id; sessions without a visit id never collide)."""
    stmt = upsert_insert(session, ARViewSession).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["content_id", "visit_id"]))


# Zones change their offset on a quarter hour at the latest; transitions are found to that step.
_STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class SessionFilter:
    start: datetime | None = None  # UTC, inclusive
    end: datetime | None = None  # UTC, exclusive
    company_id: int | None = None
    content_id: int | None = None


@dataclass(frozen=True)
class Startup:
    content_id: int
    engine_starts: int
    median_engine_start_ms: float | None
    detections: int
    median_time_to_detection_ms: float | None


@dataclass(frozen=True)
class Totals:
    views: int
    unique_content: int
    found: int
    avg_duration: float | None
    avg_fps: float | None
    avg_detection_ms: float | None


def offset_pieces(
    start: datetime, end: datetime, tz: ZoneInfo
) -> list[tuple[datetime, datetime, int]]:
    """[start, end) cut where ``tz`` changes its UTC offset: (from, to, offset seconds) pieces.

    Checks hourly and pins a change to the quarter hour (``start`` is a local midnight, so the
    steps stay on quarter hours of UTC, where every real transition happens).
    """
    pieces = []
    piece_start, offset = start, _offset(start, tz)
    at = start
    while at < end:
        following = min(at + timedelta(hours=1), end)
        if _offset(following, tz) != offset:
            change = at + _STEP
            while change < following and _offset(change, tz) == offset:
                change += _STEP
            pieces.append((piece_start, change, offset))
            piece_start, offset = change, _offset(change, tz)
        at = following
    pieces.append((piece_start, end, offset))
    return [piece for piece in pieces if piece[0] < piece[1]]


def _offset(instant: datetime, tz: ZoneInfo) -> int:
    delta = instant.astimezone(tz).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


class SessionRepository(ScopedRepository[ARViewSession]):
    model = ARViewSession
    label = "view session"

    def filtered(self, where: SessionFilter) -> Select[ARViewSession]:
        return self._where(select(ARViewSession), where)

    def _where(
        self, stmt: Select[*tuple[Any, ...]], where: SessionFilter
    ) -> Select[*tuple[Any, ...]]:
        stmt = self.subject.scope(stmt, ARViewSession.company_id)
        if where.company_id is not None:
            stmt = stmt.where(ARViewSession.company_id == where.company_id)
        if where.content_id is not None:
            stmt = stmt.where(ARViewSession.content_id == where.content_id)
        if where.start is not None:
            stmt = stmt.where(ARViewSession.created_at >= where.start)
        if where.end is not None:
            stmt = stmt.where(ARViewSession.created_at < where.end)
        return stmt

    async def totals(self, where: SessionFilter) -> Totals:
        s = ARViewSession
        stmt = self._where(
            select(
                func.count(),
                func.count(s.content_id.distinct()),
                _found(),
                func.avg(s.duration_seconds),
                func.avg(s.fps),
                func.avg(s.time_to_detection_ms),
            ),
            where,
        )
        views, unique, found, duration, fps, detection = (await self.session.execute(stmt)).one()
        return Totals(
            int(views), int(unique), int(found), _float(duration), _float(fps), _float(detection)
        )

    async def startup_by_content(self, where: SessionFilter) -> list[Startup]:
        """Medians of the engine's start-up and of the time to the first detection, per content
        item that had a started engine in the period (nulls left out), by content id."""
        s = ARViewSession
        started = s.engine_start_ms.is_not(None)
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = self._where(
                select(
                    s.content_id,
                    func.count(s.engine_start_ms),
                    func.percentile_cont(0.5).within_group(s.engine_start_ms),
                    func.count(s.time_to_detection_ms),
                    func.percentile_cont(0.5).within_group(s.time_to_detection_ms),
                )
                .where(started)
                .group_by(s.content_id)
                .order_by(s.content_id),
                where,
            )
            return [
                Startup(int(cid), int(n), _float(engine), int(found), _float(detection))
                for cid, n, engine, found, detection in await self.session.execute(stmt)
            ]
        # SQLite has no percentile: the values come back sorted per item, the middle is picked.
        engines: dict[int, list[float]] = {}
        detections: dict[int, list[float]] = {}
        stmt = self._where(
            select(s.content_id, s.engine_start_ms, s.time_to_detection_ms).where(started), where
        )
        for cid, engine, detection in await self.session.execute(stmt):
            engines.setdefault(int(cid), []).append(float(engine))
            if detection is not None:
                detections.setdefault(int(cid), []).append(float(detection))
        return [
            Startup(
                cid,
                len(engines[cid]),
                median(engines[cid]),
                len(detections.get(cid, [])),
                median(detections[cid]) if cid in detections else None,
            )
            for cid in sorted(engines)
        ]

    async def device_split(self, where: SessionFilter) -> dict[str, int]:
        stmt = self._where(
            select(ARViewSession.device_type, func.count()).group_by(ARViewSession.device_type),
            where,
        )
        return {str(device): int(n) for device, n in await self.session.execute(stmt)}

    async def views_per_day(self, where: SessionFilter, tz: ZoneInfo) -> dict[date, int]:
        """Sessions per local day of ``tz``; ``where`` needs both ends of its period."""
        assert where.start is not None and where.end is not None
        created = ARViewSession.created_at
        if self.session.get_bind().dialect.name == "postgresql":
            pieces = [(where.start, where.end, func.date(func.timezone(tz.key, created)))]
        else:
            # SQLite keeps UTC timestamps as text; date() with a modifier shifts them.
            pieces = [
                (start, end, func.date(created, f"{offset:+d} seconds"))
                for start, end, offset in offset_pieces(where.start, where.end, tz)
            ]
        days: dict[date, int] = {}
        for start, end, day in pieces:
            piece = SessionFilter(start, end, where.company_id, where.content_id)
            stmt = self._where(select(day, func.count()).group_by(day), piece)
            for value, n in await self.session.execute(stmt):
                key = value if isinstance(value, date) else date.fromisoformat(str(value))
                days[key] = days.get(key, 0) + int(n)
        return days

    async def top_content(self, where: SessionFilter, limit: int) -> list[tuple[Any, ...]]:
        """(content id, title, views, found) of the most viewed content, most views first."""
        views = func.count().label("views")
        stmt = self._where(
            select(ARContent.id, ARContent.title, views, _found())
            .join(ARContent, ARContent.id == ARViewSession.content_id)
            .group_by(ARContent.id, ARContent.title)
            .order_by(views.desc(), ARContent.id)
            .limit(limit),
            where,
        )
        return [tuple(row) for row in await self.session.execute(stmt)]

    async def per_project(self, where: SessionFilter) -> list[tuple[Any, ...]]:
        """(project id, name, views, content viewed, found) per project, most views first."""
        views = func.count().label("views")
        stmt = self._where(
            select(Project.id, Project.name, views,
                   func.count(ARViewSession.content_id.distinct()), _found())
            .join(ARContent, ARContent.id == ARViewSession.content_id)
            .join(Project, Project.id == ARContent.project_id)
            .group_by(Project.id, Project.name)
            .order_by(views.desc(), Project.id),
            where,
        )  # fmt: skip
        return [tuple(row) for row in await self.session.execute(stmt)]

    async def newest_first(
        self, where: SessionFilter, *, limit: int, offset: int
    ) -> tuple[Sequence[ARViewSession], int]:
        """A page of sessions, newest first: walks the (company_id, created_at) index backwards
        instead of sorting the company's sessions by id."""
        total = await self.session.scalar(self._where(select(func.count()), where))
        rows = await self.session.scalars(
            self.filtered(where)
            .order_by(ARViewSession.created_at.desc(), ARViewSession.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)


def _found() -> Any:
    """How many of the grouped sessions found the print."""
    return func.coalesce(func.sum(case((ARViewSession.found.is_(True), 1), else_=0)), 0)


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
