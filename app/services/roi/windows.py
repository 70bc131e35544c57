"""Computing and storing ROI windows for a batch of (workflow, cohort day) pairs, set-based.

One aggregate statement answers every window of the batch (GROUP BY workflow, cohort day,
client): runs, successes (counted ACCEPTED at `now`), the cohort-rule cost (usage of the
cohort's runs wherever it occurred, plus the workflow-level usage of that client booked that
day), attributed revenue (stored allocations) and the earliest end of a pending acceptance
hold. The domain (`app.domain.roi`) turns those sums and the baseline in force into window
totals; one `INSERT … SELECT FROM unnest … ON CONFLICT DO UPDATE` stores them all.

Storing is idempotent and never silent (`app.services.roi.rules.upsert_windows`):
- a window whose figures, status and recheck time are unchanged is not written at all (running
  a job twice leaves identical rows, `computed_at` included);
- a window already FINAL whose figures change gets `revision + 1`;
- a stored window that no longer has any runs or cost (its workflow-level usage turned out to
  belong to a run of another day) is kept with zero figures rather than deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from app.db.tables.roi import NO_CLIENT
from app.domain.roi import (
    Baseline,
    WindowStatus,
    WindowTotals,
    baseline_in_force,
    window_end,
    window_status,
    window_totals,
)
from app.services.costs.rules import counted_sql, hold_ends_sql, hold_sql
from app.services.ingest.arrays import columns, counted
from app.services.roi.dirty import Key
from app.services.roi.rules import DAY_END, DAY_START, NO_CLIENT_SQL, upsert_windows

# LATERAL joins drive one index range scan per batch pair (runs by workflow and start, usage by
# workflow and time, allocations and windows by workflow and day), whatever the statistics say
# (`OFFSET 0` keeps the planner from flattening a LATERAL into a join over the whole tenant's
# allocations or windows — what it did with stale statistics or a generic plan).
# A run's cost is its row of the `run_costs` rollup (migration 0007: the exact sum of its usage,
# kept on every write); workflow-level usage is the usage without a correlation id (the partial
# index ix_usage_workflow_level) plus the usage of the few ids naming no stored run (the
# `NOT has_run` rollup rows) — no per-usage-row run lookup.
# The runs of a batch key: every client's (ix_runs_workflow_started) or one client's
# (ix_runs_workflow_client_started, migration 0008); exactly one branch applies to a key.
_COHORT_RUNS = f"""
        SELECT COALESCE(r.client_id, {NO_CLIENT_SQL}) AS client_id,
               {counted_sql("r", "h.hold", "$4")} AS counted,
               {hold_ends_sql("r", "h.hold", "$4")} AS hold_ends,
               (SELECT c.cost FROM run_costs c
                 WHERE c.tenant_id = $1 AND c.correlation_id = r.correlation_id) AS cost
        FROM runs r
        JOIN workflows w ON w.tenant_id = $1 AND w.workflow_id = r.workflow_id
        CROSS JOIN LATERAL (SELECT {hold_sql("w")} AS hold) h
        WHERE r.tenant_id = $1 AND r.workflow_id = b.workflow_id AND {{which}}
          AND r.started_at >= {DAY_START} AND r.started_at < {DAY_END}
