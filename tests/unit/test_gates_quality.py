"""Gate definitions, worst-of, and the quality check (acceptance rate with a Wilson lower bound)."""

from __future__ import annotations

import math
import statistics
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.gates import (
    CheckStatus,
    InvalidGate,
    format_amount,
    format_drift,
    format_percent,
    quality_check,
    worst_of,
)
from tests.gate_specs import gate_spec

PASS, FAIL, INSUFFICIENT = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.INSUFFICIENT_DATA


gate = partial(gate_spec, min_acceptance_rate=0.85)


def wilson_low_by_bisection(successes: int, n: int, confidence: float) -> float:
    """Independent of the closed form: the Wilson lower bound is the root p <= p̂ of the score
    equation (p̂ − p)² = z² · p(1 − p) / n, found here by bisection."""
    z = statistics.NormalDist().inv_cdf((1 + confidence) / 2)
    p_hat = successes / n

    def excess(p: float) -> float:  # > 0 below the root, < 0 between the roots
        return (p_hat - p) ** 2 - z * z * p * (1 - p) / n

    low, high = 0.0, p_hat
    for _ in range(200):
        mid = (low + high) / 2
        if excess(mid) > 0:
            low = mid
        else:
            high = mid
    return (low + high) / 2


# --- the Wilson bounds, computed two independent ways ----------------------------------------


def test_wilson_lower_bound_of_95_of_100() -> None:
    # p̂ = 0.95, n = 100, z = 1.959964, z² = 3.841459
    # centre = (0.95 + 3.841459/200) / (1 + 3.841459/100) = 0.96920729 / 1.03841459 = 0.933353
    # half   = 1.959964 · sqrt(0.95·0.05/100 + 3.841459/40000) / 1.03841459
    #        = 1.959964 · sqrt(0.000475 + 0.00009604) / 1.03841459 = 0.045103
    # low    = 0.933353 − 0.045103 = 0.888250
    check = quality_check(accepted=95, finished=100, gate=gate())
    assert check.bound == pytest.approx(0.888250, abs=5e-6)
    assert check.bound == pytest.approx(wilson_low_by_bisection(95, 100, 0.95), abs=1e-9)
    assert check.observed == 0.95
    assert check.status is PASS  # 0.888250 >= 0.85
    assert check.threshold == 0.85
    assert check.sample_size == 100
    assert check.detail == (
        "Acceptance rate 95% (95 of 100 finished runs in the last 30 days): its 95% lower "
        "bound 88.82% clears the minimum 85%."
    )


def test_wilson_lower_bound_of_47_of_50() -> None:
    # p̂ = 0.94, n = 50: z²/n = 0.07682918, denominator 1.07682918
    # centre = (0.94 + 0.03841459) / 1.07682918 = 0.908608
    # half   = 1.959964 · sqrt(0.0564/50 + 3.841459/10000) / 1.07682918
    #        = 1.959964 · sqrt(0.001128 + 0.00038415) / 1.07682918 = 0.070778
    # low    = 0.908608 − 0.070778 = 0.837830
    check = quality_check(accepted=47, finished=50, gate=gate())
    assert check.bound == pytest.approx(0.837830, abs=5e-6)
    assert check.bound == pytest.approx(wilson_low_by_bisection(47, 50, 0.95), abs=1e-9)
    # 94% observed is above the 85% minimum, but the bound is not: not proven.
    assert check.status is FAIL
    assert "is below the minimum 85%" in check.detail


@pytest.mark.parametrize(
    ("minimum", "expected"),
    [(0.8882, PASS), (0.8883, FAIL)],  # the bound is 0.888250 (see above)
)
def test_quality_passes_exactly_when_the_bound_reaches_the_minimum(
    minimum: float, expected: CheckStatus
) -> None:
    check = quality_check(accepted=95, finished=100, gate=gate(min_acceptance_rate=minimum))
    assert check.status is expected


def test_a_higher_confidence_lowers_the_bound() -> None:
    # z(0.99) = 2.575829, z² = 6.634897: centre = (0.95 + 0.03317448) / 1.06634897 = 0.922001
    # half = 2.575829 · sqrt(0.000475 + 0.00016587) / 1.06634897
    #      = 2.575829 · 0.02531545 / 1.06634897 = 0.061151 → low = 0.922001 − 0.061151 = 0.860850
    loose = quality_check(accepted=95, finished=100, gate=gate(min_acceptance_rate=0.87))
    strict = quality_check(
        accepted=95, finished=100, gate=gate(min_acceptance_rate=0.87, confidence=0.99)
    )
    assert strict.bound == pytest.approx(0.860850, abs=5e-6)
    assert strict.bound == pytest.approx(wilson_low_by_bisection(95, 100, 0.99), abs=1e-9)
    assert (loose.status, strict.status) == (PASS, FAIL)  # 0.888250 >= 0.87 > 0.860864
    assert "its 99% lower bound 86.08%" in strict.detail


