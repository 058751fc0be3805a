"""Cutting a period where a zone's UTC offset changes (SQLite counts local days per piece)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from vertex_ar.analytics.repository import offset_pieces

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata",
         "America/St_Johns", "Pacific/Chatham", "Africa/Casablanca"]  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    first=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    days=st.integers(min_value=1, max_value=366),
    probes=st.lists(
        st.floats(min_value=0, max_value=1, exclude_max=True), min_size=20, max_size=20
    ),
)
def test_pieces_tile_the_period_with_the_zones_offsets(
    zone: str, first: date, days: int, probes: list[float]
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.combine(first, time.min, tz).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=days), time.min, tz).astimezone(UTC)
    pieces = offset_pieces(start, end, tz)
    assert pieces[0][0] == start and pieces[-1][1] == end
    assert all(a[1] == b[0] for a, b in pairwise(pieces))
    for low, high, offset in pieces:
        for fraction in probes:  # anywhere in the piece, the local date is UTC + its offset
            # (timedelta * float rounds to whole microseconds: keep the probe inside the piece)
            instant = min(low + (high - low) * fraction, high - timedelta(microseconds=1))
            local = instant.astimezone(tz)
            assert (instant + timedelta(seconds=offset)).date() == local.date()
            assert int(local.utcoffset().total_seconds()) == offset  # type: ignore[union-attr]
        edge = high - timedelta(microseconds=1)  # the last instant before the cut
        assert int(edge.astimezone(tz).utcoffset().total_seconds()) == offset  # type: ignore[union-attr]


def test_a_dst_year_has_three_pieces() -> None:
    tz = ZoneInfo("Europe/Berlin")
    start = datetime(2025, 1, 1, tzinfo=tz).astimezone(UTC)
    end = datetime(2026, 1, 1, tzinfo=tz).astimezone(UTC)
    pieces = offset_pieces(start, end, tz)
    assert [p[2] for p in pieces] == [3600, 7200, 3600]
    assert pieces[0][1] == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00
    assert pieces[1][1] == datetime(2025, 10, 26, 1, 0, tzinfo=UTC)
