"""A company's local time: rotation days and analytics days both turn over at its midnight."""

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


def seconds_left_today(local: datetime) -> int:
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), local.tzinfo)
    return int((midnight - local).total_seconds()) + 1
