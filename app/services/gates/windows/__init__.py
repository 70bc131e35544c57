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

One statement per (window, set of workflows), whatever the number of workflows.

The package, by idea: `pieces` (what every statement is a union of), `live` (the all-live runs),
`rollup` (the rollup's runs and the held correction), `statements` (the statement and its cache),
`rows` (result rows as figures).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sessions import NO_JIT
from app.domain.gate_cost import DayTotals
from app.domain.readiness import WindowFigures
from app.services.costs.scope import TimeRange
from app.services.gates.windows.pieces import SECONDS_PER_DAY, WHOLE_COHORT
from app.services.gates.windows.rows import WindowDays, figures_of
from app.services.gates.windows.statements import daily_rollup_statement, daily_statement


def gate_window(now: datetime, window_days: int) -> TimeRange:
    """The `window_days` complete UTC days before the UTC day of `now`."""
    today = datetime.combine(now.astimezone(UTC).date(), time(), UTC)
    return TimeRange(today - timedelta(days=window_days), today)


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
        statement, params = daily_rollup_statement(
            tenant_id=tenant_id, workflow_ids=workflow_ids, window=window, now=now
        )
    else:
        statement = daily_statement(
            tenant_id=tenant_id,
            workflow_ids=workflow_ids,
            window=window,
            now=now,
            use_rollup=use_rollup,
        )
    found: dict[uuid.UUID, WindowDays] = {}
    await session.execute(NO_JIT)  # a few ms of reading, estimated above the JIT thresholds
    rows = await session.execute(statement, params)
    for workflow_id, days, attempts, accepted, costs, finished in rows:
        # positional: DayTotals(day, attempts, accepted, cost)
        found[workflow_id] = WindowDays(
            tuple(map(DayTotals, days, attempts, accepted, costs)), finished
        )
    return {wid: found.get(wid, WindowDays((), 0)) for wid in workflow_ids}


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


__all__ = [
    "SECONDS_PER_DAY",
    "WHOLE_COHORT",
    "WindowDays",
    "daily_totals",
    "figures_of",
    "gate_window",
    "window_figures",
]
