"""Cost per accepted outcome: failed runs load the numerator, pending runs are not outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.cost_per_outcome import (
    CohortTotals,
    CostPerOutcome,
    RunCost,
    cost_per_outcome,
    summarize_cohort,
)
from app.domain.enums import FAILURE_STATUSES, RunStatus

NOW = datetime(2026, 3, 31, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=10)
A, R = RunStatus.ACCEPTED, RunStatus.REJECTED
ZERO = Decimal(0)


def runs_of(status: RunStatus, count: int, cost: str, at: datetime = LONG_AGO) -> list[RunCost]:
    return [RunCost(status, at, Decimal(cost)) for _ in range(count)]


def cpo(runs: list[RunCost], workflow_cost: str = "0", hold: int = 48) -> CostPerOutcome:
    totals = summarize_cohort(
        runs, workflow_level_cost=Decimal(workflow_cost), hold_hours=hold, now=NOW
    )
    return cost_per_outcome(totals)


def test_thousand_dollars_over_500_accepted_is_two() -> None:
    # 625 attempts at $1.60 = $1,000; 500 accepted, 125 rejected
    result = cpo(runs_of(A, 500, "1.60") + runs_of(R, 125, "1.60"))
    assert result.total_cost == Decimal("1000")  # 625 * 1.60
    assert result.cost_per_outcome == Decimal("2.00")  # 1000 / 500
    assert result.cost_per_attempt == Decimal("1.60")  # 1000 / 625
    assert result.success_rate == 0.8  # 500 / 625
    assert result.failure_cost_share == 0.2  # 125 * 1.60 = 200; 200 / 1000


def test_cheaper_configuration_costs_more_per_outcome() -> None:
    expensive = cpo(runs_of(A, 500, "1.60") + runs_of(R, 125, "1.60"))
    # 800 attempts at $1.00 = $800; only 320 accepted
    cheap = cpo(runs_of(A, 320, "1.00") + runs_of(RunStatus.ABANDONED, 480, "1.00"))
    assert cheap.total_cost == Decimal("800")
    assert cheap.cost_per_outcome == Decimal("2.50")  # 800 / 320
    assert cheap.cost_per_attempt == Decimal("1.00")  # 800 / 800
    assert cheap.success_rate == 0.4  # 320 / 800
    assert cheap.failure_cost_share == 0.6  # 480 / 800
    assert cheap.cost_per_attempt is not None and expensive.cost_per_attempt is not None
    assert cheap.cost_per_outcome is not None and expensive.cost_per_outcome is not None
    assert cheap.cost_per_attempt < expensive.cost_per_attempt
    assert cheap.cost_per_outcome > expensive.cost_per_outcome


def test_pending_running_and_failed_runs() -> None:
    runs = [
        RunCost(A, NOW - timedelta(hours=50), Decimal("1")),  # hold passed: counted
        RunCost(A, NOW - timedelta(hours=10), Decimal("2")),  # inside 48 h hold: pending
        RunCost(RunStatus.RUNNING, None, Decimal("3")),
        RunCost(R, NOW - timedelta(hours=1), Decimal("4")),
    ]
    totals = summarize_cohort(runs, workflow_level_cost=Decimal("0.5"), hold_hours=48, now=NOW)
    # total = 1 + 2 + 3 + 4 + 0.5 = 10.5; finished = counted A + R = 2; failed = 4
    assert totals == CohortTotals(
        attempts=4,
        accepted=1,
        pending=1,
        finished=2,
        total_cost=Decimal("10.5"),
        failed_cost=Decimal("4"),
    )
    result = cost_per_outcome(totals)
    assert result == CostPerOutcome(
        attempts=4,
        accepted_outcomes=1,
        pending_outcomes=1,
        total_cost=Decimal("10.5"),
        cost_per_attempt=Decimal("2.625"),  # 10.5 / 4
        cost_per_outcome=Decimal("10.5"),  # 10.5 / 1: the pending run is not an outcome
        success_rate=0.5,  # 1 / 2
        failure_cost_share=float(Decimal(4) / Decimal("10.5")),  # 0.380952...
    )


def test_pending_runs_are_not_outcomes() -> None:
    just_accepted = NOW - timedelta(hours=1)
    result = cpo(runs_of(A, 3, "5", at=just_accepted), hold=48)
    assert (result.accepted_outcomes, result.pending_outcomes) == (0, 3)
    assert result.cost_per_outcome is None  # 15 over 0 outcomes: no answer, not 0
    assert result.success_rate is None  # nothing finished yet
    # the same runs with no hold are outcomes right away: 15 / 3 = 5
    assert cpo(runs_of(A, 3, "5", at=just_accepted), hold=0).cost_per_outcome == Decimal("5")


def test_zero_accepted_is_none_never_zero() -> None:
    result = cpo(runs_of(R, 4, "2.5"))
    assert result.accepted_outcomes == 0
    assert result.cost_per_outcome is None
    assert result.cost_per_attempt == Decimal("2.5")  # 10 / 4
    assert result.success_rate == 0.0  # 0 / 4 finished
    assert result.failure_cost_share == 1.0  # 10 / 10


def test_empty_cohort() -> None:
    with_overhead = cpo([], workflow_cost="5")
    assert with_overhead == CostPerOutcome(0, 0, 0, Decimal("5"), None, None, None, 0.0)
    nothing = cpo([])
    assert nothing == CostPerOutcome(0, 0, 0, ZERO, None, None, None, None)


def test_workflow_level_cost_loads_outcomes_but_is_not_failure() -> None:
    # 2 accepted at $1 + $3 workflow cost = $5 -> 2.5 per outcome; failed cost 0
    result = cpo(runs_of(A, 2, "1"), workflow_cost="3")
    assert result.cost_per_outcome == Decimal("2.5")
    assert result.failure_cost_share == 0.0


def test_ratio_is_rounded_to_ten_places() -> None:
    # $100 over 19 outcomes = 5.263157894736...; 10 dp half-even -> 5.2631578947
    result = cpo(runs_of(A, 1, "100") + runs_of(A, 18, "0"))
    assert result.cost_per_outcome == Decimal("5.2631578947")


def test_running_runs_are_attempts_but_not_finished() -> None:
    result = cpo(runs_of(A, 1, "1") + runs_of(RunStatus.RUNNING, 3, "1", at=NOW))
    assert (result.attempts, result.accepted_outcomes) == (4, 1)
    assert result.success_rate == 1.0  # 1 accepted / 1 finished


@pytest.mark.parametrize(
    "counts",
    [
        (-1, 0, 0, 0),  # negative attempts
        (1, 2, 0, 2),  # accepted > attempts
        (3, 2, 0, 1),  # accepted > finished
        (3, 0, 2, 2),  # finished + pending > attempts
    ],
)
def test_inconsistent_totals_are_rejected(counts: tuple[int, int, int, int]) -> None:
    attempts, accepted, pending, finished = counts
    with pytest.raises(ValueError):
        CohortTotals(attempts, accepted, pending, finished, ZERO, ZERO)


statuses = st.sampled_from(list(RunStatus))
costs = st.decimals(min_value=0, max_value=1000, places=10, allow_nan=False)
run_costs = st.builds(
    RunCost,
    status=statuses,
    status_at=st.integers(min_value=0, max_value=200).map(lambda x: NOW - timedelta(hours=x)),
    cost=costs,
)


@settings(max_examples=100, deadline=None)
@given(runs=st.lists(run_costs, max_size=25), overhead=costs, hold=st.sampled_from([0, 24, 48]))
def test_totals_are_consistent(runs: list[RunCost], overhead: Decimal, hold: int) -> None:
    totals = summarize_cohort(runs, workflow_level_cost=overhead, hold_hours=hold, now=NOW)
    assert totals.attempts == len(runs)
    assert totals.accepted + totals.pending == sum(r.status is A for r in runs)
    running = sum(r.status is RunStatus.RUNNING for r in runs)
    assert totals.finished == len(runs) - running - totals.pending
    assert totals.total_cost == sum((r.cost for r in runs), ZERO) + overhead
    assert totals.failed_cost == sum((r.cost for r in runs if r.status in FAILURE_STATUSES), ZERO)
    assert totals.failed_cost <= totals.total_cost
    result = cost_per_outcome(totals)
    assert (result.cost_per_outcome is None) == (totals.accepted == 0)
    if result.success_rate is not None:
        assert 0.0 <= result.success_rate <= 1.0
    if result.failure_cost_share is not None:
        assert 0.0 <= result.failure_cost_share <= 1.0


@settings(max_examples=100, deadline=None)
@given(
    base=st.lists(run_costs, max_size=20),
    failed=st.lists(
        st.builds(
            RunCost, status=st.sampled_from(FAILURE_STATUSES), status_at=st.just(NOW), cost=costs
        ),
        min_size=1,
        max_size=10,
    ),
    overhead=costs,
)
def test_failed_runs_raise_cost_per_outcome_never_outcomes(
    base: list[RunCost], failed: list[RunCost], overhead: Decimal
) -> None:
    base = [*base, RunCost(A, LONG_AGO, Decimal("1"))]  # at least one counted outcome
    before = cpo(base, workflow_cost=str(overhead))
    after = cpo(base + failed, workflow_cost=str(overhead))
    assert after.accepted_outcomes == before.accepted_outcomes
    assert after.attempts == before.attempts + len(failed)
    assert before.cost_per_outcome is not None and after.cost_per_outcome is not None
    assert after.cost_per_outcome >= before.cost_per_outcome
    if sum(r.cost for r in failed) >= Decimal("0.001"):  # visible at 10 dp
        assert after.cost_per_outcome > before.cost_per_outcome


@settings(max_examples=100, deadline=None)
@given(base=st.lists(run_costs, max_size=20), extra=st.integers(min_value=1, max_value=5))
def test_pending_runs_never_add_outcomes(base: list[RunCost], extra: int) -> None:
    before = cpo(base)
    after = cpo(base + runs_of(A, extra, "1", at=NOW - timedelta(hours=1)))
    assert after.accepted_outcomes == before.accepted_outcomes
    assert after.pending_outcomes == before.pending_outcomes + extra
