"""Findings: each pattern fires on hand-computed figures, and stays silent when it must."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.cost_per_outcome import CohortTotals
from app.domain.effort import TierTotals, compare_tiers
from app.domain.finding_thresholds import Thresholds, check_threshold
from app.domain.findings import (
    FailureStats,
    Pattern,
    failure_waste,
    high_effort_low_value,
    notable_share,
    per_month,
    rank_findings,
)
from app.domain.usage_findings import (
    ContextStats,
    PlacementStats,
    excess_context_cost,
    long_context,
    resent_context,
    unplaced_spend,
)

DAY = 86_400
MONTH = 30 * DAY
DEFAULTS = Thresholds()


def tier(name: str, attempts: int, accepted: int, cost: str) -> TierTotals:
    return TierTotals(
        name,
        CohortTotals(attempts, accepted, 0, attempts, Decimal(cost), Decimal(0)),
    )


def test_per_month_scales_the_range_to_thirty_days() -> None:
    assert per_month(Decimal(10), 10 * DAY) == Decimal("30.0000000000")
    assert per_month(Decimal(7), 7 * DAY) == Decimal("30.0000000000")
    assert per_month(Decimal(1), 3 * DAY) == Decimal("10.0000000000")
    with pytest.raises(ValueError):
        per_month(Decimal(1), 0)


# --- HIGH_EFFORT_LOW_VALUE -------------------------------------------------------------------


def test_dear_effort_without_lift_fires_with_the_extra_cost() -> None:
    # high: 100 attempts for 700 against medium's 1.00 per attempt: extra 700 − 100 = 600
    economics = compare_tiers([tier("medium", 100, 80, "100"), tier("high", 100, 84, "700")])
    found = high_effort_low_value("outreach", economics, thresholds=DEFAULTS, range_seconds=MONTH)
    assert found is not None and found.pattern is Pattern.HIGH_EFFORT_LOW_VALUE
    assert found.money_at_stake_per_month == Decimal("600.0000000000")
    assert "7.0x medium" in found.summary
    assert {e.name: e.value for e in found.evidence}["costMultiple"] == "7.0000000000"


@pytest.mark.parametrize(
    ("tiers", "thresholds"),
    [
        # a proven lift is worth paying for
        ([tier("medium", 100, 70, "100"), tier("high", 100, 95, "700")], DEFAULTS),
        # 7x is under a tenant's multiple of 8
        (
            [tier("medium", 100, 80, "100"), tier("high", 100, 84, "700")],
            Thresholds({"effort_min_cost_multiple": Decimal(8)}),
        ),
        # not enough finished runs: never a finding
        ([tier("medium", 29, 20, "29"), tier("high", 100, 84, "700")], DEFAULTS),
        # a single tier: nothing to compare
        ([tier("high", 100, 84, "700")], DEFAULTS),
    ],
)
def test_effort_must_not_fire(tiers: list[TierTotals], thresholds: Thresholds) -> None:
    economics = compare_tiers(tiers, min_finished=thresholds.count("effort_min_finished"))
    assert high_effort_low_value("w", economics, thresholds=thresholds, range_seconds=MONTH) is None


# --- RESENT_CONTEXT --------------------------------------------------------------------------


def context(calls: int = 100, uncached: int = 1_000_000, reads: int = 0) -> ContextStats:
    return ContextStats(
        llm_calls=calls,
        input_tokens=uncached,
        cache_read_tokens=reads,
        uncached_saving=Decimal("2.70"),
        sample_call_ids=["e1"],
    )


def test_resent_context_fires_with_half_the_full_saving() -> None:
    # 100 calls averaging 10,000 input tokens, none cached; full saving 2.70 over 15 days,
    # half assumed cacheable: 1.35 → 2.70 a month
    found = resent_context("support", context(), thresholds=DEFAULTS, range_seconds=15 * DAY)
    assert found is not None and found.pattern is Pattern.RESENT_CONTEXT
    assert found.money_at_stake_per_month == Decimal("2.7000000000")
    assert found.calls == ["e1"]


@pytest.mark.parametrize(
    "stats",
    [
        context(calls=19),  # too few calls
        context(uncached=399_900),  # 3,999 tokens a call: small prompts
        context(uncached=900_000, reads=100_000),  # 10 % read from cache: the cache is in use
    ],
)
def test_resent_context_must_not_fire(stats: ContextStats) -> None:
    assert resent_context("w", stats, thresholds=DEFAULTS, range_seconds=MONTH) is None


def test_the_cache_hit_boundary_is_inclusive() -> None:
    # exactly 5 % cached: still "near zero"
    stats = context(uncached=950_000, reads=50_000)
    assert resent_context("w", stats, thresholds=DEFAULTS, range_seconds=MONTH) is not None


# --- LONG_CONTEXT ----------------------------------------------------------------------------


def test_excess_context_cost_is_pro_rata() -> None:
    # 3.00 for 300,000 tokens, 100,000 above 200,000: 3 × 1/3 = 1.00
    assert excess_context_cost(Decimal("3.00"), 300_000, 200_000) == Decimal("1.0000000000")
    # 5.00 for 250,000 tokens: 5 × 50,000 / 250,000 = 1.00
    assert excess_context_cost(Decimal("5.00"), 250_000, 200_000) == Decimal("1.0000000000")
    assert excess_context_cost(Decimal("5.00"), 200_000, 200_000) == Decimal(0)


def test_long_context_fires_on_calls_above_the_threshold() -> None:
    stats = ContextStats(
        llm_calls=2,
        input_tokens=550_000,
        cache_read_tokens=0,
        uncached_saving=Decimal(0),
        long_calls=2,
        long_cost=Decimal("8.00"),
        long_excess_cost=Decimal("2.00"),
        longest_call_tokens=300_000,
        long_call_ids=["big-1", "big-2"],
    )
    found = long_context("research", stats, thresholds=DEFAULTS, range_seconds=MONTH)
    assert found is not None and found.money_at_stake_per_month == Decimal("2.0000000000")
    assert found.calls == ["big-1", "big-2"]
    assert (
        long_context(
            "research",
            stats,
            thresholds=Thresholds({"long_context_min_calls": Decimal(3)}),
            range_seconds=MONTH,
        )
        is None
    )
    assert long_context("w", context(), thresholds=DEFAULTS, range_seconds=MONTH) is None


# --- UNPLACED_SPEND --------------------------------------------------------------------------


def test_unplaced_spend_fires_at_its_share() -> None:
    stats = PlacementStats(Decimal(100), Decimal(15), 20, ["x"])
    found = unplaced_spend("w", stats, thresholds=DEFAULTS, range_seconds=MONTH)
    assert found is not None and found.money_at_stake_per_month == Decimal("15.0000000000")


@pytest.mark.parametrize(
    "stats",
    [
        PlacementStats(Decimal(100), Decimal(9), 50),  # 9 % < 10 %
        PlacementStats(Decimal(100), Decimal(50), 19),  # too few events to judge
        PlacementStats(Decimal(0), Decimal(0), 50),  # no spend
    ],
)
def test_unplaced_spend_must_not_fire(stats: PlacementStats) -> None:
    assert unplaced_spend("w", stats, thresholds=DEFAULTS, range_seconds=MONTH) is None


# --- FAILURE_WASTE ---------------------------------------------------------------------------


def test_failure_waste_fires_and_names_the_top_reason() -> None:
    stats = FailureStats(20, 6, Decimal(30), Decimal(100), "needs legal review", Decimal(20))
    found = failure_waste("w", stats, thresholds=DEFAULTS, range_seconds=MONTH)
    assert found is not None and found.money_at_stake_per_month == Decimal("30.0000000000")
    assert "needs legal review" in found.summary


@pytest.mark.parametrize(
    "stats",
    [
        FailureStats(19, 6, Decimal(30), Decimal(100)),  # too few finished runs
        FailureStats(20, 6, Decimal(19), Decimal(100)),  # 19 % < 20 %
        FailureStats(20, 0, Decimal(0), Decimal(0)),
    ],
)
def test_failure_waste_must_not_fire(stats: FailureStats) -> None:
    assert failure_waste("w", stats, thresholds=DEFAULTS, range_seconds=MONTH) is None


# --- ranking and thresholds ------------------------------------------------------------------


def test_findings_rank_by_money() -> None:
    small = unplaced_spend(
        "b",
        PlacementStats(Decimal(100), Decimal(15), 20),
        thresholds=DEFAULTS,
        range_seconds=MONTH,
    )
    large = failure_waste(
        "a",
        FailureStats(20, 6, Decimal(30), Decimal(100)),
        thresholds=DEFAULTS,
        range_seconds=MONTH,
    )
    assert [f.workflow_key for f in rank_findings([small, None, large])] == ["a", "b"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("nope", Decimal(1)),
        ("unplaced_min_share", Decimal("1.5")),
        ("unplaced_min_events", Decimal("2.5")),
        ("long_context_input_tokens", Decimal(-1)),
    ],
)
def test_bad_thresholds_are_refused(name: str, value: Decimal) -> None:
    with pytest.raises(ValueError):
        check_threshold(name, value)


@given(
    st.integers(min_value=0, max_value=10**9),
    st.integers(min_value=0, max_value=10**7),
    st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False),
)
def test_excess_is_never_more_than_the_call(tokens: int, threshold: int, cost: Decimal) -> None:
    excess = excess_context_cost(cost, tokens, threshold)
    assert Decimal(0) <= excess <= cost
    if tokens <= threshold:
        assert excess == 0


@given(st.decimals(min_value=0, max_value=10**6, places=2), st.integers(1, 365))
def test_a_thirty_day_range_is_its_own_month(amount: Decimal, days: int) -> None:
    assert per_month(amount, MONTH) == amount.quantize(Decimal("0.0000000001"))
    scaled = per_month(amount, days * DAY)
    assert (scaled >= amount) == (days <= 30) or amount == 0


@pytest.mark.parametrize(
    ("part", "whole", "minimum", "expected"),
    [
        ("1", "4", 0.25, 0.25),  # exactly the minimum counts
        ("1", "4", 0.26, None),  # below it does not
        ("3", "4", 0.25, 0.75),
        ("0", "4", 0.0, None),  # nothing spent: nothing notable, even at minimum 0
        ("-1", "4", -1.0, None),  # a credit is never notable
        ("1", "0", 0.0, None),  # no whole: no share
    ],
)
def test_notable_share_is_the_share_when_positive_and_at_least_the_minimum(
    part: str, whole: str, minimum: float, expected: float | None
) -> None:
    assert notable_share(Decimal(part), Decimal(whole), minimum) == expected
