"""The cohort rule in SQL: set-based totals per workflow for one (range, scope).

The cohort of a workflow for [from, to) is its runs *started* in the range that match the scope
(client, campaign, channel, variant and team of the run). Its spend is

- every usage event whose correlation id is a cohort run, whenever the event occurred, plus
- the workflow-level costs: usage of the workflow that occurred in [from, to) whose correlation
  id is NULL or names no stored run. They carry only a client and a team, so they are filtered
  by those, and left out altogether when the scope filters campaign, channel or variant.

A run counts as an accepted outcome when its status is ACCEPTED and `status_at + hold <= now`
(`app.domain.acceptance`); an ACCEPTED run still inside its workflow's acceptance hold is
*pending*: not an outcome yet, not a failure either. `finished` = neither RUNNING nor pending.

One statement per (range, scope) answers any number of workflows (GROUP BY workflow_id), so a
list of workflows with their figures costs a bounded number of queries. The arithmetic that turns
these totals into figures lives in `app.domain`; this module only counts and sums.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CTE, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.services.catalog import WORKFLOWS
from app.services.cost_basis import CostBasis, factors_for, usage_cost
from app.services.scope import (
    RUN_COSTS,
    RUNS,
    USAGE,
    CostScope,
    TimeRange,
    cohort_filters,
    cohort_source,
    workflow_level_filters_for,
    workflow_level_source,
)

ZERO = Decimal(0)
ACCEPTED = RunStatus.ACCEPTED.value
RUNNING = RunStatus.RUNNING.value


@dataclass(frozen=True)
class CohortFigures:
    """Counts and exact sums for one workflow's cohort (see the module docstring)."""

    attempts: int = 0
    accepted: int = 0
    pending: int = 0
    finished: int = 0
    run_cost: Decimal = ZERO
    workflow_level_cost: Decimal = ZERO
    # (runs, cost) for each failure status, in FAILURE_STATUSES order.
    by_status: dict[RunStatus, tuple[int, Decimal]] = field(
        default_factory=lambda: {s: (0, ZERO) for s in FAILURE_STATUSES}
    )

    @property
    def total_cost(self) -> Decimal:
        return self.run_cost + self.workflow_level_cost

    @property
    def failed_cost(self) -> Decimal:
        return sum((cost for _, cost in self.by_status.values()), ZERO)


def cohort_runs(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    scope: CostScope,
    now: datetime,
    factors: CTE | None = None,
) -> CTE:
    """One row per cohort run: workflow_id, correlation_id, status, pending, cost.

    On the rack-rate basis a run's cost is its row of the `run_costs` rollup (kept exact by
    triggers on every write of usage and runs), joined by primary key: no usage is read. On the
    RECONCILED basis (`factors`, app.services.cost_basis) the factor depends on each event's
    provider-month, so a run's cost is a correlated sum of its raw usage, which PostgreSQL
    answers with the (tenant_id, correlation_id) index per run.
    """
    hold = func.make_interval(0, 0, 0, 0, WORKFLOWS.c.acceptance_hold_hours)
    pending = and_(RUNS.c.status == ACCEPTED, RUNS.c.status_at + hold > now)
    source = cohort_source(WORKFLOWS)
    run_cost: Any
    if factors is None:
        # LEFT JOIN, not a correlated probe per run: the planner may hash the rollup instead.
        source = source.outerjoin(
            RUN_COSTS,
            and_(
                RUN_COSTS.c.tenant_id == RUNS.c.tenant_id,
                RUN_COSTS.c.correlation_id == RUNS.c.correlation_id,
            ),
        )
        run_cost = func.coalesce(RUN_COSTS.c.cost, ZERO)
    else:
        run_cost = (
            select(func.coalesce(func.sum(usage_cost(factors)), ZERO))
            .where(
                USAGE.c.tenant_id == RUNS.c.tenant_id,
                USAGE.c.correlation_id == RUNS.c.correlation_id,
            )
            .scalar_subquery()
        )
    return (
        select(
            RUNS.c.workflow_id,
            RUNS.c.correlation_id,
            RUNS.c.status,
            func.coalesce(pending, False).label("pending"),
            run_cost.label("cost"),
        )
        .select_from(source)
        .where(
            *cohort_filters(
                tenant_id=tenant_id, workflow_ids=workflow_ids, time_range=time_range, scope=scope
            )
        )
        # MATERIALIZED: computed once, not once per aggregate that reads `cost`.
        .cte("cohort")
        .prefix_with("MATERIALIZED")
    )


