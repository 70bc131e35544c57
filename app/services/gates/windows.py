"""A gate's window in SQL: the cohort totals and the daily buckets, for many workflows at once.

The window of a gate evaluated at `now` is the `windowDays` complete UTC days before the UTC day
of `now`: [midnight_today − windowDays days, midnight_today). Today is left out: a partial day
would weigh as much as a whole one in the day bootstrap and in the drift series, and the figures
of a window of whole days do not move with the clock within a day (only new data — late usage of
the window's runs, an acceptance hold running out — changes them). `now` still decides which
ACCEPTED runs are held (pending). Its totals are exactly those of `Workflow.costPerOutcome` over
that range (`cohorts.cohort_figures`): they are the sums of its days, which count runs, costs and
held runs by the same rule.

The buckets are the window's UTC days (day 0 first). By default (`use_rollup=True`) a day's runs
and their cost are read from the daily rollup `cohort_days` (migration 0009: per workflow, UTC
start day and status, all-clients rows), the ACCEPTED runs still inside their hold are taken back
from `accepted` live (from the runs, by status time), and the workflow-level costs (usage with no
stored run) are grouped by the UTC day they occurred, live. `use_rollup=False` is the all-live
reference: `cohorts.cohort_runs` (same runs, per-run costs and acceptance-hold rule) grouped by
the day each run started. Both give the same buckets (`tests/integration/test_gates_services.py`
compares them, and the totals with `cohort_figures`); days partition the window, so the buckets
add up to the totals.

One statement per (window, set of workflows), whatever the number of workflows (until round 4
of the reads in docs/benchmarks.md, the totals were a second statement: `cohort_figures`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ClauseElement,
    Date,
    DateTime,
    Integer,
    Uuid,
    and_,
    bindparam,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.enums import RunStatus
from app.domain.gate_cost import DayTotals
from app.domain.readiness import WindowFigures
from app.services.costs.cohorts import ZERO, cohort_runs, hold_bounds, timestamp
from app.services.costs.cohorts import Span as _Span
from app.services.costs.scope import (
    COHORT_DAYS,
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
    """The `window_days` complete UTC days before the UTC day of `now`."""
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return TimeRange(today - timedelta(days=window_days), today)


def _day_of(column: Any, start: datetime) -> Any:
    """0-based index of the 24-hour bucket of `column`, counted from `start` (a UTC midnight:
    the bucket is the UTC day)."""
    elapsed = func.extract("epoch", column - timestamp(start))
    return func.floor(elapsed / SECONDS_PER_DAY).cast(Integer)


def _piece(
    workflow_id: Any, day: Any, *, attempts: Any, accepted: Any, cost: Any, finished: Any
) -> list[Any]:
    """The columns of one piece of the window's union, in the order every piece shares (a union
    matches its parts' columns by position)."""
    return [
        workflow_id,
        day.label("day"),
        attempts.label("attempts"),
        accepted.label("accepted"),
        cost.label("cost"),
        finished.label("finished"),
    ]


def _live_runs_by_day(
    *, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], window: TimeRange, now: datetime
) -> Any:
    """The all-live buckets of the cohort's runs: `cohort_runs` grouped by start day."""
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
            *_piece(
                cohort.c.workflow_id,
                run_day,
                attempts=func.count(),
                accepted=func.count().filter(accepted),
                cost=func.sum(cohort.c.cost),
                finished=func.count().filter(
                    and_(cohort.c.status != RunStatus.RUNNING.value, ~cohort.c.pending)
                ),
            )
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
    return runs_by_day


