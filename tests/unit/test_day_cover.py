"""`cover_with_days`: whole UTC days + live pieces − pieces taken back equals the range, instant by
instant, and a partial end is taken back out of its whole day only when the rest is shorter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.services.costs.scope import TimeRange, cover_with_days

MIDNIGHT = datetime(2026, 3, 2, tzinfo=UTC)


def covers(pieces: list[TimeRange], at: datetime) -> int:
    return sum(p.start <= at < p.end for p in pieces)


def test_a_range_from_0400_takes_the_first_day_whole_and_four_hours_back() -> None:
    cover = cover_with_days(
        TimeRange(MIDNIGHT + timedelta(hours=4), MIDNIGHT + timedelta(days=3, hours=2))
    )
    assert cover is not None
    assert cover.days == TimeRange(MIDNIGHT, MIDNIGHT + timedelta(days=3))
    assert cover.minus == [TimeRange(MIDNIGHT, MIDNIGHT + timedelta(hours=4))]
    assert cover.plus == [  # 02:00 of the last day: the 2 hours are read, not the 22 after
        TimeRange(MIDNIGHT + timedelta(days=3), MIDNIGHT + timedelta(days=3, hours=2))
    ]


def test_a_range_ending_late_in_the_day_takes_back_only_the_hours_after_it() -> None:
    cover = cover_with_days(
        TimeRange(MIDNIGHT + timedelta(hours=20), MIDNIGHT + timedelta(days=2, hours=21))
    )
    assert cover is not None
    assert cover.days == TimeRange(MIDNIGHT + timedelta(days=1), MIDNIGHT + timedelta(days=3))
    assert cover.plus == [TimeRange(MIDNIGHT + timedelta(hours=20), MIDNIGHT + timedelta(days=1))]
    assert cover.minus == [
        TimeRange(MIDNIGHT + timedelta(days=2, hours=21), MIDNIGHT + timedelta(days=3))
    ]


def test_no_whole_day_no_cover() -> None:
    assert (
        cover_with_days(TimeRange(MIDNIGHT + timedelta(hours=1), MIDNIGHT + timedelta(hours=30)))
        is None
    )


@given(
    start=st.integers(0, 5 * 24 * 60),
    length=st.integers(1, 6 * 24 * 60),
    probes=st.lists(st.integers(-24 * 60, 12 * 24 * 60), min_size=1, max_size=40),
)
def test_days_plus_minus_is_the_range(start: int, length: int, probes: list[int]) -> None:
    time_range = TimeRange(
        MIDNIGHT + timedelta(minutes=start), MIDNIGHT + timedelta(minutes=start + length)
    )
    cover = cover_with_days(time_range)
    if cover is None:
        assert length < 2 * 24 * 60
        return
    for live in (*cover.plus, *cover.minus):  # every live piece is under half a day
        assert live.end - live.start <= timedelta(hours=12)
    for minute in probes:
        at = MIDNIGHT + timedelta(minutes=minute)
        inside = int(time_range.start <= at < time_range.end)
        counted = covers([cover.days], at) + covers(cover.plus, at) - covers(cover.minus, at)
        assert counted == inside, at
        assert covers(cover.minus, at) <= covers([cover.days], at)  # taken back from whole days
