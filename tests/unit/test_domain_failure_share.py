"""Failure cost share by status."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.domain.failure_share import FailureCostShare, StatusCost, failure_cost_share

D = Decimal


def test_breakdown_lists_all_five_in_order_with_zeros() -> None:
    result = failure_cost_share(
        {
            RunStatus.TOOL_ERROR: (1, D("10")),
            RunStatus.REJECTED: (3, D("30")),
            RunStatus.ACCEPTED: (10, D("50")),  # not a failure: ignored
        },
        D("100"),
    )
    # failed = 30 + 10 = 40; share = 40 / 100
    assert result == FailureCostShare(
        total_cost=D("100"),
        failed_cost=D("40"),
        share=0.4,
        by_status=[
            StatusCost(RunStatus.REJECTED, 3, D("30"), 0.3),  # 30 / 100
            StatusCost(RunStatus.ABANDONED, 0, D("0"), 0.0),
            StatusCost(RunStatus.TIMED_OUT, 0, D("0"), 0.0),
            StatusCost(RunStatus.TOOL_ERROR, 1, D("10"), 0.1),  # 10 / 100
            StatusCost(RunStatus.ESCALATED, 0, D("0"), 0.0),
        ],
    )


def test_fractional_shares() -> None:
    result = failure_cost_share(
        {RunStatus.TIMED_OUT: (2, D("1.25")), RunStatus.ESCALATED: (1, D("0.75"))}, D("8")
    )
    assert result.failed_cost == D("2.00")  # 1.25 + 0.75
    assert result.share == 0.25  # 2 / 8
    assert [s.share for s in result.by_status] == [0.0, 0.0, 0.15625, 0.0, 0.09375]
    # 1.25 / 8 = 0.15625; 0.75 / 8 = 0.09375


def test_zero_total_gives_no_top_level_share() -> None:
    result = failure_cost_share({}, D("0"))
    assert result.share is None
    assert result.failed_cost == 0
    assert [s.status for s in result.by_status] == list(FAILURE_STATUSES)
    assert all(s.share == 0.0 and s.runs == 0 for s in result.by_status)
    # runs without cost, no spend
    counted = failure_cost_share({RunStatus.REJECTED: (2, D("0"))}, D("0"))
    assert counted.by_status[0] == StatusCost(RunStatus.REJECTED, 2, D("0"), 0.0)
    assert counted.share is None


def test_negative_run_count_is_rejected() -> None:
    with pytest.raises(ValueError):
        failure_cost_share({RunStatus.REJECTED: (-1, D("1"))}, D("1"))


amounts = st.decimals(min_value=0, max_value=10_000, places=10, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(
    entries=st.dictionaries(
        st.sampled_from(list(RunStatus)),
        st.tuples(st.integers(min_value=0, max_value=1000), amounts),
    ),
    other=amounts,
)
def test_by_status_adds_up_exactly(
    entries: dict[RunStatus, tuple[int, Decimal]], other: Decimal
) -> None:
    failures = sum((c for s, (_, c) in entries.items() if s in FAILURE_STATUSES), D(0))
    total = failures + other  # consistent: the total includes every failure cost
    result = failure_cost_share(entries, total)
    assert [s.status for s in result.by_status] == list(FAILURE_STATUSES)
    assert sum((s.cost for s in result.by_status), D(0)) == result.failed_cost == failures
    assert result.failed_cost <= result.total_cost
    if total == 0:
        assert result.share is None
    else:
        assert result.share is not None
        assert 0.0 <= result.share <= 1.0
        assert sum(s.share for s in result.by_status) == pytest.approx(result.share)
