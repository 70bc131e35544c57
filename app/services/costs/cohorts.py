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

On the rack-rate basis, when the scope filters at most the client, the whole UTC days of the
range are read from the daily rollup `cohort_days` (runs and exact cost per workflow, start day,
client and status; migration 0009) and only the partial days at the ends from the runs — or,
when the rest of such a day is shorter, the whole day from the rollup minus that rest read from
the runs (`cover_with_days`: from 04:00 takes back 00:00–04:00, not 04:00–24:00); the
ACCEPTED runs of the whole days still inside their hold are counted live (pending, not
accepted) from the runs by status time. The figures are the same as the all-live statement's.

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

from sqlalchemy import (
    CTE,
    ClauseElement,
    Date,
    DateTime,
    Uuid,
    and_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.services.costs.basis import CostBasis, factors_for, usage_cost
from app.services.costs.scope import (
    COHORT_DAYS,
    RUN_COSTS,
    RUNS,
    USAGE,
    CostScope,
    DayCover,
    TimeRange,
    cohort_filters,
    cohort_source,
    cover_with_days,
    run_filters,
    workflow_level_filters_for,
    workflow_level_source,
)
from app.services.tenancy.catalog import WORKFLOWS

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
                tenant_id=tenant_id,
                workflow_ids=workflow_ids,
                time_range=time_range,
                scope=scope,
                started_in=started_in,
            )
        )
        # MATERIALIZED: computed once, not once per aggregate that reads `cost`.
        .cte(name)
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
    return _final_statement(_per_run(cohort).subquery("per_run"), workflow_level)


def _per_run(cohort: CTE) -> Any:
    """The per-workflow totals of the cohort's runs (the columns `_final_statement` reads)."""
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
        runs_count.label("attempts"),
        runs_count.filter(and_(cohort.c.status == ACCEPTED, ~cohort.c.pending)).label("accepted"),
        runs_count.filter(cohort.c.pending).label("pending"),
        runs_count.filter(and_(cohort.c.status != RUNNING, ~cohort.c.pending)).label("finished"),
        func.coalesce(func.sum(cohort.c.cost), ZERO).label("run_cost"),
        *per_status,
    ).group_by(cohort.c.workflow_id)
    return per_run


def _final_statement(per_run: Any, workflow_level: Any) -> Any:
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


def _rollup_days(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    days: TimeRange,
    scope: CostScope,
    day_bounds: tuple[Any, Any] | None = None,
) -> Any:
    """`_per_run`'s columns for the runs started in `days` (whole UTC days), from the rollup,
    counting every ACCEPTED run as accepted (`_held_correction` takes the held ones back).
    `day_bounds`: the first and end dates of `days` when they are not values (a cached
    statement's parameters).

    Summed per (workflow, status) first, then pivoted: two sums per bucket row, not eleven."""
    first, end = day_bounds or (days.start.date(), days.end.date())
    by_status = (
        select(
            COHORT_DAYS.c.workflow_id,
            COHORT_DAYS.c.status,
            func.sum(COHORT_DAYS.c.runs).label("runs"),
            func.sum(COHORT_DAYS.c.cost).label("cost"),
        )
        .where(
            COHORT_DAYS.c.tenant_id == tenant_id,
            COHORT_DAYS.c.workflow_id.in_(workflow_ids),
            COHORT_DAYS.c.day >= first,
            COHORT_DAYS.c.day < end,
            # Per client for a client scope; the all-clients rows otherwise.
            COHORT_DAYS.c.all_clients == (scope.client_id is None),
            *run_filters(scope, COHORT_DAYS),
        )
        .group_by(COHORT_DAYS.c.workflow_id, COHORT_DAYS.c.status)
        .subquery("by_status")
    )
    runs = func.sum(by_status.c.runs)
    cost = func.sum(by_status.c.cost)
    per_status: list[Any] = []
    for status in FAILURE_STATUSES:
        is_status = by_status.c.status == status.value
        per_status.append(runs.filter(is_status).label(f"runs_{status.value}"))
        per_status.append(cost.filter(is_status).label(f"cost_{status.value}"))
    return select(
        by_status.c.workflow_id,
        runs.label("attempts"),
        runs.filter(by_status.c.status == ACCEPTED).label("accepted"),
        literal_column("0").label("pending"),
        runs.filter(by_status.c.status != RUNNING).label("finished"),
        cost.label("run_cost"),
        *per_status,
    ).group_by(by_status.c.workflow_id)


def timestamp(value: Any) -> Any:
    """A timestamptz value as a SQL literal; a bind parameter as it is."""
    return value if isinstance(value, ClauseElement) else literal(value, DateTime(timezone=True))


