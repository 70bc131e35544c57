"""The drift check: Mann–Kendall significance, Sen's slope and its upper limit, in % per 30 days."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.gate_cost import DayTotals
from app.domain.gate_drift import (
    MIN_DRIFT_POINTS,
    daily_costs_per_outcome,
    drift_check,
    sen_slope_interval,
)
from app.domain.gates import CheckStatus
from app.domain.statistics import mann_kendall
from tests.gate_specs import gate_spec

PASS, FAIL, INSUFFICIENT = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.INSUFFICIENT_DATA

# A zero-mean noise pattern: 10 values, repeated.
NOISE = ["0.3", "-0.2", "0.1", "-0.4", "0.2", "0", "-0.1", "0.4", "-0.3", "0.0"]


gate = partial(
    gate_spec, min_acceptance_rate=0.5, min_sample_size=10, max_cost_per_outcome=Decimal(100)
)


def series(values: list[Decimal], accepted: int = 2) -> list[DayTotals]:
    """Day i with `accepted` outcomes and a cost making its cost per outcome values[i]."""
    return [
        DayTotals(day=i, attempts=accepted + 1, accepted=accepted, cost=v * accepted)
        for i, v in enumerate(values)
    ]


def test_a_known_mann_kendall_and_sen_example() -> None:
    # x = 5, 7, 6, 9, 8, 10 at days 0..5.
    # S: from 5: +5; from 7: −1+3 = 2; from 6: +3; from 9: −1+1 = 0; from 8: +1 → S = 11
    # Var S = 6·5·17 / 18 = 28.3333; z = (11 − 1) / sqrt(28.3333) = 10 / 5.322906 = 1.878673
    # p = 2 (1 − Φ(1.878673)) = 0.060289
    values = [5, 7, 6, 9, 8, 10]
    trend = mann_kendall(values)
    assert trend.s == 11
    assert trend.var_s == pytest.approx(510 / 18)
    assert trend.z == pytest.approx(1.878673, abs=1e-6)
    assert trend.p_two_sided == pytest.approx(0.060289, abs=1e-6)
    # The 15 pairwise slopes, sorted: −1 −1 1/3 0.5 0.5 0.75 0.75 1 1 1 4/3 4/3 2 2 3
    # Sen's slope: the 8th = 1.
    # C = 1.959964 · 5.322906 = 10.432720; lower rank round((15 − 10.4327)/2) = round(2.28) = 2
    # → −1; upper rank round((15 + 10.4327)/2 + 1) = round(13.72) = 14 → 2.
    interval = sen_slope_interval(list(enumerate(values)), 0.95)
    assert (interval.slope, interval.low, interval.high) == (1.0, -1.0, 2.0)


def test_gaps_between_days_are_respected() -> None:
    # Points at days 0, 2, 4 rising by 1 each: 0.5 per day, not 1.
    interval = sen_slope_interval([(0, 1), (2, 2), (4, 3)], 0.95)
    assert interval.slope == 0.5


def test_a_steady_rise_is_detected() -> None:
    # Cost per outcome 10 + 0.1·d for d = 0..29: every pairwise slope is 0.1 per day.
    # median = 10 + 0.1·14.5 = 11.45 → drift = 0.1 · 30 / 11.45 · 100 = 26.200873 % per 30 days
    # S = 435 (all 30·29/2 pairs rise), Var S = 30·29·65/18 = 3141.67, z = 434/56.05 = 7.74.
    values = [Decimal(10) + Decimal("0.1") * d for d in range(30)]
    check = drift_check(days=series(values), gate=gate())
    assert check.status is FAIL
    assert check.observed == pytest.approx(26.200873, abs=1e-5)
    assert check.bound == pytest.approx(26.200873, abs=1e-5)
    assert check.threshold == 10.0
    assert check.sample_size == 30
    assert "a significant rise" in check.detail
    assert check.detail.startswith("Daily cost per outcome drifts +26.2% per 30 days")


def test_a_rise_within_the_limit_passes() -> None:
    # The same rise (+26.2 %) against a 30 % limit: bounded below the limit → PASS.
    values = [Decimal(10) + Decimal("0.1") * d for d in range(30)]
    assert drift_check(days=series(values), gate=gate(max_drift_pct=30.0)).status is PASS


def test_a_flat_noisy_series_passes_only_when_bounded() -> None:
    # 10 ± noise over 30 days: S = −12, p = 0.84 — no trend. Sen's slope 0; its upper limit
    # 0.011111 per day → 0.011111 · 30 / 10 · 100 = 3.33 % per 30 days.
    values = [Decimal(10) + Decimal(n) for n in NOISE * 3]
    loose = drift_check(days=series(values), gate=gate(max_drift_pct=5.0))
    tight = drift_check(days=series(values), gate=gate(max_drift_pct=1.0))
    assert loose.status is PASS
    assert loose.bound == pytest.approx(3.3333, abs=1e-3)
    assert loose.observed == 0.0
    # Not bounded below 1 %, and no significant rise either: inconclusive, never FAIL.
    assert tight.status is INSUFFICIENT
    assert "inconclusive" in tight.detail and "not significant" in tight.detail


def test_a_few_noisy_points_never_prove_no_drift() -> None:
    # Ten days swinging ±30 %: the upper limit is far above 10 % → INSUFFICIENT_DATA.
    values = [Decimal(10) + 3 * Decimal(n) * 10 for n in NOISE]
    check = drift_check(days=series(values), gate=gate())
    assert check.status is INSUFFICIENT
    assert check.bound is not None and check.bound > 10


def test_too_few_days_with_outcomes_are_insufficient() -> None:
    # 9 days with outcomes plus 5 days with spend but none: 9 < 10 points.
    days = series([Decimal(10)] * 9) + [
        DayTotals(day=9 + i, attempts=3, accepted=0, cost=Decimal(5)) for i in range(5)
    ]
    check = drift_check(days=days, gate=gate())
    assert (check.status, check.observed, check.bound, check.sample_size) == (
        INSUFFICIENT,
        None,
        None,
        9,
    )
    assert check.detail == (
        "Cost drift is unproven: 9 days with accepted outcomes, and the trend test needs at "
        "least 10."
    )


def test_a_window_shorter_than_ten_days_says_so() -> None:
    check = drift_check(days=series([Decimal(1)] * 7), gate=gate(window_days=7))
    assert check.detail.endswith("needs at least 10 (the window has only 7 days).")


def test_a_zero_median_cannot_be_a_percentage() -> None:
    check = drift_check(days=series([Decimal(0)] * 12), gate=gate())
    assert check.status is INSUFFICIENT
    assert "median daily cost per outcome is 0.0000" in check.detail


def test_daily_points_are_cost_over_outcomes_in_day_order() -> None:
    days = [
        DayTotals(day=3, attempts=4, accepted=3, cost=Decimal(10)),
        DayTotals(day=1, attempts=2, accepted=0, cost=Decimal(7)),
        DayTotals(day=0, attempts=1, accepted=1, cost=Decimal("2.5")),
    ]
    # day 0: 2.5 / 1; day 1: no outcome, left out; day 3: 10 / 3 = 3.3333333333
    assert daily_costs_per_outcome(days) == [
        (0, Decimal("2.5000000000")),
        (3, Decimal("3.3333333333")),
    ]


def test_sen_interval_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        sen_slope_interval([(0, 1)], 0.95)
    with pytest.raises(ValueError):
        sen_slope_interval([(0, 1), (0, 2)], 0.95)
    with pytest.raises(ValueError):
        sen_slope_interval([(0, 1), (1, 2)], 1.0)


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(
        st.decimals(min_value=1, max_value=50, places=2, allow_nan=False),
        min_size=MIN_DRIFT_POINTS,
        max_size=30,
    ),
    limit=st.floats(min_value=0, max_value=100),
)
def test_verdicts_follow_their_rules(values: list[Decimal], limit: float) -> None:
    check = drift_check(days=series(values), gate=gate(max_drift_pct=limit))
    assert check.observed is not None and check.bound is not None
    assert check.bound >= check.observed - 1e-9  # Sen's upper limit is at or above the slope
    if check.status is PASS:
        assert check.bound <= limit
    if check.status is FAIL:
        trend = mann_kendall(values)
        assert trend.s > 0 and trend.p_two_sided < 0.05
        assert check.observed > limit


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(
        st.decimals(min_value=1, max_value=50, places=2, allow_nan=False),
        min_size=MIN_DRIFT_POINTS,
        max_size=30,
    )
)
def test_a_series_without_a_significant_rise_never_fails(values: list[Decimal]) -> None:
    trend = mann_kendall(values)
    check = drift_check(days=series(values), gate=gate(max_drift_pct=0.0))
    if not (trend.s > 0 and trend.p_two_sided < 0.05):
        assert check.status is not FAIL
