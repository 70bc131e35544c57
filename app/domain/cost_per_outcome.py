"""Cost per accepted outcome of a cohort of runs.

The cohort is the runs started in a range. Its fully loaded spend is every usage cost of those
runs plus the workflow-level costs booked in the range. Failed runs stay in the numerator and
never enter the denominator; runs still inside their acceptance hold (pending) are not outcomes
yet, and not finished either. All money is Decimal in currency units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from app.domain.acceptance import is_counted_accepted, is_pending
from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.domain.money import ratio, share, sum_money


@dataclass(frozen=True)
class RunCost:
    """One run of the cohort: its current status, when that was set, and its total usage cost."""

    status: RunStatus
    status_at: datetime | None
    cost: Decimal


@dataclass(frozen=True)
class CohortTotals:
    """Aggregates of a cohort (what SQL computes set-wise; :func:`summarize_cohort` in Python).

    - ``attempts``: runs in the cohort, any status.
    - ``accepted``: ACCEPTED runs whose hold has passed (counted outcomes).
    - ``pending``: ACCEPTED runs still inside their hold.
    - ``finished``: runs neither RUNNING nor pending (counted accepted + failures).
    - ``total_cost``: run costs + workflow-level cost.
    - ``failed_cost``: cost of runs whose status is one of ``FAILURE_STATUSES``.

    Raises :class:`ValueError` unless ``0 <= accepted <= finished`` and
    ``finished + pending <= attempts``.
    """

    attempts: int
    accepted: int
    pending: int
    finished: int
    total_cost: Decimal
    failed_cost: Decimal

    def __post_init__(self) -> None:
        if min(self.attempts, self.accepted, self.pending, self.finished) < 0:
            raise ValueError("cohort counts must be non-negative")
        if self.accepted > self.finished or self.finished + self.pending > self.attempts:
            raise ValueError(
                "inconsistent cohort counts: need accepted <= finished and "
                f"finished + pending <= attempts, got {self!r}"
            )


def summarize_cohort(
    runs: Iterable[RunCost], *, workflow_level_cost: Decimal, hold_hours: int, now: datetime
) -> CohortTotals:
    """Count and sum a cohort of runs as of ``now``.

    ``total_cost = sum(run.cost) + workflow_level_cost`` (exact). An empty cohort gives zero
    counts and ``total_cost == workflow_level_cost``. Raises :class:`ValueError` for an
    ACCEPTED run without ``status_at`` or a negative ``hold_hours``.
    """
    attempts = accepted = pending = finished = 0
    run_costs: list[Decimal] = []
    failed_costs: list[Decimal] = []
    for run in runs:
        attempts += 1
        run_costs.append(run.cost)
        if is_counted_accepted(run.status, run.status_at, hold_hours, now):
            accepted += 1
        if is_pending(run.status, run.status_at, hold_hours, now):
            pending += 1
        elif run.status != RunStatus.RUNNING:
            finished += 1
        if run.status in FAILURE_STATUSES:
            failed_costs.append(run.cost)
    return CohortTotals(
        attempts=attempts,
        accepted=accepted,
        pending=pending,
        finished=finished,
        total_cost=sum_money([*run_costs, workflow_level_cost]),
        failed_cost=sum_money(failed_costs),
    )


@dataclass(frozen=True)
class CostPerOutcome:
    """The figures of the GraphQL ``CostPerOutcome`` type.

    Ratios are Decimal at 10 dp (``None`` when the denominator is 0 — never a fake zero);
    rates and shares are floats in [0, 1] for consistent inputs (``None`` without data).
    """

    attempts: int
    accepted_outcomes: int
    pending_outcomes: int
    total_cost: Decimal
    cost_per_attempt: Decimal | None
    cost_per_outcome: Decimal | None
    success_rate: float | None
    failure_cost_share: float | None


def cost_per_outcome(totals: CohortTotals) -> CostPerOutcome:
    """Derive the ratios of a cohort.

    - ``cost_per_attempt = total_cost / attempts`` (``None`` when no attempts);
    - ``cost_per_outcome = total_cost / accepted`` (``None`` when nothing accepted);
    - ``success_rate = accepted / finished`` (``None`` when nothing finished);
    - ``failure_cost_share = failed_cost / total_cost`` (``None`` when total is 0).
    """
    return CostPerOutcome(
        attempts=totals.attempts,
        accepted_outcomes=totals.accepted,
        pending_outcomes=totals.pending,
        total_cost=totals.total_cost,
        cost_per_attempt=ratio(totals.total_cost, totals.attempts),
        cost_per_outcome=ratio(totals.total_cost, totals.accepted),
        success_rate=None if totals.finished == 0 else totals.accepted / totals.finished,
        failure_cost_share=share(totals.failed_cost, totals.total_cost),
    )
