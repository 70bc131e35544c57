"""Failure cost share: the part of total spend that went to failed runs, by failure status.

Money is Decimal (currency units); shares are floats relative to the cohort's total spend
(including workflow-level costs, which are never failure cost).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.domain.money import share, sum_money


@dataclass(frozen=True)
class StatusCost:
    """Runs and cost of one failure status; ``share`` = cost / total (0.0 when total is 0)."""

    status: RunStatus
    runs: int
    cost: Decimal
    share: float


@dataclass(frozen=True)
class FailureCostShare:
    """``failed_cost / total_cost`` (``share``; ``None`` when total is 0) and its breakdown.

    ``by_status`` always lists the five ``FAILURE_STATUSES`` in their canonical order, and its
    costs add up to ``failed_cost`` exactly.
    """

    total_cost: Decimal
    failed_cost: Decimal
    share: float | None
    by_status: list[StatusCost] = field(hash=False)


def failure_cost_share(
    by_status: Mapping[RunStatus, tuple[int, Decimal]], total_cost: Decimal
) -> FailureCostShare:
    """Build the failure breakdown from ``{status: (runs, cost)}`` and the cohort's total spend.

    Failure statuses absent from ``by_status`` get ``(0, Decimal(0))``; entries for
    non-failure statuses (RUNNING, ACCEPTED) are ignored. When ``total_cost`` is 0 every
    per-status share is ``0.0`` and the top-level ``share`` is ``None`` (no spend, no answer).
    Raises :class:`ValueError` for a negative run count.
    """
    rows: list[StatusCost] = []
    for status in FAILURE_STATUSES:
        runs, cost = by_status.get(status, (0, Decimal(0)))
        if runs < 0:
            raise ValueError(f"run count for {status.value} must be >= 0, got {runs}")
        part = share(cost, total_cost)
        rows.append(
            StatusCost(status=status, runs=runs, cost=cost, share=0.0 if part is None else part)
        )
    failed_cost = sum_money(row.cost for row in rows)
    return FailureCostShare(
        total_cost=total_cost,
        failed_cost=failed_cost,
        share=share(failed_cost, total_cost),
        by_status=rows,
    )
