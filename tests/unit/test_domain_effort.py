"""Effort tiers: the lift interval, the verdict, the multiples and the recommended default."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.cost_per_outcome import CohortTotals
from app.domain.effort import (
    LiftVerdict,
    TierTotals,
    compare_tiers,
    effort_sort_key,
    lift_interval,
    lift_verdict,
    normalize_effort,
)


def tier(
    name: str | None, attempts: int, accepted: int, cost: str, finished: int | None = None
) -> TierTotals:
    done = attempts if finished is None else finished
    return TierTotals(
        name,
        CohortTotals(
            attempts=attempts,
            accepted=accepted,
            pending=0,
            finished=done,
            total_cost=Decimal(cost),
            failed_cost=Decimal(0),
        ),
    )


def test_newcombe_published_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, Table II, method 10: 56/70 − 48/80
    # → (0.0524, 0.3339).
    interval = lift_interval(56, 70, 48, 80)
    assert interval is not None
    assert interval[0] == pytest.approx(0.0524, abs=5e-5)
    assert interval[1] == pytest.approx(0.3339, abs=5e-5)


def test_lift_interval_84_vs_80_of_100() -> None:
    # Wilson 84/100: z²/n = 0.0384146, denom 1.0384146, centre = (0.84 + 0.0192073)/1.0384146
    #   = 0.827422, half = 1.959964·sqrt(0.1344/100 + 0.000096037)/1.0384146 = 0.071625
    #   → (0.755797, 0.899047)
    # Wilson 80/100: centre = 0.8192073/1.0384146 = 0.788902, half = 1.959964·sqrt(0.0016 +
    #   0.000096037)/1.0384146 = 0.077731 → (0.711171, 0.866633)
    # d = 0.04; low = 0.04 − hypot(0.84 − 0.755797, 0.866633 − 0.8) = 0.04 − hypot(0.084203,
    #   0.066633) = 0.04 − 0.107378 = −0.067378; high = 0.04 + hypot(0.899047 − 0.84,
    #   0.8 − 0.711171) = 0.04 + hypot(0.059047, 0.088829) = 0.04 + 0.106664 = 0.146664
    interval = lift_interval(84, 100, 80, 100)
    assert interval is not None
    assert interval[0] == pytest.approx(-0.067378, abs=5e-6)
    assert interval[1] == pytest.approx(0.146664, abs=5e-6)


def test_lift_interval_needs_both_samples() -> None:
    assert lift_interval(3, 10, 0, 0) is None
    assert lift_interval(0, 0, 3, 10) is None


@pytest.mark.parametrize(
    ("interval", "n", "base_n", "expected"),
    [
        ((0.01, 0.2), 100, 100, LiftVerdict.LIFT_PROVEN),
        ((-0.2, -0.01), 100, 100, LiftVerdict.DROP_PROVEN),
        ((-0.05, 0.2), 100, 100, LiftVerdict.NOT_DISTINGUISHABLE),
        ((0.0, 0.2), 100, 100, LiftVerdict.NOT_DISTINGUISHABLE),  # touching 0 is not proven
        ((0.01, 0.2), 29, 100, LiftVerdict.INSUFFICIENT_DATA),  # one side short
        ((0.01, 0.2), 100, 29, LiftVerdict.INSUFFICIENT_DATA),
        (None, 100, 100, LiftVerdict.INSUFFICIENT_DATA),
    ],
)
def test_lift_verdict(
    interval: tuple[float, float] | None, n: int, base_n: int, expected: LiftVerdict
) -> None:
    assert lift_verdict(interval, n, base_n, min_finished=30) is expected


def test_dear_tier_without_proven_lift_keeps_the_cheap_default() -> None:
    # medium: 100 attempts, 80 accepted, 100.00 → 1.00 per attempt, 1.25 per outcome, 0.80
    # high:   100 attempts, 84 accepted, 700.00 → 7.00 per attempt, 8.3333333333 per outcome
    # cost multiple = 7.00 / 1.00 = 7; outcome multiple = (700/84)/(100/80) = 56000/8400
    # = 6.6666666667; lift = 0.84 − 0.80 = 0.04 with (−0.067378, 0.146664): not distinguishable.
    result = compare_tiers([tier("high", 100, 84, "700.00"), tier("medium", 100, 80, "100.00")])
    assert result.baseline == "medium"
    assert result.recommended_default == "medium"
    medium, high = result.tiers
    assert (medium.tier, high.tier) == ("medium", "high")
    assert medium.is_baseline and not high.is_baseline
    assert medium.cost_multiple == Decimal("1.0000000000")
    assert high.cost_multiple == Decimal("7.0000000000")
    assert high.outcome_cost_multiple == Decimal("6.6666666667")
    assert high.figures.cost_per_outcome == Decimal("8.3333333333")
    assert high.quality_lift == pytest.approx(0.04)
    assert high.lift_low == pytest.approx(-0.067378, abs=5e-6)
    assert high.verdict is LiftVerdict.NOT_DISTINGUISHABLE
    assert medium.verdict is LiftVerdict.NOT_DISTINGUISHABLE


def test_proven_lift_moves_the_default_up() -> None:
    # high 95/100 vs medium 70/100: d = 0.25, interval (0.148106, 0.349984) → LIFT_PROVEN.
    # Cost per outcome: medium 100/70 = 1.4285714286, high 300/95 = 3.1578947368.
    result = compare_tiers([tier("medium", 100, 70, "100"), tier("high", 100, 95, "300")])
    high = result.tiers[1]
    assert high.verdict is LiftVerdict.LIFT_PROVEN
    assert high.lift_low == pytest.approx(0.148106, abs=5e-6)
    assert high.lift_high == pytest.approx(0.349984, abs=5e-6)
    assert result.recommended_default == "high"


def test_of_two_proven_tiers_the_cheaper_per_outcome_wins() -> None:
    # low 50/100 for 100 (baseline, 1.00/attempt); medium 90/100 for 180 → 2.00 per outcome;
    # high 95/100 for 400 → 4.2105263158 per outcome. Both lifts are proven; medium is cheaper.
    result = compare_tiers(
        [tier("low", 100, 50, "100"), tier("medium", 100, 90, "180"), tier("high", 100, 95, "400")]
    )
    assert [t.verdict for t in result.tiers] == [
        LiftVerdict.NOT_DISTINGUISHABLE,
        LiftVerdict.LIFT_PROVEN,
        LiftVerdict.LIFT_PROVEN,
    ]
    assert result.recommended_default == "medium"


def test_proven_drop_is_reported_and_not_recommended() -> None:
    result = compare_tiers([tier("low", 100, 40, "50"), tier("medium", 100, 80, "100")])
    assert result.baseline == "low"
    medium = result.tiers[1]
    assert medium.verdict is LiftVerdict.LIFT_PROVEN
    low = result.tiers[0]
    assert low.is_baseline
    # Seen from medium's side, low is a drop: swap the baseline by making medium cheaper.
    flipped = compare_tiers([tier("low", 100, 40, "150"), tier("medium", 100, 80, "100")])
    assert flipped.baseline == "medium"
    assert flipped.tiers[0].verdict is LiftVerdict.DROP_PROVEN
    assert flipped.recommended_default == "medium"


def test_not_enough_data_is_never_a_recommendation() -> None:
    result = compare_tiers([tier("medium", 29, 20, "29"), tier("high", 200, 190, "1400")])
    assert result.baseline == "medium"
    assert result.recommended_default is None
    assert result.tiers[1].verdict is LiftVerdict.INSUFFICIENT_DATA
    # Pending runs are not finished: 40 attempts but 20 finished is still too few.
    held = compare_tiers([tier("medium", 40, 10, "40", finished=20)])
    assert held.recommended_default is None
    assert held.tiers[0].verdict is LiftVerdict.INSUFFICIENT_DATA


def test_runs_without_effort_are_listed_not_compared() -> None:
    result = compare_tiers([tier(None, 50, 40, "5"), tier("medium", 100, 80, "100")])
    assert result.baseline == "medium"  # the cheaper null tier is never the baseline
    assert [t.tier for t in result.tiers] == ["medium", None]
    untiered = result.tiers[1]
    assert untiered.cost_multiple is None and untiered.quality_lift is None
    assert untiered.verdict is LiftVerdict.INSUFFICIENT_DATA
    assert compare_tiers([]).baseline is None
    assert compare_tiers([tier(None, 5, 5, "1")]).recommended_default is None


def test_normalize_and_order() -> None:
    assert normalize_effort("  High ") == "high"
    assert normalize_effort("   ") is None
    assert normalize_effort(None) is None
    names = ["turbo", None, "xhigh", "low", "medium", "alpha"]
    assert sorted(names, key=effort_sort_key) == ["low", "medium", "xhigh", "alpha", "turbo", None]


counts = st.integers(min_value=1, max_value=400).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)


@given(counts, counts)
def test_interval_holds_the_difference_within_bounds(
    first: tuple[int, int], second: tuple[int, int]
) -> None:
    interval = lift_interval(*first, *second)
    assert interval is not None
    low, high = interval
    d = first[0] / first[1] - second[0] / second[1]
    assert -1 - 1e-9 <= low <= d + 1e-12
    assert d - 1e-12 <= high <= 1 + 1e-9


@given(counts, counts)
def test_interval_is_antisymmetric(first: tuple[int, int], second: tuple[int, int]) -> None:
    forward = lift_interval(*first, *second)
    backward = lift_interval(*second, *first)
    assert forward is not None and backward is not None
    assert forward[0] == pytest.approx(-backward[1], abs=1e-12)
    assert forward[1] == pytest.approx(-backward[0], abs=1e-12)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["low", "medium", "high", None]),
            st.integers(min_value=0, max_value=200),
            st.integers(min_value=0, max_value=200),
            st.integers(min_value=0, max_value=10_000),
        ),
        max_size=6,
        unique_by=lambda t: t[0],
    )
)
def test_recommendation_is_baseline_or_proven(rows: list[tuple[str | None, int, int, int]]) -> None:
    tiers = [tier(name, a + b, a, str(cost)) for name, a, b, cost in rows]
    result = compare_tiers(tiers)
    if result.recommended_default is not None:
        chosen = next(t for t in result.tiers if t.tier == result.recommended_default)
        assert chosen.is_baseline or chosen.verdict is LiftVerdict.LIFT_PROVEN
    for row in result.tiers:
        if row.verdict is LiftVerdict.LIFT_PROVEN:
            assert row.quality_lift is not None and row.quality_lift > 0
