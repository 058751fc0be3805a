"""Which video plays on a given day: a pure function of the plan, the videos and the local date.

Resolution order (first that yields a video of this content wins):
date-specific schedules → daily cycle → random daily pool → default video → the first video.
Ids in a plan that no longer name a video of the content (deleted since) are skipped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Schedule:
    """``video_id`` plays from ``start`` to ``end``, both inclusive."""

    start: date
    end: date
    video_id: int


@dataclass(frozen=True)
class DailyCycle:
    """One video per day in sequence order, starting with the first on ``start``."""

    sequence: tuple[int, ...]
    start: date


@dataclass(frozen=True)
class RotationPlan:
    schedules: tuple[Schedule, ...] = ()
    cycle: DailyCycle | None = None
    pool: tuple[int, ...] = ()
    default_video_id: int | None = None


def daily_index(content_id: int, day: date, size: int) -> int:
    """A stable pseudo-random index in ``range(size)`` for one content item on one day.

    A hash, not Python's ``hash()`` (salted per process) nor a RNG: every web process and every
    restart picks the same video all day.
    """
    digest = hashlib.sha256(f"{content_id}:{day.isoformat()}".encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") % size


def resolve_video(
    plan: RotationPlan | None, video_ids: Collection[int], content_id: int, day: date
) -> int | None:
    """The id of the video to play on ``day`` (the company's local date); None without videos."""
    if not video_ids:
        return None
    if plan is not None:
        chosen = _from_plan(plan, video_ids, content_id, day)
        if chosen is not None:
            return chosen
    return min(video_ids)  # no rule applies: the first uploaded video


def _from_plan(
    plan: RotationPlan, video_ids: Collection[int], content_id: int, day: date
) -> int | None:
    for schedule in plan.schedules:  # overlapping ranges: the first listed wins
        if schedule.start <= day <= schedule.end and schedule.video_id in video_ids:
            return schedule.video_id
    if plan.cycle is not None and day >= plan.cycle.start:
        sequence = _present(plan.cycle.sequence, video_ids)
        if sequence:
            return sequence[(day - plan.cycle.start).days % len(sequence)]
    pool = _present(plan.pool, video_ids)
    if pool:
        return pool[daily_index(content_id, day, len(pool))]
    if plan.default_video_id is not None and plan.default_video_id in video_ids:
        return plan.default_video_id
    return None


def _present(ids: Sequence[int], video_ids: Collection[int]) -> list[int]:
    return [v for v in ids if v in video_ids]
