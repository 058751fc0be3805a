"""Property tests of the rotation resolver (a pure function, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from vertex_ar.core.clock import local_now
from vertex_ar.rotation.models import RotationType, VideoRotationRule
from vertex_ar.rotation.resolver import DailyCycle, RotationPlan, Schedule, resolve_video
from vertex_ar.rotation.service import plan_of

DAYS = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
INSTANTS = st.datetimes(
    min_value=datetime(2021, 1, 1), max_value=datetime(2034, 12, 31), timezones=st.just(UTC)
)
CONTENT_IDS = st.integers(min_value=1, max_value=10**9)
# Video ids of the content; plans may also name ids that are not (deleted videos, typos).
VIDEO_SETS = st.sets(st.integers(min_value=1, max_value=40), min_size=1, max_size=8)
ANY_IDS = st.lists(st.integers(min_value=1, max_value=60), min_size=1, max_size=10)
# Zones at both ends of the offset range, half-hour offsets and DST.
ZONES = st.sampled_from(
    ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata", "America/New_York",
     "Europe/Moscow", "Australia/Lord_Howe", "Asia/Kathmandu"]
)  # fmt: skip


@st.composite
def schedules(draw: st.DrawFn) -> tuple[Schedule, ...]:
    items = []
    for _ in range(draw(st.integers(0, 4))):
        start = draw(DAYS)
        items.append(Schedule(start, start + timedelta(days=draw(st.integers(0, 60))),
                              draw(st.integers(1, 60))))  # fmt: skip
    return tuple(items)


@st.composite
def plans(draw: st.DrawFn) -> RotationPlan:
    cycle = None
    if draw(st.booleans()):
        cycle = DailyCycle(tuple(draw(ANY_IDS)), draw(DAYS))
    return RotationPlan(
        schedules=draw(schedules()),
        cycle=cycle,
        pool=tuple(draw(st.lists(st.integers(1, 60), max_size=6))),
        default_video_id=draw(st.none() | st.integers(1, 60)),
    )


@given(plan=st.none() | plans(), videos=VIDEO_SETS, content_id=CONTENT_IDS, day=DAYS)
def test_always_a_video_of_this_content(
    plan: RotationPlan | None, videos: set[int], content_id: int, day: date
) -> None:
    assert resolve_video(plan, videos, content_id, day) in videos


@given(plan=st.none() | plans(), content_id=CONTENT_IDS, day=DAYS)
def test_no_video_without_videos(plan: RotationPlan | None, content_id: int, day: date) -> None:
    assert resolve_video(plan, set(), content_id, day) is None


@given(
    plan=plans(),
    videos=VIDEO_SETS,
    content_id=CONTENT_IDS,
    zone=ZONES,
    instant=INSTANTS,
    later=st.integers(min_value=0, max_value=24 * 3600 - 1),
)
def test_stable_within_the_companys_day(
    plan: RotationPlan, videos: set[int], content_id: int, zone: str, instant: datetime,
    later: int,
) -> None:  # fmt: skip
    first = local_now(zone, instant)
    second = local_now(zone, instant + timedelta(seconds=later))
    assume(first.date() == second.date())
    assert resolve_video(plan, videos, content_id, first.date()) == resolve_video(
        plan, videos, content_id, second.date()
    )


@given(
    zone=ZONES,
    instant=INSTANTS,
)
def test_the_day_is_the_companys_local_date(zone: str, instant: datetime) -> None:
    """A cycle of distinct videos turns over at local midnight, not at UTC midnight."""
    start = date(2020, 1, 1)
    sequence = (11, 12, 13, 14, 15, 16, 17)
    plan = RotationPlan(cycle=DailyCycle(sequence, start))
    local_day = local_now(zone, instant).date()
    expected = sequence[(local_day - start).days % len(sequence)]
    assert resolve_video(plan, set(sequence), 1, local_day) == expected
    if local_day != instant.date():  # the UTC date would have picked a different video
        assert resolve_video(plan, set(sequence), 1, instant.date()) != expected


@given(plan=plans(), videos=VIDEO_SETS, content_id=CONTENT_IDS, day=DAYS, extra=st.data())
def test_priority_order(
    plan: RotationPlan, videos: set[int], content_id: int, day: date, extra: st.DataObject
) -> None:
    """The answer is the answer of the highest layer that applies on that day; lower layers
    cannot change it."""
    chosen = resolve_video(plan, videos, content_id, day)
    layers = [
        RotationPlan(schedules=plan.schedules),
        RotationPlan(cycle=plan.cycle),
        RotationPlan(pool=plan.pool),
        RotationPlan(default_video_id=plan.default_video_id),
    ]
    fallback = min(videos)
    for layer in layers:
        alone = resolve_video(layer, videos, content_id, day)
        applies = alone != fallback or _layer_names(layer, fallback, day)
        if applies:
            assert chosen == alone
            break
    else:
        assert chosen == fallback
    # A schedule covering the day with a video of the content beats everything else.
    winner = extra.draw(st.sampled_from(sorted(videos)))
    covering = Schedule(day - timedelta(days=1), day, winner)
    boosted = RotationPlan(
        (covering, *plan.schedules), plan.cycle, plan.pool, plan.default_video_id
    )
    assert resolve_video(boosted, videos, content_id, day) == winner


def _layer_names(layer: RotationPlan, video: int, day: date) -> bool:
    """Whether a single-layer plan itself picks ``video`` (not just the fallback)."""
    if any(s.start <= day <= s.end and s.video_id == video for s in layer.schedules):
        return True
    if layer.cycle is not None and day >= layer.cycle.start and video in layer.cycle.sequence:
        return True
    return video in layer.pool or layer.default_video_id == video


@given(
    sequence=st.lists(st.integers(1, 60), min_size=1, max_size=10, unique=True),
    start=DAYS,
    offset=st.integers(min_value=0, max_value=5000),
    content_id=CONTENT_IDS,
)
def test_cycle_visits_every_video_in_order(
    sequence: list[int], start: date, offset: int, content_id: int
) -> None:
    plan = RotationPlan(cycle=DailyCycle(tuple(sequence), start))
    videos = set(sequence)
    first = start + timedelta(days=offset)
    window = [
        resolve_video(plan, videos, content_id, first + timedelta(days=i))
        for i in range(len(sequence))
    ]
    assert sorted(v for v in window if v is not None) == sorted(sequence)
    # Consecutive days step through the sequence in order.
    assert window[0] is not None
    at = sequence.index(window[0])
    assert window == [sequence[(at + i) % len(sequence)] for i in range(len(sequence))]


@given(
    sequence=st.lists(st.integers(1, 60), min_size=2, max_size=8, unique=True),
    start=DAYS,
    content_id=CONTENT_IDS,
    data=st.data(),
)
def test_cycle_skips_deleted_videos_and_still_visits_the_rest(
    sequence: list[int], start: date, content_id: int, data: st.DataObject
) -> None:
    deleted = data.draw(st.sampled_from(sequence))
    videos = set(sequence) - {deleted}
    plan = RotationPlan(cycle=DailyCycle(tuple(sequence), start))
    seen = {resolve_video(plan, videos, content_id, start + timedelta(days=i))
            for i in range(len(videos))}  # fmt: skip
    assert seen == videos


@settings(max_examples=50)
@given(
    pool=st.lists(st.integers(1, 60), min_size=1, max_size=5, unique=True),
    content_id=CONTENT_IDS,
    start=DAYS,
)
def test_random_daily_uses_the_whole_pool(pool: list[int], content_id: int, start: date) -> None:
    plan = RotationPlan(pool=tuple(pool))
    picks = [resolve_video(plan, set(pool), content_id, start + timedelta(days=i))
             for i in range(200)]  # fmt: skip
    assert set(picks) == set(pool)  # P(missing one of ≤ 5 in 200 days) < 1e-18
    assert picks == [resolve_video(plan, set(pool), content_id, start + timedelta(days=i))
                     for i in range(200)]  # fmt: skip


def test_random_daily_depends_on_content_and_date() -> None:
    """Two prints with the same pool do not show the same video every day."""
    pool = (1, 2, 3, 4)
    plan = RotationPlan(pool=pool)
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(60)]
    a = [resolve_video(plan, set(pool), 101, d) for d in days]
    b = [resolve_video(plan, set(pool), 202, d) for d in days]
    assert a != b


def test_before_the_cycle_starts_the_default_plays() -> None:
    plan = RotationPlan(cycle=DailyCycle((2, 3), date(2026, 5, 1)), default_video_id=4)
    assert resolve_video(plan, {1, 2, 3, 4}, 1, date(2026, 4, 30)) == 4
    assert resolve_video(plan, {1, 2, 3, 4}, 1, date(2026, 5, 1)) == 2
    assert resolve_video(plan, {1, 2, 3, 4}, 1, date(2026, 5, 2)) == 3
    assert resolve_video(plan, {1, 2, 3, 4}, 1, date(2026, 5, 3)) == 2


def test_a_stored_rule_that_no_longer_validates_falls_back() -> None:
    broken = VideoRotationRule(
        content_id=1, type=RotationType.daily_cycle, config={"video_sequence": "oops"}
    )
    assert plan_of(broken) is None  # the viewer then plays the first video
    good = VideoRotationRule(
        content_id=1, type=RotationType.random_daily, config={"video_pool": [3, 4]},
        default_video_id=4,
    )  # fmt: skip
    assert plan_of(good) == RotationPlan(pool=(3, 4), default_video_id=4)
