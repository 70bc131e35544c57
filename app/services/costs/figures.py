"""From SQL totals to figures: the domain functions define what the numbers mean.

`app.services.costs.cohorts` counts and sums set-wise in PostgreSQL; the functions here hand those
totals to `app.domain` (cost per outcome, failure cost share, run cost statistics), so the SQL
path and the pure reference (`summarize_cohort`) are held to the same arithmetic.

Basis: RECONCILED figures scale LLM costs to the providers' recorded invoices; the SQL is in
`app.services.costs.basis` (CostBasis is re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from app.domain.cost_per_outcome import CohortTotals, CostPerOutcome, cost_per_outcome
from app.domain.failure_share import FailureCostShare, failure_cost_share
from app.domain.run_cost_stats import RunCostStats, run_cost_stats
from app.records import copy_fields
from app.services.costs.basis import CostBasis as CostBasis  # re-exported
from app.services.costs.cohorts import CohortFigures


def cohort_totals(figures: CohortFigures) -> CohortTotals:
    """The cohort's aggregates as the domain takes them (CohortFigures has each of them)."""
    return copy_fields(CohortTotals, figures)


def cost_per_outcome_of(figures: CohortFigures) -> CostPerOutcome:
    return cost_per_outcome(cohort_totals(figures))


def failure_cost_share_of(figures: CohortFigures) -> FailureCostShare:
    return failure_cost_share(figures.by_status, figures.total_cost)


def run_cost_stats_of(costs: Sequence[Decimal]) -> RunCostStats:
    """Statistics of per-run costs (already sorted by PostgreSQL; sorting again is cheap)."""
    return run_cost_stats(costs)