def test_a_perfect_but_short_record_is_insufficient_not_a_pass() -> None:
    check = quality_check(accepted=20, finished=20, gate=gate(min_sample_size=30))
    assert check.status is INSUFFICIENT
    assert check.observed == 1.0
    assert check.sample_size == 20
    assert check.detail == (
        "Acceptance rate is unproven: 20 finished runs in the last 30 days, and the gate "
        "needs at least 30."
    )


def test_no_finished_run_has_no_numbers() -> None:
    check = quality_check(accepted=0, finished=0, gate=gate(min_sample_size=1))
    assert (check.status, check.observed, check.bound, check.sample_size) == (
        INSUFFICIENT,
        None,
        None,
        0,
    )


def test_quality_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        quality_check(accepted=5, finished=4, gate=gate())


@settings(max_examples=200, deadline=None)
@given(
    finished=st.integers(min_value=0, max_value=2000),
    data=st.data(),
    minimum=st.floats(min_value=0, max_value=1),
    sample=st.integers(min_value=1, max_value=500),
)
def test_quality_never_passes_short_or_below_its_bound(
    finished: int, data: st.DataObject, minimum: float, sample: int
) -> None:
    accepted = data.draw(st.integers(min_value=0, max_value=finished))
    check = quality_check(
        accepted=accepted,
        finished=finished,
        gate=gate(min_acceptance_rate=minimum, min_sample_size=sample),
    )
    if finished < sample:
        assert check.status is INSUFFICIENT
    else:
        assert check.bound is not None and check.observed is not None
        assert check.bound <= check.observed + 1e-12
        assert (check.status is PASS) == (check.bound >= minimum)
        assert check.status is not INSUFFICIENT


# --- gate definitions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"target_level": 0}, "targetLevel"),
        ({"target_level": 4}, "targetLevel"),
        ({"target_level": 2**31 - 1}, "targetLevel"),
        ({"min_acceptance_rate": -0.01}, "minAcceptanceRate"),
        ({"min_acceptance_rate": 1.01}, "minAcceptanceRate"),
        ({"min_acceptance_rate": math.nan}, "minAcceptanceRate"),
        ({"min_sample_size": 0}, "minSampleSize"),
        ({"confidence": 0.0}, "confidence"),
        ({"confidence": 1.0}, "confidence"),
        ({"max_cost_per_outcome": Decimal("-0.01")}, "maxCostPerOutcome"),
        ({"max_cost_per_outcome": Decimal("NaN")}, "maxCostPerOutcome"),
        ({"max_cost_per_outcome": Decimal("1E10")}, "maxCostPerOutcome"),
        ({"max_drift_pct": -1.0}, "maxDriftPct"),
        ({"max_drift_pct": math.inf}, "maxDriftPct"),
        ({"window_days": 0}, "windowDays"),
        ({"window_days": 367}, "windowDays"),
        ({"auto_demote_after": 0}, "autoDemoteAfter"),
        ({"min_sample_size": True}, "minSampleSize"),
    ],
)
def test_invalid_gates_name_the_field(override: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidGate) as raised:
        gate(**override)
    assert raised.value.field == field


def test_the_edges_of_every_range_are_valid() -> None:
    gate(min_acceptance_rate=0.0, max_cost_per_outcome=Decimal(0), max_drift_pct=0.0)
    gate(min_acceptance_rate=1.0, min_sample_size=1, window_days=366, auto_demote_after=1)
    gate(confidence=0.5, target_level=3)


# --- worst-of and formats ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([PASS, PASS, PASS], PASS),
        ([PASS, INSUFFICIENT, PASS], INSUFFICIENT),
        ([INSUFFICIENT, FAIL, PASS], FAIL),
        ([FAIL], FAIL),
        ([], INSUFFICIENT),  # nothing checked is not a pass
    ],
)
def test_worst_of(statuses: list[CheckStatus], expected: CheckStatus) -> None:
    assert worst_of(statuses) is expected


def test_formats_of_the_sentences() -> None:
    assert format_percent(0.95) == "95%"
    assert format_percent(0.975) == "97.5%"
    assert format_percent(0.888249) == "88.82%"
    assert format_amount(Decimal("4.325")) == "4.32"  # half to even
    assert format_amount(Decimal("0.00421")) == "0.0042"
    assert format_amount(12.5) == "12.50"
    assert format_drift(26.2009) == "+26.2%"
    assert format_drift(-3.0) == "-3%"
