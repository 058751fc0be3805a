"""View-session queries. Every read is scoped by the auth subject and bounded by a period, so the
(company_id, created_at) index serves them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, case, cast, func, select

from vertex_ar.analytics.models import ARViewSession
from vertex_ar.core.repository import ScopedRepository

# Sessions are counted per 15 minutes in SQL and folded into local days in Python: every real
# UTC offset is a multiple of 15 minutes, so the fold is exact in any zone, DST included.
BUCKET_SECONDS = 900


@dataclass(frozen=True)
class SessionFilter:
    start: datetime | None = None  # UTC, inclusive
    end: datetime | None = None  # UTC, exclusive
    company_id: int | None = None
    content_id: int | None = None


@dataclass(frozen=True)
class Totals:
    views: int
    unique_content: int
    avg_duration: float | None
    avg_fps: float | None
    found: int
    avg_detection_ms: float | None


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
        stmt = self._where(
            select(
                func.count(),
                func.count(ARViewSession.content_id.distinct()),
                func.avg(ARViewSession.duration_seconds),
                func.avg(ARViewSession.fps),
                func.coalesce(func.sum(case((ARViewSession.found.is_(True), 1), else_=0)), 0),
                func.avg(ARViewSession.time_to_detection_ms),
            ),
            where,
        )
        views, unique, duration, fps, found, detection = (await self.session.execute(stmt)).one()
        return Totals(
            int(views), int(unique), _float(duration), _float(fps), int(found), _float(detection)
        )

    async def device_split(self, where: SessionFilter) -> dict[str, int]:
        stmt = self._where(
            select(ARViewSession.device_type, func.count()).group_by(ARViewSession.device_type),
            where,
        )
        return {device: int(count) for device, count in await self.session.execute(stmt)}

    async def buckets(self, where: SessionFilter) -> Sequence[tuple[int, int]]:
        """(bucket start in unix seconds, sessions) per BUCKET_SECONDS of UTC time."""
        bucket = (self._epoch() // BUCKET_SECONDS).label("bucket")
        stmt = self._where(select(bucket, func.count()).group_by(bucket), where)
        return [(int(b) * BUCKET_SECONDS, int(n)) for b, n in await self.session.execute(stmt)]

    def _epoch(self) -> Any:
        if self.session.get_bind().dialect.name == "sqlite":
            # SQLite stores the UTC timestamp as text; '%s' gives whole unix seconds.
            return cast(func.strftime("%s", ARViewSession.created_at), Integer)
        return cast(func.floor(func.extract("epoch", ARViewSession.created_at)), BigInteger)


def _float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
