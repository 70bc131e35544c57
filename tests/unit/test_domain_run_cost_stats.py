"""Per-run cost distribution: nearest-rank percentiles and the distribution-free median CI."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.run_cost_stats import (
    EXACT_MAX_N,
    RunCostStats,
    median_interval_ranks,
    nearest_rank,
    run_cost_stats,
)

D = Decimal
ONE_TO_TEN = [D(i) for i in range(1, 11)]


def coverage(n: int, j: int) -> Fraction:
    """P(j <= B <= n - j) for B ~ Bin(n, 1/2), i.e. 1 - 2 P(B <= j - 1) (independent check)."""
    tail = sum(math.comb(n, k) for k in range(j))
    return 1 - Fraction(2 * tail, 2**n)


def exact_j(n: int, confidence: Fraction) -> int:
    """Largest j >= 0 with coverage(n, j) >= confidence, searched upward (0 means none)."""
    j = 0
    tail = 0  # sum of C(n, k) for k <= j, i.e. 2**n * P(B <= j) = 2**n * P(B < j + 1)
    while j + 1 <= (n + 1) // 2:
        tail += math.comb(n, j)
        if 1 - Fraction(2 * tail, 2**n) < confidence:
            break
        j += 1
    return j


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0, 1),  # rank max(1, ceil(0)) = 1
        (0.05, 1),  # ceil(0.5) = 1
        (0.1, 1),  # ceil(1.0) = 1
        (0.11, 2),  # ceil(1.1) = 2
        (0.5, 5),  # ceil(5.0) = 5
        (0.9, 9),  # ceil(9.0) = 9
        (0.91, 10),  # ceil(9.1) = 10
        (0.99, 10),  # ceil(9.9) = 10
        (1.0, 10),
    ],
)
def test_nearest_rank_on_one_to_ten(p: float, expected: int) -> None:
    assert nearest_rank(ONE_TO_TEN, p) == D(expected)


def test_nearest_rank_uses_the_decimal_p_not_its_float_error() -> None:
    values = [D(i) for i in range(1, 101)]
    # 0.07 * 100 == 7.000000000000001 in float; the rank is ceil(7) = 7, not 8
    assert nearest_rank(values, 0.07) == D(7)
    # 0.29 * 100 == 28.999999999999996 in float; the rank is 29
    assert nearest_rank(values, 0.29) == D(29)


def test_nearest_rank_edge_cases() -> None:
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([D("3.5")], 0.99) == D("3.5")
    with pytest.raises(ValueError):
        nearest_rank(ONE_TO_TEN, 1.01)
    with pytest.raises(ValueError):
        nearest_rank(ONE_TO_TEN, -0.1)


def test_known_median_interval_ranks() -> None:
    # n = 10: P(B <= 1) = (1 + 10) / 1024 = 0.0107 <= 0.025, P(B <= 2) = 56 / 1024 = 0.0547 > 0.025
    assert median_interval_ranks(10) == (2, 9)
    assert coverage(10, 2) == Fraction(1002, 1024)  # 1 - 22/1024 = 0.978515625
    assert float(coverage(10, 2)) == pytest.approx(0.9785, abs=1e-4)
    # n = 6: P(B <= 0) = 1/64 = 0.0156 <= 0.025; P(B <= 1) = 7/64 = 0.109 -> j = 1
    assert median_interval_ranks(6) == (1, 6)
    # n = 5: P(B <= 0) = 1/32 = 0.03125 > 0.025 -> no interval
    assert median_interval_ranks(5) is None
    assert median_interval_ranks(1) is None
    assert median_interval_ranks(0) is None
    # n = 20: cumulative C(20, k) for k = 0..6: 1, 21, 211, 1351, 6196, 21700, 60460;
    # limit 0.025 * 2**20 = 26214.4 -> k <= 5 -> j = 6
    assert median_interval_ranks(20) == (6, 15)


def test_other_confidence_levels() -> None:
    # 99 %: n = 8, limit 0.005 * 256 = 1.28 >= C(8, 0) = 1 -> j = 1
    assert median_interval_ranks(8, 0.99) == (1, 8)
    # n = 7, limit 0.005 * 128 = 0.64 < 1 -> none
    assert median_interval_ranks(7, 0.99) is None
    # 90 %: n = 5, limit 0.05 * 32 = 1.6 >= 1; 1 + 5 = 6 > 1.6 -> j = 1
    assert median_interval_ranks(5, 0.90) == (1, 5)


@pytest.mark.parametrize("bad", [0.0, 1.0, -0.5, 1.5])
def test_bad_confidence(bad: float) -> None:
    with pytest.raises(ValueError):
        median_interval_ranks(10, bad)


def test_negative_n() -> None:
    with pytest.raises(ValueError):
        median_interval_ranks(-1)


@pytest.mark.parametrize("confidence", ["0.9", "0.95", "0.99"])
def test_exact_ranks_match_direct_coverage_search(confidence: str) -> None:
    level = Fraction(confidence)
    for n in range(0, 121):
        ranks = median_interval_ranks(n, float(confidence))
        j = exact_j(n, level)
        assert ranks == (None if j == 0 else (j, n - j + 1)), n


def test_normal_approximation_against_exact_around_1000() -> None:
    level = Fraction("0.95")
    assert EXACT_MAX_N == 1000
    # the exact branch up to 1000 ...
    for n in (990, 999, 1000):
        assert median_interval_ranks(n) == (exact_j(n, level), n - exact_j(n, level) + 1)
    # ... the approximation above: never narrower than exact, at most one rank wider
    for n in range(1001, 1101, 9):
        ranks = median_interval_ranks(n)
        assert ranks is not None
        j = exact_j(n, level)
        assert j - 1 <= ranks[0] <= j, n
        assert ranks[1] == n - ranks[0] + 1
        assert coverage(n, ranks[0]) >= level
    # a case where it is one rank wider (exact j = 470, coverage of 471 < 0.95)
    assert exact_j(1001, level) == 470
    assert median_interval_ranks(1001) == (469, 533)


def test_stats_on_one_to_ten() -> None:
    shuffled = ONE_TO_TEN[:]
    random.Random(7).shuffle(shuffled)
    assert run_cost_stats(shuffled) == RunCostStats(
        runs=10,
        p50=D(5),  # rank ceil(5.0) = 5
        p90=D(9),  # rank ceil(9.0) = 9
        p99=D(10),  # rank ceil(9.9) = 10
        max=D(10),
        median_ci95_low=D(2),  # ranks (2, 9)
        median_ci95_high=D(9),
    )


def test_stats_small_and_empty() -> None:
    assert run_cost_stats([]) == RunCostStats(0, None, None, None, None, None, None)
    five = [D("0.5"), D("0.1"), D("0.4"), D("0.2"), D("0.3")]
    # sorted 0.1..0.5: p50 rank ceil(2.5) = 3 -> 0.3; p90 ceil(4.5) = 5; no CI for n = 5
    assert run_cost_stats(five) == RunCostStats(
        5, D("0.3"), D("0.5"), D("0.5"), D("0.5"), None, None
    )
    assert run_cost_stats(iter([D(4)])) == RunCostStats(1, D(4), D(4), D(4), D(4), None, None)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False), max_size=60))
def test_stats_are_ordered(costs: list[Decimal]) -> None:
    stats = run_cost_stats(costs)
    assert stats.runs == len(costs)
    if not costs:
        return
    assert stats.p50 is not None and stats.p90 is not None and stats.p99 is not None
    assert stats.max is not None
    assert min(costs) <= stats.p50 <= stats.p90 <= stats.p99 <= stats.max == max(costs)
    if len(costs) >= 6:
        assert stats.median_ci95_low is not None and stats.median_ci95_high is not None
        assert stats.median_ci95_low <= stats.p50 <= stats.median_ci95_high
    else:
        assert stats.median_ci95_low is None and stats.median_ci95_high is None
