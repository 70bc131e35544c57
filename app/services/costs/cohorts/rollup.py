"""The cohort rule read from the daily rollup `cohort_days` (migration 0009): the whole UTC
days from the rollup, the held ACCEPTED runs of those days taken back live, and the partial
days at the ends read live (`cover_with_days`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CTE,
    func,
    literal_column,
    select,
    union_all,
)

from app.domain.enums import FAILURE_STATUSES
from app.services.costs.cohorts.live import (
    CohortQuestion,
    cohort_runs,
    per_run_totals,
)
from app.services.costs.rules import ACCEPTED, RUNNING, held_after, hold_interval, hold_since
from app.services.costs.scope import (
    COHORT_DAYS,
    RUNS,
    DayCover,
    run_filters,
)
from app.services.tenancy.catalog import WORKFLOWS


def rollup_days(days: CohortQuestion, *, day_bounds: tuple[Any, Any] | None = None) -> Any:
    """`per_run_totals`'s columns for the runs started in `days`' range (whole UTC days), from the
    rollup,
    counting every ACCEPTED run as accepted (`held_correction` takes the held ones back).
    `day_bounds`: the first and end dates of `days` when they are not values (a cached
    statement's parameters).

    Summed per (workflow, status) first, then pivoted: two sums per bucket row, not eleven."""
    tenant_id, workflow_ids, scope = days.tenant_id, days.workflow_ids, days.scope
    first, end = day_bounds or (days.time_range.start.date(), days.time_range.end.date())
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
    hold = hold_interval(WORKFLOWS.c.acceptance_hold_hours)
    return (
        select(
            WORKFLOWS.c.tenant_id,
            WORKFLOWS.c.workflow_id,
            hold_since(hold, now).label("since"),
        )
        .where(WORKFLOWS.c.tenant_id == tenant_id, WORKFLOWS.c.workflow_id.in_(workflow_ids))
        .cte(name)
        .prefix_with("MATERIALIZED")
    )


def held_correction(days: CohortQuestion) -> Any:
    """The ACCEPTED runs started in `days`' range (whole UTC days) still inside their workflow's
    hold at its `now`: moved from accepted (and finished) to pending.

    A count per workflow, correlated on the workflow's own hold, so each is one range of the
    partial index of ACCEPTED runs (`ix_runs_accepted_status_at`: workflow, status time):
    `status_at + hold > now` written as `status_at > now - hold`."""
    tenant_id = days.tenant_id
    bounds = hold_bounds(tenant_id=tenant_id, workflow_ids=days.workflow_ids, now=days.now)
    held_runs = (
        select(func.count())
        .select_from(RUNS)
        .where(
            RUNS.c.tenant_id == tenant_id,  # the tenant named: one shard group on Citus
            RUNS.c.workflow_id == bounds.c.workflow_id,
            held_after(bounds.c.since),
            # [start, end) as a range: the same runs as `in_range`, but not a bound of
            # ix_runs_workflow_started, which would read all of the workflow's runs of the days.
            func.tstzrange(days.time_range.start, days.time_range.end).op("@>", is_comparison=True)(
                RUNS.c.started_at
            ),
            *run_filters(days.scope, client_bound=False),
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


def negated(per_run: Any) -> Any:
    """`per_run_totals`'s columns with every count and sum negated (pieces taken back out)."""
    taken = per_run.subquery("taken_back")
    return select(
        taken.c.workflow_id,
        *[(-column).label(column.key) for column in taken.c if column.key != "workflow_id"],
    )


def per_run_with_rollup(
    question: CohortQuestion, cover: DayCover, *, day_bounds: tuple[Any, Any] | None = None
) -> Any:
    """`per_run_totals` of the whole range: the rollup's whole days and their held correction, plus
    the partial pieces read live, minus the pieces of whole days outside the range read live
    (`cover_with_days`), summed per workflow."""
    days = replace(question, time_range=cover.days)
    parts = [rollup_days(days, day_bounds=day_bounds), held_correction(days)]
    for pieces, within, sign in ((cover.plus, question, 1), (cover.minus, days, -1)):
        if not pieces:
            continue
        live = per_run_totals(
            cohort_runs(
                within,
                started_in=pieces,
                name="cohort" if sign == 1 else "taken_back_runs",
            )
        )
        parts.append(live if sign == 1 else negated(live))
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
