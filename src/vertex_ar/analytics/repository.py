"""View-session queries. Every read is scoped by the auth subject and bounded by a period.

The overview reads the covering index (company_id, created_at, then every column it aggregates;
migration 0003) in one pass, grouped per 15-minute bucket and device type; Python folds the
groups into totals, the device split and local days. Unique content is a second pass over
the same index. Neither touches the table itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, Select, case, cast, func, select

from vertex_ar.analytics.models import ARViewSession
from vertex_ar.core.repository import ScopedRepository

# Every real UTC offset is a multiple of 15 minutes, so folding 15-minute UTC buckets into local
# days is exact in any zone, DST included.
BUCKET_SECONDS = 900


@dataclass(frozen=True)
class SessionFilter:
    start: datetime | None = None  # UTC, inclusive
    end: datetime | None = None  # UTC, exclusive
    company_id: int | None = None
    content_id: int | None = None


@dataclass(frozen=True)
class Group:
    """The sessions of one 15-minute bucket on one device type (sums and counts of non-null)."""

    bucket_start: int  # unix seconds
    device_type: str
    views: int
    found: int
    fps_sum: float
    fps_count: int
    duration_sum: float
    duration_count: int
    detection_sum: float
    detection_count: int


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

    async def groups(self, where: SessionFilter) -> list[Group]:
        s = ARViewSession
        bucket = (self._epoch() // BUCKET_SECONDS).label("bucket")
        stmt = self._where(
            select(
                bucket,
                s.device_type,
                func.count(),
                func.sum(case((s.found.is_(True), 1), else_=0)),
                func.coalesce(func.sum(s.fps), 0.0),
                func.count(s.fps),
                func.coalesce(func.sum(s.duration_seconds), 0.0),
                func.count(s.duration_seconds),
                func.coalesce(func.sum(s.time_to_detection_ms), 0.0),
                func.count(s.time_to_detection_ms),
            ).group_by(bucket, s.device_type),
            where,
        )
        return [
            Group(int(b) * BUCKET_SECONDS, str(d), int(n), int(f), float(fs), int(fc),
                  float(ds), int(dc), float(ts), int(tc))
            for b, d, n, f, fs, fc, ds, dc, ts, tc in await self.session.execute(stmt)
        ]  # fmt: skip

    async def unique_content(self, where: SessionFilter) -> int:
        stmt = self._where(select(func.count(ARViewSession.content_id.distinct())), where)
        return int(await self.session.scalar(stmt) or 0)

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

    def _epoch(self) -> Any:
        if self.session.get_bind().dialect.name == "sqlite":
            # SQLite stores the UTC timestamp as text; '%s' gives whole unix seconds.
            return cast(func.strftime("%s", ARViewSession.created_at), Integer)
        return cast(func.floor(func.extract("epoch", ARViewSession.created_at)), BigInteger)