def hold_bounds(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    now: datetime,
    name: str = "hold_bounds",
) -> CTE:
    """Per workflow, `since` = now − its acceptance hold: an ACCEPTED run with `status_at >
    since` is still held. Computed in a MATERIALIZED CTE, outside the runs subquery, so it is a
    plain value there and an index bound of `ix_runs_accepted_status_at` under row-level
    security (only leakproof operators are pushed below its policy)."""
    hold = func.make_interval(0, 0, 0, 0, WORKFLOWS.c.acceptance_hold_hours)
    return (
        select(
            WORKFLOWS.c.tenant_id,
            WORKFLOWS.c.workflow_id,
            (timestamp(now) - hold).label("since"),
        )
        .where(WORKFLOWS.c.tenant_id == tenant_id, WORKFLOWS.c.workflow_id.in_(workflow_ids))
        .cte(name)
        .prefix_with("MATERIALIZED")
    )


def _held_correction(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    days: TimeRange,
    scope: CostScope,
    now: datetime,
) -> Any:
    """The ACCEPTED runs started in `days` still inside their workflow's hold: moved from
    accepted (and finished) to pending.

    A count per workflow, correlated on the workflow's own hold, so each is one range of the
    partial index of ACCEPTED runs (`ix_runs_accepted_status_at`: workflow, status time):
    `status_at + hold > now` written as `status_at > now - hold`."""
    bounds = hold_bounds(tenant_id=tenant_id, workflow_ids=workflow_ids, now=now)
    held_runs = (
        select(func.count())
        .select_from(RUNS)
        .where(
            RUNS.c.tenant_id == bounds.c.tenant_id,
            RUNS.c.workflow_id == bounds.c.workflow_id,
            RUNS.c.status == ACCEPTED,
            RUNS.c.status_at > bounds.c.since,
            # [start, end) as a range: the same runs as `in_range`, but not a bound of
            # ix_runs_workflow_started, which would read all of the workflow's runs of the days.
            func.tstzrange(days.start, days.end).op("@>", is_comparison=True)(RUNS.c.started_at),
            *run_filters(scope),
        )
        .correlate(bounds)
        .scalar_subquery()
    )
    per_workflow = (
        select(bounds.c.workflow_id, held_runs.label("held"))
        # MATERIALIZED: each count runs once, not once per column that reads it.
        .cte("held")
        .prefix_with("MATERIALIZED")
    )
    held = per_workflow.c.held
    zero: Any = literal_column("0")
    return select(
        per_workflow.c.workflow_id,
        zero.label("attempts"),
        (-held).label("accepted"),
        held.label("pending"),
        (-held).label("finished"),
        zero.label("run_cost"),
        *[zero.label(f"{kind}_{s.value}") for s in FAILURE_STATUSES for kind in ("runs", "cost")],
    ).where(held > 0)


def _negated(per_run: Any) -> Any:
    """`_per_run`'s columns with every count and sum negated (pieces taken back out)."""
    taken = per_run.subquery("taken_back")
    return select(
        taken.c.workflow_id,
        *[(-column).label(column.key) for column in taken.c if column.key != "workflow_id"],
    )


def _per_run_with_rollup(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    cover: DayCover,
    scope: CostScope,
    now: datetime,
    day_bounds: tuple[Any, Any] | None = None,
) -> Any:
    """`_per_run` of the whole range: the rollup's whole days and their held correction, plus
    the partial pieces read live, minus the pieces of whole days outside the range read live
    (`cover_with_days`), summed per workflow."""
    days = cover.days
    parts = [
        _rollup_days(
            tenant_id=tenant_id,
            workflow_ids=workflow_ids,
            days=days,
            scope=scope,
            day_bounds=day_bounds,
        ),
        _held_correction(
            tenant_id=tenant_id, workflow_ids=workflow_ids, days=days, scope=scope, now=now
        ),
    ]
    for pieces, within, sign in ((cover.plus, time_range, 1), (cover.minus, days, -1)):
        if not pieces:
            continue
        live = _per_run(
            cohort_runs(
                tenant_id=tenant_id,
                workflow_ids=workflow_ids,
                time_range=within,
                scope=scope,
                now=now,
                started_in=pieces,
                name="cohort" if sign == 1 else "taken_back_runs",
            )
        )
        parts.append(live if sign == 1 else _negated(live))
    parts_all = union_all(*parts).subquery("parts")
    return (
        select(
            parts_all.c.workflow_id,
            *[
                func.coalesce(func.sum(column), 0).label(column.key)
                for column in parts_all.c
                if column.key != "workflow_id"
            ],
        )
        .group_by(parts_all.c.workflow_id)
        .subquery("per_run")
    )


