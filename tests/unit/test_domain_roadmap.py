"""The ROI roadmap: per-run ROI, medians with their interval, and the two rankings."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.roadmap import WorkflowEconomics, median_interval, roadmap, run_roi


def test_run_roi() -> None:
    # accepted: (10.00 − 4.00 baseline) / 2.00 = 3.0; no baseline: 10 / 2 = 5.0
    assert (
        run_roi(
            cost=Decimal(2), attributed=Decimal(10), accepted=True, revenue_per_success=Decimal(4)
        )
        == 3.0
    )
    assert (
        run_roi(cost=Decimal(2), attributed=Decimal(10), accepted=True, revenue_per_success=None)
        == 5.0
    )
    # a failed run earns nothing and owes no baseline: 0 / 1.00 = 0.0
    assert (
        run_roi(
            cost=Decimal(1), attributed=Decimal(0), accepted=False, revenue_per_success=Decimal(4)
        )
        == 0.0
    )
    # an accepted run that claimed less than the manual process would have: (1 − 4) / 2 = −1.5
    assert (
        run_roi(
            cost=Decimal(2), attributed=Decimal(1), accepted=True, revenue_per_success=Decimal(4)
        )
        == -1.5
    )
    assert (
        run_roi(cost=Decimal(0), attributed=Decimal(5), accepted=True, revenue_per_success=None)
        is None
    )


def test_median_interval_of_ten_and_of_six() -> None:
    # n = 10: median = 5th smallest; 95 % ranks (2, 9) (coverage 1 − 22/1024 = 0.9785)
    ten = median_interval([Decimal(v) for v in (7, 1, 3, 10, 2, 9, 4, 8, 6, 5)])
    assert (ten.n, ten.median, ten.low, ten.high) == (10, Decimal(5), Decimal(2), Decimal(9))
    # n = 6: median = 3rd smallest; ranks (1, 6)
    six = median_interval([1.0, 3.0, 5.0, 7.0, 9.0, 11.0])
    assert (six.median, six.low, six.high) == (5.0, 1.0, 11.0)
    # n = 5: no 95 % interval exists; n = 0: no median
    five = median_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert five.median == 3.0 and five.low is None and five.high is None
    assert median_interval([]).median is None


def economics(key: str, lift: str, cost: str, savings: str, roi: float | None) -> WorkflowEconomics:
    return WorkflowEconomics(key, roi, Decimal(lift), Decimal(cost), Decimal(savings), [], [])


def test_the_cache_reorders_the_roadmap() -> None:
    # support: lift 48, cost 6, savings 54 → ROI 8.0, without cache 48 / 60 = 0.8
    # outreach: lift 36, cost 6, no savings → 6.0 both ways; idle: no ROI (no cost) → last
    rows = roadmap(
        [
            economics("outreach", "36", "6", "0", 6.0),
            economics("idle", "0", "0", "0", None),
            economics("support", "48", "6", "54", 8.0),
        ]
    )
    assert [(r.key, r.rank, r.rank_without_cache) for r in rows] == [
        ("support", 1, 2),
        ("outreach", 2, 1),
        ("idle", 3, 3),
    ]
    assert rows[0].roi_without_cache == pytest.approx(0.8)
    assert rows[1].roi_without_cache == pytest.approx(6.0)
    assert rows[2].roi_without_cache is None


def test_equal_roi_ranks_by_key() -> None:
    rows = roadmap([economics("b", "1", "1", "0", 1.0), economics("a", "1", "1", "0", 1.0)])
    assert [r.key for r in rows] == ["a", "b"]


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=60))
def test_median_lies_within_its_interval(values: list[float]) -> None:
    found = median_interval(values)
    assert found.median in values
    if found.low is not None and found.high is not None:
        assert found.low <= found.median <= found.high  # type: ignore[operator]


@given(
    st.lists(
        st.tuples(st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 1000)),
        min_size=1,
        max_size=8,
    )
)
def test_ranks_are_a_permutation(rows: list[tuple[int, int, int]]) -> None:
    items = [
        economics(f"w{i}", str(lift), str(cost), str(saved), None if cost == 0 else lift / cost)
        for i, (lift, cost, saved) in enumerate(rows)
    ]
    found = roadmap(items)
    assert sorted(r.rank for r in found) == list(range(1, len(items) + 1))
    assert sorted(r.rank_without_cache for r in found) == list(range(1, len(items) + 1))
    for r in found:  # paying for cache reads never raises a positive ROI
        if r.roi is not None and r.roi_without_cache is not None and r.roi >= 0:
            assert r.roi_without_cache <= r.roi + 1e-12