"""  # noqa: S608 (module constants only)

AGGREGATE = f"""
WITH batch AS (
    SELECT * FROM unnest($2::uuid[], $3::date[], $5::uuid[])
        AS b(workflow_id, cohort_day, client_id)
),
cohort AS MATERIALIZED (
    SELECT b.workflow_id, b.cohort_day, r.client_id, r.counted, r.hold_ends, r.cost
    FROM batch b
    CROSS JOIN LATERAL (
        {_COHORT_RUNS.format(which="b.client_id IS NULL")}
        UNION ALL
        {_COHORT_RUNS.format(which="r.client_id = b.client_id")}
    ) AS r
),
per_run AS (
    SELECT workflow_id, cohort_day, client_id, count(*) AS runs,
           count(*) FILTER (WHERE counted) AS successes,
           COALESCE(sum(cost), 0) AS cost, min(hold_ends) AS hold_ends
    FROM cohort GROUP BY 1, 2, 3
),
orphans AS MATERIALIZED (
    SELECT correlation_id FROM run_costs WHERE tenant_id = $1 AND NOT has_run
),
workflow_level AS (
    SELECT b.workflow_id, b.cohort_day, u.client_id, sum(u.cost) AS cost
    FROM batch b
    CROSS JOIN LATERAL (
        SELECT COALESCE(u.client_id, {NO_CLIENT_SQL}) AS client_id, u.cost FROM usage_events u
        WHERE u.tenant_id = $1 AND u.workflow_id = b.workflow_id AND u.correlation_id IS NULL
          AND u.occurred_at >= {DAY_START} AND u.occurred_at < {DAY_END}
        UNION ALL
        SELECT COALESCE(u.client_id, {NO_CLIENT_SQL}), u.cost FROM orphans o
        JOIN usage_events u ON u.tenant_id = $1 AND u.correlation_id = o.correlation_id
        WHERE u.workflow_id = b.workflow_id
          AND u.occurred_at >= {DAY_START} AND u.occurred_at < {DAY_END}
    ) AS u
    WHERE b.client_id IS NULL OR u.client_id = b.client_id
    GROUP BY 1, 2, 3
),
attributed AS (
    SELECT b.workflow_id, b.cohort_day, a.client_id, sum(a.amount) AS amount
    FROM batch b
    CROSS JOIN LATERAL (
        SELECT a.client_id, a.amount FROM revenue_allocations a
        WHERE a.tenant_id = $1 AND a.workflow_id = b.workflow_id AND a.cohort_day = b.cohort_day
          AND (b.client_id IS NULL OR a.client_id = b.client_id)
        OFFSET 0
    ) AS a
    GROUP BY 1, 2, 3
),
stored AS (
    SELECT b.workflow_id, b.cohort_day, w.client_id
    FROM batch b
    CROSS JOIN LATERAL (
        SELECT w.client_id FROM roi_windows w
        WHERE w.tenant_id = $1 AND w.workflow_id = b.workflow_id AND w.cohort_day = b.cohort_day
          AND (b.client_id IS NULL OR w.client_id = b.client_id)
        OFFSET 0
    ) AS w
),
keys AS (
    SELECT workflow_id, cohort_day, client_id FROM per_run
    UNION SELECT workflow_id, cohort_day, client_id FROM workflow_level
    UNION SELECT workflow_id, cohort_day, client_id FROM attributed
    UNION SELECT workflow_id, cohort_day, client_id FROM stored
)
SELECT k.workflow_id, k.cohort_day, k.client_id,
       COALESCE(p.runs, 0) AS runs, COALESCE(p.successes, 0) AS successes,
       COALESCE(p.cost, 0) + COALESCE(l.cost, 0) AS cost,
       COALESCE(a.amount, 0) AS attributed, p.hold_ends
FROM keys k
LEFT JOIN per_run p USING (workflow_id, cohort_day, client_id)
LEFT JOIN workflow_level l USING (workflow_id, cohort_day, client_id)
LEFT JOIN attributed a USING (workflow_id, cohort_day, client_id)
ORDER BY 1, 2, 3
"""  # noqa: S608 (module constants only)

BASELINES = """
SELECT workflow_id, client_id, revenue_per_success, human_cost_per_task
FROM roi_baselines WHERE tenant_id = $1 AND workflow_id = ANY($2::uuid[])
"""

UPSERT = upsert_windows("""
SELECT $1::uuid, u.workflow_id, u.cohort_day, u.client_id, u.status, u.runs, u.successes,
       u.cost, u.attributed_revenue, u.baseline_revenue, u.labor_cost, $14::timestamptz,
       u.recheck_at, u.claimants