@dataclass(frozen=True)
class Span:
    """A range whose bounds are bind parameters: what the cached rollup statement is built on."""

    start: Any
    end: Any


RollupShape = tuple[int, int, bool]
_ROLLUP_STATEMENTS: dict[RollupShape, Any] = {}
"""The rollup path's statement per shape: (pieces added live, pieces taken back, client scope).
Building it costs ~7 ms of CPU (a dashboard needs two); executing a built one only binds values."""


def _rollup_statement(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    cover: DayCover,
    scope: CostScope,
    now: datetime,
) -> tuple[Any, dict[str, Any]]:
    """The statement of `_per_run_with_rollup` and the workflow-level costs for this call's
    shape, built once with bind parameters, and this call's values for them."""
    shape = (len(cover.plus), len(cover.minus), scope.client_id is not None)
    statement = _ROLLUP_STATEMENTS.get(shape)
    if statement is None:
        statement = _ROLLUP_STATEMENTS[shape] = _build_rollup_statement(shape)
    params: dict[str, Any] = {
        "c_tenant": tenant_id,
        "c_workflows": list(workflow_ids),
        "c_now": now,
        "c_from": time_range.start,
        "c_to": time_range.end,
        "c_days_from": cover.days.start,
        "c_days_to": cover.days.end,
        "c_day_first": cover.days.start.date(),
        "c_day_end": cover.days.end.date(),
    }
    for kind, pieces in (("plus", cover.plus), ("minus", cover.minus)):
        for i, piece in enumerate(pieces):
            params[f"c_{kind}{i}_from"] = piece.start
            params[f"c_{kind}{i}_to"] = piece.end
    if scope.client_id is not None:
        params["c_client"] = scope.client_id
    return statement, params


def _build_rollup_statement(shape: RollupShape) -> Any:
    plus, minus, client = shape

    def span(name: str) -> Any:
        return Span(
            bindparam(f"{name}_from", type_=DateTime(timezone=True)),
            bindparam(f"{name}_to", type_=DateTime(timezone=True)),
        )

    tenant: Any = bindparam("c_tenant", type_=Uuid())
    now: Any = bindparam("c_now", type_=DateTime(timezone=True))
    workflows: Any = bindparam("c_workflows", type_=Uuid(), expanding=True)
    client_id: Any = bindparam("c_client", type_=Uuid())
    scope = CostScope(client_id=client_id) if client else CostScope()
    cover = DayCover(
        span("c_days"),
        [span(f"c_plus{i}") for i in range(plus)],
        [span(f"c_minus{i}") for i in range(minus)],
    )
    per_run = _per_run_with_rollup(
        tenant_id=tenant,
        workflow_ids=workflows,
        time_range=span("c"),
        cover=cover,
        scope=scope,
        now=now,
        day_bounds=(bindparam("c_day_first", type_=Date()), bindparam("c_day_end", type_=Date())),
    )
    workflow_level = _workflow_level_costs(
        tenant_id=tenant, workflow_ids=workflows, time_range=span("c"), scope=scope
    )
    return _final_statement(per_run, workflow_level)


async def cohort_figures(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    scope: CostScope,
    now: datetime,
    basis: CostBasis = CostBasis.RACK_RATE,
    use_rollup: bool = True,
) -> dict[uuid.UUID, CohortFigures]:
    """Cohort totals of each workflow in `workflow_ids` (zeros for an empty cohort), one query.

    `use_rollup=False` forces the all-live statement (the reference the tests compare with).
    """
    factors = factors_for(basis, tenant_id)
    cover = cover_with_days(time_range)
    if cover is not None and factors is None and scope.client_only and use_rollup:
        statement, params = _rollup_statement(
            tenant_id=tenant_id,
            workflow_ids=workflow_ids,
            time_range=time_range,
            cover=cover,
            scope=scope,
            now=now,
        )
        result = await session.execute(statement, params)
        return _figures(result, workflow_ids)
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
    statement = _totals_statement(cohort, workflow_level)
    return _figures(await session.execute(statement), workflow_ids)


def _figures(result: Any, workflow_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, CohortFigures]:
    found = {wid: CohortFigures() for wid in workflow_ids}
    for row in result.mappings():
        found[row["workflow_id"]] = CohortFigures(
            attempts=int(row["attempts"] or 0),
            accepted=int(row["accepted"] or 0),
            pending=int(row["pending"] or 0),
            finished=int(row["finished"] or 0),
            run_cost=Decimal(row["run_cost"]) if row["run_cost"] is not None else ZERO,
            workflow_level_cost=row["workflow_level_cost"],
            by_status={
                s: (int(row[f"runs_{s.value}"] or 0), Decimal(row[f"cost_{s.value}"] or ZERO))
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
