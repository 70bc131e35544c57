"""The window's runs read from the daily rollup `cohort_days` (migration 0009), and the ACCEPTED
runs still inside their hold taken back live (`app.services.costs.rules`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ClauseElement,
    Date,
    Integer,
    func,
    literal,
    select,
    true,
)

from app.domain.enums import RunStatus
from app.services.costs.cohorts import hold_bounds
from app.services.costs.rules import held_after
from app.services.costs.scope import (
    COHORT_DAYS,
    RUNS,
    TimeRange,
)
from app.services.gates.windows.pieces import (
    day_of,
    piece,
)


def rollup_runs_by_day(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    window: TimeRange,
    day_bounds: tuple[Any, Any] | None = None,
) -> Any:
    """The runs of each whole UTC day from `cohort_days` (all-clients rows), every ACCEPTED run
    counted as accepted (`held_by_day` takes the held ones back)."""
    first, end = day_bounds or (window.start.date(), window.end.date())
    day = (
        COHORT_DAYS.c.day - (first if isinstance(first, ClauseElement) else literal(first, Date))
    ).cast(Integer)
    runs = func.sum(COHORT_DAYS.c.runs)
    return (
        select(
            *piece(
                COHORT_DAYS.c.workflow_id,
                day,
                attempts=runs,
                accepted=func.coalesce(
                    runs.filter(COHORT_DAYS.c.status == RunStatus.ACCEPTED.value), 0
                ),
                cost=func.sum(COHORT_DAYS.c.cost),
                finished=func.coalesce(
                    runs.filter(COHORT_DAYS.c.status != RunStatus.RUNNING.value), 0
                ),
            )
        )
        .where(
            COHORT_DAYS.c.tenant_id == tenant_id,
            COHORT_DAYS.c.workflow_id.in_(workflow_ids),
            COHORT_DAYS.c.day >= first,
            COHORT_DAYS.c.day < end,
            COHORT_DAYS.c.all_clients.is_(True),
        )
        .group_by(COHORT_DAYS.c.workflow_id, COHORT_DAYS.c.day)
    )


def held_by_day(
    *, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], window: TimeRange, now: datetime
) -> Any:
    """Per start day, minus the ACCEPTED runs still inside their workflow's hold (pending, not
    outcomes): the same rule as `cohorts.rollup.held_correction`, grouped by day.

    `status_at + hold > now` is written `status_at > now − hold`, with `now − hold` computed
    per workflow outside the runs: a plain bound of the partial index of ACCEPTED runs
    (`ix_runs_accepted_status_at`) under row-level security. The runs are counted in a LATERAL
    subquery per workflow (grouped, so the planner cannot flatten it into a join): each
    workflow's held runs are then one range of that index. As a plain join, the planner cannot
    tell how few runs `status_at > since` keeps (it guesses a third) and reads every ACCEPTED
    run of the window instead (~140k rows, 200+ ms on the 1M-run tenant, docs/changelog.md)."""
    bounds = hold_bounds(
        tenant_id=tenant_id, workflow_ids=workflow_ids, now=now, name="gate_hold_bounds"
    )
    run_day = day_of(RUNS.c.started_at, window.start)
    held = (
        select(run_day.label("day"), func.count().label("runs"))
        .where(
            RUNS.c.tenant_id == tenant_id,  # the tenant named: one shard group on Citus
            RUNS.c.workflow_id == bounds.c.workflow_id,
            held_after(bounds.c.since),
            # a range, not a bound of ix_runs_workflow_started (`cohorts.rollup.held_correction`)
            func.tstzrange(window.start, window.end).op("@>", is_comparison=True)(
                RUNS.c.started_at
            ),
        )
        .group_by(run_day)
        .correlate(bounds)
        .lateral("held_runs")
    )
    return select(
        *piece(
            bounds.c.workflow_id,
            held.c.day,
            attempts=literal(0),
            accepted=-held.c.runs,
            cost=literal(0),
            finished=-held.c.runs,  # held: pending, so not finished either
        )
    ).select_from(bounds.join(held, true()))
