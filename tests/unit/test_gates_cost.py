"""The cost check: ratio of sums over the window, bounded by a seeded day bootstrap."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.gate_cost import (
    BOOTSTRAP_SEED,
    MIN_COST_DAYS,
    DayTotals,
    SplitMix64,
    cost_check,
    ratio_upper_bound,
)
from app.domain.gates import CheckStatus
from tests.gate_specs import gate_spec

PASS, FAIL, INSUFFICIENT = CheckStatus.PASS, CheckStatus.FAIL, CheckStatus.INSUFFICIENT_DATA


gate = partial(gate_spec, min_acceptance_rate=0.5, min_sample_size=20)


def day_pairs(
    *, max_cost: int, places: int, accepted: tuple[int, int], min_size: int = 1, max_size: int
) -> st.SearchStrategy[list[tuple[Decimal, int]]]:
    """Lists of (a day's cost, its accepted outcomes)."""
    costs = st.decimals(min_value=0, max_value=max_cost, places=places, allow_nan=False)
    outcomes = st.integers(min_value=accepted[0], max_value=accepted[1])
    return st.lists(st.tuples(costs, outcomes), min_size=min_size, max_size=max_size)


def days_of(*pairs: tuple[str, int]) -> list[DayTotals]:
    """Day i gets (cost, accepted) = pairs[i], with one attempt more than accepted."""
    return [
        DayTotals(day=i, attempts=accepted + 1, accepted=accepted, cost=Decimal(cost))
        for i, (cost, accepted) in enumerate(pairs)
    ]


def check_of(days: list[DayTotals], **overrides: Any) -> Any:
    total = sum((d.cost for d in days), Decimal(0))
    accepted = sum(d.accepted for d in days)
    return cost_check(total_cost=total, accepted=accepted, days=days, gate=gate(**overrides))


# --- the generator --------------------------------------------------------------------------


def test_splitmix64_matches_the_reference_outputs() -> None:
    # Reference values of Vigna's splitmix64.c: seed 0 and seed 1234567.
    zero = SplitMix64(0)
    assert [zero.next() for _ in range(3)] == [
        0xE220A8397B1DCDAF,
        0x6E789E6AA1B965F4,
        0x06C45D188009454F,
    ]
    other = SplitMix64(1234567)
    assert [other.next(), other.next()] == [6457827717110365317, 3203168211198807973]


def test_below_stays_in_range() -> None:
    rng = SplitMix64(BOOTSTRAP_SEED)
    draws = [rng.below(7) for _ in range(7000)]
    assert set(draws) == set(range(7))
    with pytest.raises(ValueError):
        rng.below(0)


# --- the bootstrap bound ----------------------------------------------------------------------


def test_identical_days_bound_at_their_own_ratio() -> None:
    # Every resample of ten (8.00, 2) days is 8k / 2k = 4: the bound is exactly 4.
    days = days_of(*[("8.00", 2)] * 10)
    assert ratio_upper_bound(days, confidence=0.95) == Decimal("4.0000000000")


def test_two_day_bootstrap_quantiles() -> None:
    # Days (10, 1) and (30, 1). A resample of two days is AA → 20/2 = 10 (prob 1/4),
    # AB or BA → 40/2 = 20 (prob 1/2), BB → 60/2 = 30 (prob 1/4).
    # c = 0.95 → quantile 0.975: the top 2.5 % lies inside the 25 % of BB resamples → 30.
    # c = 0.20 → quantile 0.60: above the 25 % of AA, inside the 50 % of AB/BA → 20.
    days = days_of(("10", 1), ("30", 1))
    assert ratio_upper_bound(days, confidence=0.95) == Decimal("30.0000000000")
    assert ratio_upper_bound(days, confidence=0.20) == Decimal("20.0000000000")


def test_the_bound_is_reproducible_and_depends_on_the_seed() -> None:
    days = days_of(*[(str(3 + (i * 7) % 5), 1 + i % 3) for i in range(14)])
    first = ratio_upper_bound(days, confidence=0.9)
    assert first == ratio_upper_bound(days, confidence=0.9)
    others = {ratio_upper_bound(days, confidence=0.9, seed=s) for s in range(5)}
    assert len(others) > 1


def test_resamples_without_outcomes_make_the_bound_infinite() -> None:
    # Seven days, one outcome: a resample misses that day with probability (6/7)^7 = 0.34,
    # far more than the 2.5 % tail: the bound is +∞ (None).
    days = days_of(("4", 1), *[("4", 0)] * 6)
    assert ratio_upper_bound(days, confidence=0.95) is None
    assert ratio_upper_bound([], confidence=0.95) is None


def test_days_without_data_are_not_resampled() -> None:
    empty = DayTotals(day=20, attempts=0, accepted=0, cost=Decimal(0))
    days = [*days_of(*[("8.00", 2)] * 10), empty]
    assert ratio_upper_bound(days, confidence=0.95) == Decimal("4.0000000000")


def reference_bound(days: list[DayTotals], confidence: float, resamples: int, seed: int) -> Any:
    """The bootstrap written plainly with the SplitMix64 class and exact fractions."""
    from fractions import Fraction
    from math import ceil

    kept = [d for d in days if d.has_data]
    rng = SplitMix64(seed)
    stats = []
    for _ in range(resamples):
        picks = [kept[rng.below(len(kept))] for _ in kept]
        cost = sum((d.cost for d in picks), Decimal(0))
        accepted = sum(d.accepted for d in picks)
        stats.append(Fraction(cost) / accepted if accepted else None)
    stats.sort(key=lambda s: (s is None, s or 0))
    chosen = stats[ceil((1 + confidence) / 2 * resamples) - 1]
    return None if chosen is None else Decimal(chosen.numerator) / Decimal(chosen.denominator)


@settings(max_examples=40, deadline=None)
@given(
    pairs=day_pairs(max_cost=100, places=2, accepted=(0, 3), max_size=12),
    confidence=st.floats(min_value=0.5, max_value=0.99),
    seed=st.integers(min_value=0, max_value=2**64 - 1),
)
def test_the_bound_matches_a_plain_reference_bootstrap(
    pairs: list[tuple[Decimal, int]], confidence: float, seed: int
) -> None:
    days = [DayTotals(i, a + 1, a, c) for i, (c, a) in enumerate(pairs)]
    bound = ratio_upper_bound(days, confidence=confidence, resamples=101, seed=seed)
    expected = reference_bound(days, confidence, 101, seed)
    if expected is None:
        assert bound is None
    else:
        assert bound is not None and abs(bound - expected) <= Decimal("0.5E-10")


@settings(max_examples=60, deadline=None)
@given(
    pairs=day_pairs(max_cost=1000, places=4, accepted=(1, 20), max_size=15),
    confidence=st.floats(min_value=0.5, max_value=0.99),
)
def test_with_outcomes_every_day_the_bound_lies_between_daily_ratios(
    pairs: list[tuple[Decimal, int]], confidence: float
) -> None:
    # Each resample's ratio of sums is a weighted mean of daily ratios (weights = outcomes).
    days = [DayTotals(i, a, a, c) for i, (c, a) in enumerate(pairs)]
    bound = ratio_upper_bound(days, confidence=confidence, resamples=200)
    assert bound is not None
    ratios = [c / a for c, a in pairs]
    assert min(ratios) - Decimal("1e-10") <= bound <= max(ratios) + Decimal("1e-10")


# --- the check --------------------------------------------------------------------------------


def test_cost_within_budget_passes() -> None:
    # 10 days × (8.00, 2): observed 80 / 20 = 4.00, bound 4.00 <= 5.00.
    check = check_of(days_of(*[("8.00", 2)] * 10))
    assert (check.status, check.observed, check.bound, check.threshold) == (PASS, 4.0, 4.0, 5.0)
    assert check.sample_size == 20
    assert check.detail == (
        "Cost per outcome 4.00 (20 accepted outcomes over 10 days): its 95% upper bound 4.00 "
        "is within the budget 5.00."
    )


def test_a_bound_above_the_budget_fails_even_when_the_average_is_within() -> None:
    # Ten days alternating (2, 1) and (10, 1):
    # Σcost = 5·2 + 5·10 = 60, Σaccepted = 10 → observed 6.00; budget 7: the average is
    # within, but a resample heavy in (10, 1) days costs up to 10 per outcome.
    days = days_of(*[("2", 1), ("10", 1)] * 5)
    check = check_of(days, min_sample_size=10, max_cost_per_outcome=Decimal(7))
    assert check.observed == 6.0
    assert check.bound is not None and 7 < check.bound <= 10
    assert check.status is FAIL
    assert "exceeds the budget 7.00" in check.detail


def test_failures_stay_in_the_numerator() -> None:
    # A day's cost includes its failed runs: (9.00, 2) means 4.50 per outcome, not less.
    # 10 days: Σ = 90.00 / 20 = 4.50.
    check = check_of(days_of(*[("9.00", 2)] * 10))
    assert check.observed == 4.5
    assert check.status is PASS


@pytest.mark.parametrize(
    ("days", "reason"),
    [
        (days_of(*[("8.00", 2)] * (MIN_COST_DAYS - 1)), "6 days"),  # 12 outcomes, min 10
        (days_of(*[("8.00", 1)] * 9), "9 accepted outcomes"),  # 9 days, 9 < 10 outcomes
    ],
)
def test_short_windows_are_insufficient(days: list[DayTotals], reason: str) -> None:
    check = check_of(days, min_sample_size=10)
    assert check.status is INSUFFICIENT
    assert check.bound is None
    assert reason in check.detail
    assert check.detail.endswith("at least 10 outcomes over at least 7 days.")


def test_no_outcome_at_all_has_no_observed_cost() -> None:
    check = check_of(days_of(*[("3", 0)] * 10), min_sample_size=1)
    assert (check.status, check.observed, check.sample_size) == (INSUFFICIENT, None, 0)


def test_an_unbounded_cost_is_insufficient_never_a_pass() -> None:
    check = check_of(days_of(("4", 5), *[("4", 0)] * 6), min_sample_size=5)
    assert check.status is INSUFFICIENT
    assert check.observed == pytest.approx(28 / 5)  # Σ 7·4 = 28 over 5 outcomes
    assert "cannot be bounded" in check.detail


@settings(max_examples=60, deadline=None)
@given(
    pairs=day_pairs(max_cost=100, places=2, accepted=(0, 5), min_size=0, max_size=20),
    budget=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
)
def test_a_pass_is_always_bounded_within_budget(
    pairs: list[tuple[Decimal, int]], budget: Decimal
) -> None:
    days = [DayTotals(i, a + 1, a, c) for i, (c, a) in enumerate(pairs)]
    total = sum((d.cost for d in days), Decimal(0))
    accepted = sum(d.accepted for d in days)
    check = cost_check(
        total_cost=total,
        accepted=accepted,
        days=days,
        gate=gate(min_sample_size=3, max_cost_per_outcome=budget),
    )
    if check.status is PASS:
        assert check.bound is not None and check.observed is not None
        assert check.observed <= check.bound <= float(budget)
        assert accepted >= 3 and len(days) >= MIN_COST_DAYS
    if accepted < 3 or len(days) < MIN_COST_DAYS:
        assert check.status is INSUFFICIENT
