"""The cohort rule read live from the runs and usage: the all-live statement (the reference
the rollup path is held to) and the per-run pieces the rollup path reads live."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    and_,
    func,
    select,
)

from app.domain.enums import FAILURE_STATUSES
from app.services.costs.basis import usage_cost
from app.services.costs.cohorts.rows import ZERO
from app.services.costs.rules import counted, finished, held, hold_interval
from app.services.costs.scope import (
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
from app.services.tenancy.catalog import WORKFLOWS


@dataclass(frozen=True)
class CohortQuestion:
    """Which runs a cohort read is about: the tenant's `workflow_ids`' runs started in
    `time_range` within `scope`, their acceptance holds judged at `now`."""

    tenant_id: uuid.UUID
    workflow_ids: Sequence[uuid.UUID]
    time_range: TimeRange
    scope: CostScope
    now: datetime

    def run_filters(self, started_in: Sequence[TimeRange] | None = None) -> list[Any]:
        """The WHERE terms of the cohort's runs (`cohort_filters`), over `cohort_source`."""
        return cohort_filters(
            tenant_id=self.tenant_id,
            workflow_ids=self.workflow_ids,
            time_range=self.time_range,
            scope=self.scope,
            started_in=started_in,
        )

    def workflow_level_filters(self) -> list[Any]:
        """The WHERE terms of the workflows' usage booked in range with no stored run
        (`workflow_level_filters_for`, over `workflow_level_source`); `now` plays no part."""
        return workflow_level_filters_for(
            tenant_id=self.tenant_id,
            workflow_ids=self.workflow_ids,
            time_range=self.time_range,
            scope=self.scope,
        )


def cohort_runs(
    question: CohortQuestion,
    *,
    factors: CTE | None = None,
    started_in: Sequence[TimeRange] | None = None,
    name: str = "cohort",
) -> CTE:
    """One row per cohort run: workflow_id, correlation_id, status, pending, cost.

    `started_in` (pieces of `time_range`) keeps only the runs started in those pieces.

    On the rack-rate basis a run's cost is its row of the `run_costs` rollup (kept exact by
    triggers on every write of usage and runs), joined by primary key: no usage is read. On the
    RECONCILED basis (`factors`, app.services.costs.basis) the factor depends on each event's
    provider-month, so a run's cost is a correlated sum of its raw usage, which PostgreSQL
    answers with the (tenant_id, correlation_id) index per run.
    """
    tenant_id = question.tenant_id
    pending = held(hold_interval(WORKFLOWS.c.acceptance_hold_hours), question.now)
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
                USAGE.c.tenant_id == tenant_id,  # named: one shard group on Citus
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
        .where(*question.run_filters(started_in))
        # MATERIALIZED: computed once, not once per aggregate that reads `cost`.
        .cte(name)
        .prefix_with("MATERIALIZED")
    )


def with_runs(cohort: CTE, tenant_id: uuid.UUID, run: Any = RUNS, *narrowing: Any) -> Any:
    """FROM clause: each cohort row joined to its run's `runs` row (`run`: RUNS or an alias).

    `narrowing`: more join terms that leave the rows as they are but help the planner."""
    return cohort.join(
        run,
        and_(
            run.c.tenant_id == tenant_id,
            run.c.correlation_id == cohort.c.correlation_id,
            *narrowing,
        ),
    )


def workflow_level_costs(question: CohortQuestion, *, factors: CTE | None = None) -> Any:
    """Usage of the workflows booked in range with no stored run (NULL or unknown correlation id);
    the question's `now` plays no part.

    One anti-join covers both cases: a NULL correlation id never matches a run either.
    """
    return (
        select(USAGE.c.workflow_id, func.sum(usage_cost(factors)).label("cost"))
        .select_from(workflow_level_source())
        .where(*question.workflow_level_filters())
        .group_by(USAGE.c.workflow_id)
        .subquery("workflow_level")
    )


def totals_statement(cohort: CTE, workflow_level: Any) -> Any:
    return final_statement(per_run_totals(cohort).subquery("per_run"), workflow_level)


def cohort_counts(cohort: CTE) -> list[Any]:
    """The cohort's counts of runs per group of `cohort_runs` rows, labelled as CohortFigures
    and CohortTotals name them: attempts, accepted (counted), pending (held), finished."""
    runs_count = func.count(cohort.c.correlation_id)
    return [
        runs_count.label("attempts"),
        runs_count.filter(counted(cohort.c.status, cohort.c.pending)).label("accepted"),
        runs_count.filter(cohort.c.pending).label("pending"),
        runs_count.filter(finished(cohort.c.status, cohort.c.pending)).label("finished"),
    ]


def per_run_totals(cohort: CTE) -> Any:
    """The per-workflow totals of the cohort's runs (the columns `final_statement` reads)."""
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
    per_run = select(
        cohort.c.workflow_id,
        *cohort_counts(cohort),
        func.coalesce(func.sum(cohort.c.cost), ZERO).label("run_cost"),
        *per_status,
    ).group_by(cohort.c.workflow_id)
    return per_run


def final_statement(per_run: Any, workflow_level: Any) -> Any:
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
