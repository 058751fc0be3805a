"""Time: a company's local time (rotation days and analytics days both turn over at its
midnight) and whether an expiry moment has come."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # companies validate their zone; an old row must not break views


def local_now(timezone: str, now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)).astimezone(zone(timezone))


def utc_now() -> datetime:
    return datetime.now(UTC)


def has_expired(expires_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether an expiry moment has come: the same answer for the API and the viewer, from the
    moment itself (the daily job that also switches the item off may not have run yet)."""
    return expires_at is not None and expires_at <= (now or utc_now())


def seconds_left_today(local: datetime) -> int:
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), local.tzinfo)
    return int((midnight - local).total_seconds()) + 1