def _rollup_runs_by_day(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    window: TimeRange,
    day_bounds: tuple[Any, Any] | None = None,
) -> Any:
    """The runs of each whole UTC day from `cohort_days` (all-clients rows), every ACCEPTED run
    counted as accepted (`_held_by_day` takes the held ones back)."""
    first, end = day_bounds or (window.start.date(), window.end.date())
    day = (
        COHORT_DAYS.c.day - (first if isinstance(first, ClauseElement) else literal(first, Date))
    ).cast(Integer)
    runs = func.sum(COHORT_DAYS.c.runs)
    return (
        select(
            *_piece(
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


def _held_by_day(
    *, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], window: TimeRange, now: datetime
) -> Any:
    """Per start day, minus the ACCEPTED runs still inside their workflow's hold (pending, not
    outcomes): the same rule as `cohorts._held_correction`, grouped by day.

    `status_at + hold > now` is written `status_at > now − hold`, with `now − hold` computed
    per workflow outside the runs: a plain bound of the partial index of ACCEPTED runs
    (`ix_runs_accepted_status_at`) under row-level security."""
    bounds = hold_bounds(
        tenant_id=tenant_id, workflow_ids=workflow_ids, now=now, name="gate_hold_bounds"
    )
    run_day = _day_of(RUNS.c.started_at, window.start)
    return (
        select(
            *_piece(
                RUNS.c.workflow_id,
                run_day,
                attempts=literal(0),
                accepted=-func.count(),
                cost=literal(0),
                finished=-func.count(),  # held: pending, so not finished either
            )
        )
        .select_from(
            bounds.join(
                RUNS,
                and_(
                    RUNS.c.tenant_id == bounds.c.tenant_id,
                    RUNS.c.workflow_id == bounds.c.workflow_id,
                    RUNS.c.status == RunStatus.ACCEPTED.value,
                    RUNS.c.status_at > bounds.c.since,
                ),
            )
        )
        .where(
            # a range, not a bound of ix_runs_workflow_started (see `cohorts._held_correction`)
            func.tstzrange(window.start, window.end).op("@>", is_comparison=True)(RUNS.c.started_at)
        )
        .group_by(RUNS.c.workflow_id, run_day)
    )


def _daily_statement(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    window: TimeRange,
    now: datetime,
    use_rollup: bool = True,
) -> Any:
    runs_parts: list[Any]
    if use_rollup:
        runs_parts = [
            _rollup_runs_by_day(tenant_id=tenant_id, workflow_ids=workflow_ids, window=window),
            _held_by_day(tenant_id=tenant_id, workflow_ids=workflow_ids, window=window, now=now),
        ]
    else:
        runs_parts = [
            _live_runs_by_day(
                tenant_id=tenant_id, workflow_ids=workflow_ids, window=window, now=now
            )
        ]
    workflow_level_by_day = _workflow_level_by_day(
        tenant_id=tenant_id, workflow_ids=workflow_ids, window=window
    )
    return _days_per_workflow(union_all(*runs_parts, workflow_level_by_day))


def _days_per_workflow(pieces: Any) -> Any:
    """The pieces (rollup days, held runs taken back, workflow-level costs) summed per
    (workflow, day), then one row per workflow: its days, attempts, accepted and costs as
    arrays in day order. A 30-day window of 20 workflows comes back as 20 rows instead of ~1,200
    pieces merged in Python (~7 ms of CPU per dashboard, docs/benchmarks.md)."""
    piece = pieces.subquery("piece")
    per_day = (
        select(
            piece.c.workflow_id,
            piece.c.day,
            # the rollup's sums of bigint are NUMERIC; these are whole numbers
            func.sum(piece.c.attempts).cast(BigInteger).label("attempts"),
            func.sum(piece.c.accepted).cast(BigInteger).label("accepted"),
            func.coalesce(func.sum(piece.c.cost), 0).label("cost"),
            func.sum(piece.c.finished).cast(BigInteger).label("finished"),
        )
        .group_by(piece.c.workflow_id, piece.c.day)
        .subquery("per_day")
    )
    in_day_order = [
        func.array_agg(aggregate_order_by(column, per_day.c.day))
        for column in (per_day.c.day, per_day.c.attempts, per_day.c.accepted, per_day.c.cost)
    ]
    return select(
        per_day.c.workflow_id,
        *in_day_order,
        func.sum(per_day.c.finished).cast(BigInteger).label("finished"),
    ).group_by(per_day.c.workflow_id)


def _workflow_level_by_day(
    *, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], window: TimeRange
) -> Any:
    """Workflow-level costs: the workflow's usage in the window whose correlation id is NULL or
    names no stored run (the anti-join of `cohorts`), by the day it occurred."""
    usage_day = _day_of(USAGE.c.occurred_at, window.start)
    return (
        select(
            *_piece(
                USAGE.c.workflow_id,
                usage_day,
                attempts=literal(0),
                accepted=literal(0),
                cost=func.sum(USAGE.c.cost),
                finished=literal(0),
            )
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


_DAILY_ROLLUP: list[Any] = []
"""The rollup path's daily statement, built once with bind parameters (~3 ms of CPU to build)."""


def _daily_rollup_statement(
    *, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], window: TimeRange, now: datetime
) -> tuple[Any, dict[str, Any]]:
    """`_daily_statement(use_rollup=True)` for any values: built once, and this call's values."""
    if not _DAILY_ROLLUP:
        stamp = DateTime(timezone=True)
        span: Any = _Span(bindparam("g_from", type_=stamp), bindparam("g_to", type_=stamp))
        tenant: Any = bindparam("g_tenant", type_=Uuid())
        workflows: Any = bindparam("g_workflows", type_=Uuid(), expanding=True)
        at: Any = bindparam("g_now", type_=stamp)
        days = (bindparam("g_first", type_=Date()), bindparam("g_end", type_=Date()))
        _DAILY_ROLLUP.append(
            _days_per_workflow(
                union_all(
                    _rollup_runs_by_day(
                        tenant_id=tenant, workflow_ids=workflows, window=span, day_bounds=days
                    ),
                    _held_by_day(tenant_id=tenant, workflow_ids=workflows, window=span, now=at),
                    _workflow_level_by_day(tenant_id=tenant, workflow_ids=workflows, window=span),
                )
            )
        )
    params = {
        "g_tenant": tenant_id,
        "g_workflows": list(workflow_ids),
        "g_from": window.start,
        "g_to": window.end,
        "g_first": window.start.date(),
        "g_end": window.end.date(),
        "g_now": now,
    }
    return _DAILY_ROLLUP[0], params


class WindowDays(NamedTuple):
    """A workflow's buckets with data, in day order (days without runs or cost omitted), and
    the runs of the window that finished (neither RUNNING nor held)."""

    days: tuple[DayTotals, ...]
    finished: int


async def daily_totals(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    window: TimeRange,
    now: datetime,
    use_rollup: bool = True,
) -> dict[uuid.UUID, WindowDays]:
    """Each workflow's days of `window` (one statement for all of them)."""
    params: dict[str, Any] = {}
    if use_rollup:
        statement, params = _daily_rollup_statement(
            tenant_id=tenant_id, workflow_ids=workflow_ids, window=window, now=now
        )
    else:
        statement = _daily_statement(
            tenant_id=tenant_id,
            workflow_ids=workflow_ids,
            window=window,
            now=now,
            use_rollup=use_rollup,
        )
    found: dict[uuid.UUID, WindowDays] = {}
    rows = await session.execute(statement, params)
    for workflow_id, days, attempts, accepted, costs, finished in rows:
        # positional: DayTotals(day, attempts, accepted, cost)
        found[workflow_id] = WindowDays(
            tuple(map(DayTotals, days, attempts, accepted, costs)), finished
        )
    return {wid: found.get(wid, WindowDays((), 0)) for wid in workflow_ids}


def figures_of(window: WindowDays) -> WindowFigures:
    """The window's totals are the sums of its days: the days partition the window, and each
    day counts its runs and costs by the cohort rule of `cohorts.cohort_figures`
    (tests/integration/test_gates_services.py checks the totals against it)."""
    days = window.days
    return WindowFigures(
        accepted=sum(day.accepted for day in days),
        finished=window.finished,
        total_cost=sum((day.cost for day in days), ZERO),
        days=days,
    )


async def window_figures(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    window_days: int,
    now: datetime,
    use_rollup: bool = True,
) -> dict[uuid.UUID, WindowFigures]:
    """Totals (those of `Workflow.costPerOutcome` over the window) and buckets of each workflow.

    `use_rollup=False` reads everything live (the reference the tests compare with)."""
    found = await daily_totals(
        session=session,
        tenant_id=tenant_id,
        workflow_ids=workflow_ids,
        window=gate_window(now, window_days),
        now=now,
        use_rollup=use_rollup,
    )
    return {wid: figures_of(found[wid]) for wid in workflow_ids}
