"""Which backups to keep: the newest of each of the last N days, ISO weeks and months."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import datetime


def keep(
    created: Sequence[tuple[str, datetime]], *, daily: int, weekly: int, monthly: int
) -> set[str]:
    """Names to keep among (name, created_at); the newest backup is always kept."""
    newest_first = sorted(created, key=lambda item: item[1], reverse=True)
    kept: set[str] = set()

    def by(period: Callable[[datetime], Hashable], count: int) -> None:
        seen: list[Hashable] = []
        for name, when in newest_first:
            bucket = period(when)
            if bucket in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(bucket)
            kept.add(name)

    by(lambda when: when.date(), daily)
    by(lambda when: when.isocalendar()[:2], weekly)
    by(lambda when: (when.year, when.month), monthly)
    if newest_first:
        kept.add(newest_first[0][0])
    return kept