FROM unnest(
    $2::uuid[], $3::date[], $4::uuid[], $5::text[], $6::int4[], $7::int4[], $8::numeric[],
    $9::numeric[], $10::numeric[], $11::numeric[], $12::timestamptz[], $13::text[]
) AS u(workflow_id, cohort_day, client_id, status, runs, successes, cost, attributed_revenue,
       baseline_revenue, labor_cost, recheck_at, claimants)""")


@dataclass(frozen=True)
class ComputedWindow:
    """One window as computed: key, status, totals, and when the clock alone changes it."""

    workflow_id: uuid.UUID
    cohort_day: date
    client_id: uuid.UUID | None
    status: WindowStatus
    totals: WindowTotals
    recheck_at: datetime | None
    claimants: str | None = None  # fingerprint to store; None keeps the stored one


async def load_baselines(
    conn: Any, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID | None], Baseline]:
    """Baselines of the workflows keyed by (workflow, client); client None is workflow-wide."""
    found: dict[tuple[uuid.UUID, uuid.UUID | None], Baseline] = {}
    for row in await conn.fetch(BASELINES, tenant_id, sorted(set(workflow_ids))):
        client = None if row["client_id"] == NO_CLIENT else row["client_id"]
        found[(row["workflow_id"], client)] = Baseline(
            row["revenue_per_success"], row["human_cost_per_task"]
        )
    return found


def _recheck_at(day: date, status: WindowStatus, hold_ends: datetime | None) -> datetime | None:
    instants = [t for t in (hold_ends,) if t is not None]
    if status is WindowStatus.OPEN:
        instants.append(window_end(day))
    return min(instants) if instants else None


async def compute_windows(
    conn: Any, tenant_id: uuid.UUID, keys: Sequence[Key], now: datetime
) -> list[ComputedWindow]:
    """The windows of the batch's keys, as of `now` (reads only): a (workflow, day, client)
    key is that client's window of the pair, a key with client None every window of the pair
    (runs without a client included). A pair appears either once with None or with clients."""
    if not keys:
        return []
    rows = await conn.fetch(
        AGGREGATE, tenant_id, [k[0] for k in keys], [k[1] for k in keys], now, [k[2] for k in keys]
    )
    baselines = await load_baselines(conn, tenant_id, [k[0] for k in keys])
    windows: list[ComputedWindow] = []
    for row in rows:
        client = None if row["client_id"] == NO_CLIENT else row["client_id"]
        baseline = baseline_in_force(
            baselines.get((row["workflow_id"], client)) if client is not None else None,
            baselines.get((row["workflow_id"], None)),
        )
        totals = window_totals(
            runs=row["runs"],
            successes=row["successes"],
            cost=row["cost"],
            attributed_revenue=row["attributed"],
            baseline=baseline,
        )
        status = window_status(row["cohort_day"], now)
        windows.append(
            ComputedWindow(
                workflow_id=row["workflow_id"],
                cohort_day=row["cohort_day"],
                client_id=client,
                status=status,
                totals=totals,
                recheck_at=_recheck_at(row["cohort_day"], status, row["hold_ends"]),
            )
        )
    return windows


async def store_windows(
    conn: Any, tenant_id: uuid.UUID, windows: Sequence[ComputedWindow], now: datetime
) -> int:
    """Upsert the windows; returns how many rows changed (see the module docstring)."""
    if not windows:
        return 0
    rows: list[tuple[Any, ...]] = [
        (
            w.workflow_id,
            w.cohort_day,
            w.client_id or NO_CLIENT,
            w.status.value,
            w.totals.runs,
            w.totals.successes,
            w.totals.cost,
            w.totals.attributed_revenue,
            w.totals.baseline_revenue,
            w.totals.labor_cost,
            w.recheck_at,
            w.claimants,
        )
        for w in windows
    ]
    return int(await conn.fetchval(counted(UPSERT), tenant_id, *columns(rows, 12), now))
