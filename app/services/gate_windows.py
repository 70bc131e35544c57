"""A gate's window in SQL: the cohort totals and the 24-hour buckets, for many workflows at once.

The window of a gate evaluated at `now` is [now − windowDays, now). Its totals are exactly those
of `Workflow.costPerOutcome` over that range: they come from `cohorts.cohort_figures` itself.
The buckets (day 0 starting at the window's start) reuse the same cohort — `cohorts.cohort_runs`,
so the same runs, per-run costs and acceptance-hold rule — grouped by the day each run started,
plus the workflow-level costs (usage with no stored run) grouped by the day they occurred,
filtered by the same `scope` predicates. Days partition the window, so the buckets add up to the
totals; `tests/integration/test_gates_services.py` holds them to it.

Two statements per (window, set of workflows), whatever the number of workflows.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer, and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.enums import RunStatus
from app.domain.gate_cost import DayTotals
from app.domain.readiness import WindowFigures
from app.services.cohorts import cohort_figures, cohort_runs
from app.services.scope import (
    RUNS,
    USAGE,
    CostScope,
    TimeRange,
    workflow_level_filters_for,
    workflow_level_source,
)

SECONDS_PER_DAY = 86_400
WHOLE_COHORT = CostScope()


def gate_window(now: datetime, window_days: int) -> TimeRange:
    """[now − window_days, now)."""
    return TimeRange(now - timedelta(days=window_days), now)


def _day_of(column: Any, start: datetime) -> Any:
    """0-based index of the 24-hour bucket of `column`, counted from `start`."""
    elapsed = func.extract("epoch", column - literal(start, DateTime(timezone=True)))
    return func.floor(elapsed / SECONDS_PER_DAY).cast(Integer)


def _daily_statement(
    *, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], window: TimeRange, now: datetime
) -> Any:
    cohort = cohort_runs(
        tenant_id=tenant_id,
        workflow_ids=workflow_ids,
        time_range=window,
        scope=WHOLE_COHORT,
        now=now,
    )
    started = RUNS.alias("started_run")
    run_day = _day_of(started.c.started_at, window.start)
    accepted = and_(cohort.c.status == RunStatus.ACCEPTED.value, ~cohort.c.pending)
    runs_by_day = (
        select(
            cohort.c.workflow_id,
            run_day.label("day"),
            func.count().label("attempts"),
            func.count().filter(accepted).label("accepted"),
            func.sum(cohort.c.cost).label("cost"),
        )
        .select_from(
            cohort.join(
                started,
                and_(
                    started.c.tenant_id == tenant_id,
                    started.c.correlation_id == cohort.c.correlation_id,
                    # Redundant with the cohort's own filters (its runs started in the window,
                    # of these workflows), but it lets the planner read only the window's runs
                    # (ix_runs_workflow_started) instead of hashing every run of the tenant.
                    started.c.workflow_id.in_(list(workflow_ids)),
                    started.c.started_at >= window.start,
                    started.c.started_at < window.end,
                ),
            )
        )
        .group_by(cohort.c.workflow_id, run_day)
    )
    # Workflow-level costs: the workflow's usage in the window whose correlation id is NULL or
    # names no stored run (the anti-join of `cohorts`), by the day it occurred.
    usage_day = _day_of(USAGE.c.occurred_at, window.start)
    workflow_level_by_day = (
        select(
            USAGE.c.workflow_id,
            usage_day.label("day"),
            literal(0).label("attempts"),
            literal(0).label("accepted"),
            func.sum(USAGE.c.cost).label("cost"),
        )
        .select_from(workflow_level_source())
        .where(
            *workflow_level_filters_for(
                tenant_id=tenant_id,
                workflow_ids=workflow_ids,
                time_range=window,
                scope=WHOLE_COHORT,
            )
        )
        .group_by(USAGE.c.workflow_id, usage_day)
    )
    return union_all(runs_by_day, workflow_level_by_day)


async def daily_totals(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    window: TimeRange,
    now: datetime,
) -> dict[uuid.UUID, tuple[DayTotals, ...]]:
    """Each workflow's buckets with data, in day order (days without runs or cost omitted)."""
    statement = _daily_statement(
        tenant_id=tenant_id, workflow_ids=workflow_ids, window=window, now=now
    )
    merged: dict[uuid.UUID, dict[int, list[Any]]] = defaultdict(dict)
    for workflow_id, day, attempts, accepted, cost in await session.execute(statement):
        bucket = merged[workflow_id].setdefault(day, [0, 0, Decimal(0)])
        bucket[0] += attempts
        bucket[1] += accepted
        bucket[2] += cost if cost is not None else Decimal(0)
    return {
        wid: tuple(
            DayTotals(day=day, attempts=a, accepted=acc, cost=cost)
            for day, (a, acc, cost) in sorted(merged[wid].items())
        )
        for wid in workflow_ids
    }


async def window_figures(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    window_days: int,
    now: datetime,
) -> dict[uuid.UUID, WindowFigures]:
    """Totals (the cohort SQL of `Workflow.costPerOutcome`) and buckets of each workflow."""
    window = gate_window(now, window_days)
    totals = await cohort_figures(
        session=session,
        tenant_id=tenant_id,
        workflow_ids=workflow_ids,
        time_range=window,
        scope=WHOLE_COHORT,
        now=now,
    )
    days = await daily_totals(
        session=session, tenant_id=tenant_id, workflow_ids=workflow_ids, window=window, now=now
    )
    return {
        wid: WindowFigures(
            accepted=totals[wid].accepted,
            finished=totals[wid].finished,
            total_cost=totals[wid].total_cost,
            days=days[wid],
        )
        for wid in workflow_ids
    }
