"""ISO 8601 buckets for ladder series: parsing, clipping, limits, and the bucket of an instant."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.ladder import MAX_BUCKETS, bucket_index, parse_bucket, series_buckets

MARCH = datetime(2026, 3, 1, tzinfo=UTC)
APRIL = datetime(2026, 4, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "step"),
    [
        ("P1D", timedelta(days=1)),
        ("P7D", timedelta(days=7)),
        ("P2W", timedelta(days=14)),
        ("PT6H", timedelta(hours=6)),
        ("p1d", timedelta(days=1)),  # designators are case-insensitive here
        (" P1W ", timedelta(days=7)),
    ],
)
def test_durations_in_days_weeks_and_hours(text: str, step: timedelta) -> None:
    assert parse_bucket(text) == step


@pytest.mark.parametrize(
    "text",
    ["", "1D", "P", "P0D", "PT0H", "P1M", "P1Y", "P1.5D", "P-1D", "P1DT1H", "PT30M", "1 day"],
)
def test_other_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="bucket"):
        parse_bucket(text)


def test_a_month_in_weeks_ends_with_a_clipped_bucket() -> None:
    # March has 31 days: 4 full weeks (28 days) and a 3-day bucket clipped to April 1
    buckets = series_buckets(MARCH, APRIL, timedelta(days=7))

    assert len(buckets) == 5
    assert buckets[0] == (MARCH, MARCH + timedelta(days=7))
    assert buckets[-1] == (MARCH + timedelta(days=28), APRIL)


def test_buckets_that_divide_the_range_exactly() -> None:
    buckets = series_buckets(MARCH, APRIL, timedelta(days=1))
    assert len(buckets) == 31 and buckets[-1][1] == APRIL


def test_at_most_400_buckets() -> None:
    # 400 hours exactly is fine; one hour more needs a 401st bucket
    assert len(series_buckets(MARCH, MARCH + timedelta(hours=400), timedelta(hours=1))) == 400
    with pytest.raises(ValueError, match="401 buckets"):
        series_buckets(MARCH, MARCH + timedelta(hours=401), timedelta(hours=1))
    assert MAX_BUCKETS == 400


def test_an_empty_range_or_step_is_refused() -> None:
    with pytest.raises(ValueError):
        series_buckets(APRIL, MARCH, timedelta(days=1))
    with pytest.raises(ValueError):
        series_buckets(MARCH, APRIL, timedelta(0))


def test_the_bucket_of_an_instant() -> None:
    step = timedelta(days=7)
    assert bucket_index(MARCH, step, MARCH) == 0
    assert bucket_index(MARCH, step, MARCH + timedelta(days=7) - timedelta(microseconds=1)) == 0
    assert bucket_index(MARCH, step, MARCH + timedelta(days=7)) == 1  # half-open
    assert bucket_index(MARCH, step, APRIL - timedelta(seconds=1)) == 4


@given(
    length=st.integers(min_value=1, max_value=400 * 24),
    hours=st.integers(min_value=1, max_value=24 * 14),
    at=st.integers(min_value=0, max_value=400 * 24 * 3600 - 1),
)
def test_buckets_partition_the_range_and_agree_with_bucket_index(length, hours, at) -> None:
    end, step = MARCH + timedelta(hours=length), timedelta(hours=hours)
    try:
        buckets = series_buckets(MARCH, end, step)
    except ValueError:
        assert length / hours > MAX_BUCKETS
        return
    assert buckets[0][0] == MARCH and buckets[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(buckets))
    instant = MARCH + timedelta(seconds=at)
    if instant < end:
        start, stop = buckets[bucket_index(MARCH, step, instant)]
        assert start <= instant < stop


def test_a_range_ending_at_the_end_of_the_calendar_does_not_overflow() -> None:
    # Dec 25 9999 to Dec 31 9999 23:00 in weekly buckets: one bucket of 6 days 23 hours; the
    # naive end (start + 7 days) would be January 10000, past datetime.max.
    start = datetime(9999, 12, 25, tzinfo=UTC)
    end = datetime(9999, 12, 31, 23, tzinfo=UTC)
    assert series_buckets(start, end, timedelta(days=7)) == [(start, end)]
    # two daily buckets up to the very last microsecond of the calendar
    last = datetime.max.replace(tzinfo=UTC)
    late = datetime(9999, 12, 30, 12, tzinfo=UTC)
    assert series_buckets(late, last, timedelta(days=1)) == [
        (late, late + timedelta(days=1)),
        (late + timedelta(days=1), last),
    ]


@given(
    start=st.datetimes(min_value=datetime(9990, 1, 1), max_value=datetime(9999, 12, 30)),
    hours=st.integers(min_value=1, max_value=400),
    step_hours=st.integers(min_value=1, max_value=24 * 14),
)
def test_buckets_tile_any_range_up_to_the_end_of_the_calendar(
    start: datetime, hours: int, step_hours: int
) -> None:
    begin = start.replace(tzinfo=UTC)
    last = datetime.max.replace(tzinfo=UTC)
    end = begin + timedelta(hours=hours) if last - begin > timedelta(hours=hours) else last
    step = timedelta(hours=step_hours)
    if math.ceil((end - begin) / step) > MAX_BUCKETS:
        return
    buckets = series_buckets(begin, end, step)
    assert buckets[0][0] == begin and buckets[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(buckets))
    assert all(timedelta(0) < b - a <= step for a, b in buckets)
