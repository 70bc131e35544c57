"""Caching figures: per-event savings and the cohort's counterfactual cost per outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.caching import CachingTotals, cache_read_savings, caching_view

D = Decimal


@pytest.mark.parametrize(
    ("input_rate", "read_rate", "tokens", "expected"),
    [
        # (3.00 - 0.30) x 1,000,000 / 1e6 = 2.70
        (D("3.00"), D("0.30"), 1_000_000, D("2.7000000000")),
        # (2.00 - 0.50) x 2,000,000 / 1e6 = 3.00
        (D("2.00"), D("0.50"), 2_000_000, D("3.0000000000")),
        # (15 - 1.5) x 7 / 1e6 = 94.5 / 1e6 = 0.0000945
        (D("15"), D("1.5"), 7, D("0.0000945000")),
        # no cache-read rate: reads were priced at the input rate, nothing saved
        (D("3.00"), None, 1_000_000, D("0E-10")),
        # (1 - 0) x 1 / 1e6 = 0.000001
        (D("1"), D("0"), 1, D("0.0000010000")),
        # (0.000000001 - 0) x 1 / 1e6 = 1e-15 -> rounds to 0 at 10 dp
        (D("0.000000001"), D("0"), 1, D("0E-10")),
        # a cache-read rate above the input rate costs money: (1 - 2) x 1e6 / 1e6 = -1
        (D("1"), D("2"), 1_000_000, D("-1.0000000000")),
    ],
)
def test_savings_per_event_at_its_price(input_rate, read_rate, tokens, expected) -> None:
    saved = cache_read_savings(
        input_per_million=input_rate, cache_read_per_million=read_rate, cache_read_tokens=tokens
    )
    assert saved == expected and str(saved) == str(expected)


def test_negative_tokens_are_refused() -> None:
    with pytest.raises(ValueError):
        cache_read_savings(
            input_per_million=D(1), cache_read_per_million=D(0), cache_read_tokens=-1
        )


def test_worked_example_counterfactual_cost_per_outcome() -> None:
    # reads 3,400,000, uncached 601,000: share = 3,400,000 / 4,001,000
    # total 8.00 + savings 5.70 = 13.70 over 2 outcomes = 6.85; with cache 8.00 / 2 = 4.00
    view = caching_view(
        CachingTotals(
            cache_read_tokens=3_400_000,
            input_tokens=601_000,
            savings=D("5.70"),
            total_cost=D("8.00"),
            accepted_outcomes=2,
        )
    )
    assert view.cache_hit_share == 3_400_000 / 4_001_000
    assert view.cost_per_outcome == D("4.0000000000")
    assert view.cost_per_outcome_without_cache == D("6.8500000000")


def test_no_input_and_no_outcomes_say_so_with_none() -> None:
    view = caching_view(CachingTotals(0, 0, D(0), D("1.5"), 0))
    assert view.cache_hit_share is None
    assert view.cost_per_outcome is None and view.cost_per_outcome_without_cache is None
    assert view.total_cost == D("1.5")


def test_all_cached_is_a_share_of_one_and_none_cached_zero() -> None:
    assert caching_view(CachingTotals(10, 0, D(0), D(0), 1)).cache_hit_share == 1.0
    assert caching_view(CachingTotals(0, 10, D(0), D(0), 1)).cache_hit_share == 0.0


def test_negative_totals_are_refused() -> None:
    with pytest.raises(ValueError):
        CachingTotals(-1, 0, D(0), D(0), 0)


rates = st.decimals(min_value=0, max_value=1000, places=4)
token_counts = st.integers(min_value=0, max_value=10**9)


@given(rates, rates, token_counts)
def test_savings_are_input_cost_minus_read_cost(input_rate, read_rate, tokens) -> None:
    saved = cache_read_savings(
        input_per_million=input_rate, cache_read_per_million=read_rate, cache_read_tokens=tokens
    )
    # exact: both products have <= 4 dp, the division by 1e6 adds 6 -> exact at 10 dp
    assert saved == (input_rate * tokens - read_rate * tokens) / 1_000_000
    assert (saved >= 0) == (input_rate >= read_rate or tokens == 0)


@given(token_counts, token_counts, st.integers(min_value=1, max_value=10**6))
def test_share_in_unit_interval_and_cache_never_lowers_the_counterfactual(
    reads, uncached, accepted
) -> None:
    view = caching_view(CachingTotals(reads, uncached, D("2.5"), D("10"), accepted))
    if reads + uncached:
        assert view.cache_hit_share is not None and 0.0 <= view.cache_hit_share <= 1.0
    assert view.cost_per_outcome is not None and view.cost_per_outcome_without_cache is not None
    assert view.cost_per_outcome_without_cache >= view.cost_per_outcome
