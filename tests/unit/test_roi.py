"""ROI windows: dates and status, baselines, lift, ROI, cost per success and cost vs labor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.roi import (
    Baseline,
    WindowStatus,
    WindowTotals,
    add_totals,
    baseline_in_force,
    cohort_day,
    days_in_range,
    range_complete,
    roi_figures,
    window_end,
    window_start,
    window_status,
    window_totals,
)

D = Decimal
DAY = date(2026, 3, 1)


def test_window_runs_from_the_cohort_day_to_thirty_one_days_later() -> None:
    assert window_start(DAY) == datetime(2026, 3, 1, tzinfo=UTC)
    # 2026-03-01 + 1 day (the cohort's day) + 30 days (the attribution window) = 2026-04-01.
    assert window_end(DAY) == datetime(2026, 4, 1, tzinfo=UTC)


def test_window_is_open_until_its_end_then_final() -> None:
    end = window_end(DAY)
    assert window_status(DAY, end - timedelta(microseconds=1)) is WindowStatus.OPEN
    assert window_status(DAY, end) is WindowStatus.FINAL


def test_cohort_day_is_the_utc_date() -> None:
    from datetime import timezone

    tokyo = timezone(timedelta(hours=9))
    assert cohort_day(datetime(2026, 3, 2, 8, 59, tzinfo=tokyo)) == date(2026, 3, 1)
    with pytest.raises(ValueError):
        cohort_day(datetime(2026, 3, 1))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ((2026, 3, 1), (2026, 4, 1), (date(2026, 3, 1), date(2026, 3, 31))),
        # 10:00 on the 1st: the 1st's midnight is before the range, so the 2nd comes first.
        ((2026, 3, 1, 10), (2026, 3, 3), (date(2026, 3, 2), date(2026, 3, 2))),
        ((2026, 3, 1, 10), (2026, 3, 1, 20), None),
    ],
)
def test_days_in_range_are_the_midnights_inside_it(start, end, expected) -> None:
    assert days_in_range(datetime(*start, tzinfo=UTC), datetime(*end, tzinfo=UTC)) == expected


def test_a_clients_baseline_overrides_the_workflow_wide_one() -> None:
    wide, own = Baseline(D("10")), Baseline(D("12"), D("30"))
    assert baseline_in_force(own, wide) is own
    assert baseline_in_force(None, wide) is wide
    assert baseline_in_force(None, None) is None


def test_the_issue_example_roi_is_about_eleven_point_four() -> None:
    # 10 successes at 4.20 each: cost 42.00. Baseline 20.00 per success: 200.00.
    # They claimed 48.00 more than the baseline each: 10 × 68.00 = 680.00.
    totals = window_totals(
        runs=12,
        successes=10,
        cost=D("42.00"),
        attributed_revenue=D("680.00"),
        baseline=Baseline(D("20.00"), D("35.00")),
    )

    figures = roi_figures(totals)

    assert figures.cost_per_success == D("4.2000000000")  # 42.00 / 10
    assert figures.baseline_revenue == D("200.00")  # 10 × 20.00
    assert figures.lift == D("480.00")  # 680.00 − 200.00
    assert figures.roi == pytest.approx(11.428571428571429)  # 480 / 42 = 48 / 4.20
    # labor 10 × 35.00 = 350.00; 42.00 / 350.00 = 0.12 (4.20 per success vs 35.00 by hand)
    assert totals.labor_cost == D("350.00")
    assert figures.cost_vs_labor == pytest.approx(0.12)


def test_without_cost_roi_is_null_and_without_successes_cost_per_success_is_null() -> None:
    free = roi_figures(
        window_totals(runs=1, successes=1, cost=D(0), attributed_revenue=D("5"), baseline=None)
    )
    assert free.roi is None
    assert free.lift == D("5")  # no baseline: lift measured against earning nothing
    assert free.cost_vs_labor is None  # no human cost known

    failing = roi_figures(
        window_totals(
            runs=3,
            successes=0,
            cost=D("9"),
            attributed_revenue=D(0),
            baseline=Baseline(D("50"), D("20")),
        )
    )
    assert failing.cost_per_success is None
    assert failing.roi == 0.0  # lift 0 − 0 = 0 over cost 9
    assert failing.cost_vs_labor is None  # 0 successes: no labor replaced


def test_negative_lift_gives_negative_roi() -> None:
    # 2 successes, baseline 30 each = 60; they claimed 20: lift −40 over cost 8 = −5.
    figures = roi_figures(
        window_totals(
            runs=2, successes=2, cost=D("8"), attributed_revenue=D("20"), baseline=Baseline(D("30"))
        )
    )
    assert figures.lift == D("-40")
    assert figures.roi == -5.0


def test_totals_refuse_more_successes_than_runs() -> None:
    with pytest.raises(ValueError):
        WindowTotals(1, 2, D(0), D(0), D(0), None)


def test_adding_windows_sums_them_and_unknown_labor_makes_the_sum_unknown() -> None:
    a = WindowTotals(2, 1, D("3.5"), D("10"), D("4"), D("20"))
    b = WindowTotals(5, 3, D("1.25"), D("0"), D("12"), D("60"))
    total = add_totals([a, b])
    assert total == WindowTotals(7, 4, D("4.75"), D("10"), D("16"), D("80"))
    assert add_totals([a, WindowTotals(1, 0, D(1), D(0), D(0), None)]).labor_cost is None
    assert add_totals([]) == WindowTotals(0, 0, D(0), D(0), D(0), D(0))


def test_a_range_is_complete_only_when_its_last_day_is_final_and_nothing_is_open() -> None:
    last = date(2026, 3, 31)
    final_at = window_end(last)  # 2026-05-01
    assert not range_complete(last_day=last, now=final_at - timedelta(seconds=1), any_open=False)
    assert range_complete(last_day=last, now=final_at, any_open=False)
    assert not range_complete(last_day=last, now=final_at, any_open=True)
    assert range_complete(last_day=None, now=final_at, any_open=False)


money = st.integers(min_value=-(10**9), max_value=10**9).map(lambda c: D(c).scaleb(-2))


@settings(max_examples=200, deadline=None)
@given(
    runs=st.integers(0, 1000),
    data=st.data(),
    cost=money,
    revenue=money,
    rps=st.one_of(st.none(), money.map(abs)),
)
def test_lift_is_revenue_minus_baseline_and_roi_is_lift_over_cost(runs, data, cost, revenue, rps):
    successes = data.draw(st.integers(0, runs))
    baseline = None if rps is None else Baseline(rps)
    totals = window_totals(
        runs=runs, successes=successes, cost=cost, attributed_revenue=revenue, baseline=baseline
    )
    figures = roi_figures(totals)

    assert figures.lift == revenue - (successes * rps if rps is not None else 0)
    if cost == 0:
        assert figures.roi is None
    else:
        assert figures.roi == pytest.approx(float(figures.lift / cost), rel=1e-12)
    # Summing a window with itself doubles every additive figure.
    doubled = add_totals([totals, totals])
    assert roi_figures(doubled).lift == 2 * figures.lift