def _workflow_level_costs(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    scope: CostScope,
    factors: CTE | None = None,
) -> Any:
    """Usage of the workflows booked in range with no stored run (NULL or unknown correlation id).

    One anti-join covers both cases: a NULL correlation id never matches a run either.
    """
    return (
        select(USAGE.c.workflow_id, func.sum(usage_cost(factors)).label("cost"))
        .select_from(workflow_level_source())
        .where(
            *workflow_level_filters_for(
                tenant_id=tenant_id, workflow_ids=workflow_ids, time_range=time_range, scope=scope
            )
        )
        .group_by(USAGE.c.workflow_id)
        .subquery("workflow_level")
    )


def _totals_statement(cohort: CTE, workflow_level: Any) -> Any:
    runs_count = func.count(cohort.c.correlation_id)
    per_status: list[Any] = []
    for status in FAILURE_STATUSES:
        is_status = cohort.c.status == status.value
        per_status.append(runs_count.filter(is_status).label(f"runs_{status.value}"))
        per_status.append(
            func.coalesce(func.sum(cohort.c.cost).filter(is_status), ZERO).label(
                f"cost_{status.value}"
            )
        )
    per_run = (
        select(
            cohort.c.workflow_id,
            runs_count.label("attempts"),
            runs_count.filter(and_(cohort.c.status == ACCEPTED, ~cohort.c.pending)).label(
                "accepted"
            ),
            runs_count.filter(cohort.c.pending).label("pending"),
            runs_count.filter(and_(cohort.c.status != RUNNING, ~cohort.c.pending)).label(
                "finished"
            ),
            func.coalesce(func.sum(cohort.c.cost), ZERO).label("run_cost"),
            *per_status,
        )
        .group_by(cohort.c.workflow_id)
        .subquery("per_run")
    )
    # FULL JOIN: a workflow may have runs and no workflow-level costs, or only the latter.
    return select(
        func.coalesce(per_run.c.workflow_id, workflow_level.c.workflow_id).label("workflow_id"),
        *[column for column in per_run.c if column.key != "workflow_id"],
        func.coalesce(workflow_level.c.cost, ZERO).label("workflow_level_cost"),
    ).select_from(
        per_run.outerjoin(
            workflow_level, workflow_level.c.workflow_id == per_run.c.workflow_id, full=True
        )
    )


async def cohort_figures(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    scope: CostScope,
    now: datetime,
    basis: CostBasis = CostBasis.RACK_RATE,
) -> dict[uuid.UUID, CohortFigures]:
    """Cohort totals of each workflow in `workflow_ids` (zeros for an empty cohort), one query."""
    factors = factors_for(basis, tenant_id)
    cohort = cohort_runs(
        tenant_id=tenant_id,
        workflow_ids=workflow_ids,
        time_range=time_range,
        scope=scope,
        now=now,
        factors=factors,
    )
    workflow_level = _workflow_level_costs(
        tenant_id=tenant_id,
        workflow_ids=workflow_ids,
        time_range=time_range,
        scope=scope,
        factors=factors,
    )
    result = await session.execute(_totals_statement(cohort, workflow_level))
    found = {wid: CohortFigures() for wid in workflow_ids}
    for row in result.mappings():
        found[row["workflow_id"]] = CohortFigures(
            attempts=row["attempts"] or 0,
            accepted=row["accepted"] or 0,
            pending=row["pending"] or 0,
            finished=row["finished"] or 0,
            run_cost=row["run_cost"] if row["run_cost"] is not None else ZERO,
            workflow_level_cost=row["workflow_level_cost"],
            by_status={
                s: (row[f"runs_{s.value}"] or 0, row[f"cost_{s.value}"] or ZERO)
                for s in FAILURE_STATUSES
            },
        )
    return found


async def cohort_run_costs(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    scope: CostScope,
    now: datetime,
    basis: CostBasis = CostBasis.RACK_RATE,
) -> dict[uuid.UUID, list[Decimal]]:
    """Each workflow's per-run costs over its cohort, ascending (sorted by PostgreSQL).

    The whole list travels to Python for the quantiles: fine up to ~100k runs per workflow and
    range; beyond that, percentile_disc in SQL would be the next step.
    """
    cohort = cohort_runs(
        tenant_id=tenant_id,
        workflow_ids=workflow_ids,
        time_range=time_range,
        scope=scope,
        now=now,
        factors=factors_for(basis, tenant_id),
    )
    result = await session.execute(
        select(cohort.c.workflow_id, cohort.c.cost).order_by(cohort.c.workflow_id, cohort.c.cost)
    )
    found: dict[uuid.UUID, list[Decimal]] = {wid: [] for wid in workflow_ids}
    for workflow_id, cost in result:
        found[workflow_id].append(cost)
    return found
