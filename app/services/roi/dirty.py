"""Dirty markers: which (workflow, cohort day) windows must be recomputed.

Every write that can change a ROI window inserts markers into `roi_dirty` in its own
transaction, as its last statement: a committed change is never lost, even when Redis is down.
The job enqueued after commit drains the markers at once; the cron drains whatever a lost job
left behind. Each `mark_*` function first finds the pairs with a plain SELECT, then inserts them
all with ONE `INSERT … SELECT FROM unnest … ON CONFLICT DO UPDATE` in (workflow, day) order —
so every writer locks markers in the same order (no deadlocks), after any lock it holds on runs.
They return every pair covered, for the caller to enqueue after commit.

What marks what:
- a run started, or relabelled: the run's own window (workflow, UTC start day); a new run also
  claims usage that arrived before it, so the windows where that usage was a workflow-level cost
  are marked too;
- usage: its run's window, or — with no stored run — the (usage workflow, UTC day it occurred)
  window where it is a workflow-level cost;
- revenue: the windows of every ACCEPTED run of the client whose 30-day window covers the event
  and that matches its links (a run still in its acceptance hold included: harmless) — of that
  client only: the marker's `clients` list (migration 0008) names it, and the drain recomputes
  just those windows of the pair; every other mark covers all the pair's clients (NULL);
- a baseline: every stored window of the workflow (of the client, for a client's baseline).

A job recomputing a window re-attributes every revenue event its runs claim or claimed, and
recomputes any other window whose share of those events changed (app.services.roi.recompute).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from app.db.tenant_sql import TenantSql

Pair = tuple[uuid.UUID, date]
"""(workflow id, cohort day)."""

# A marker already there gets a new `marked_at`: a job that read the old one deletes it only if
# it is unchanged (app.services.roi.recompute), so a change committed while the job ran is kept
# for the next recompute.
# `clients` (migration 0008): the clients whose windows of the pair changed, NULL for all of
# them; a key with a NULL client marks the whole pair, and merging two markers keeps NULL if
# either is NULL, else the union.
MARK = """
INSERT INTO roi_dirty AS d (tenant_id, workflow_id, cohort_day, marked_at, clients)
SELECT $1::uuid, p.workflow_id, p.cohort_day, clock_timestamp(),
       CASE WHEN bool_or(p.client_id IS NULL) THEN NULL
            ELSE array_agg(DISTINCT p.client_id ORDER BY p.client_id) END
FROM unnest($2::uuid[], $3::date[], $4::uuid[]) AS p(workflow_id, cohort_day, client_id)
GROUP BY p.workflow_id, p.cohort_day
ORDER BY 2, 3
ON CONFLICT (tenant_id, workflow_id, cohort_day) DO UPDATE SET
    marked_at = EXCLUDED.marked_at,
    clients = CASE WHEN d.clients IS NULL OR EXCLUDED.clients IS NULL THEN NULL
                   ELSE ARRAY(SELECT DISTINCT c FROM unnest(d.clients || EXCLUDED.clients) AS c
                              ORDER BY c) END
"""

# The tenant of the lookups by correlation id is `{tenant}` (app.db.tenant_sql): given the value
# of a tenant newer than the statistics, the planner read the tenant's whole range of another
# index of `runs` and of `usage_events` (tests/integration/test_ingest_plans.py).
RUN_PAIRS = TenantSql("""
SELECT r.workflow_id, (r.started_at AT TIME ZONE 'UTC')::date AS cohort_day
FROM runs r WHERE r.tenant_id = {tenant} AND r.correlation_id = ANY($2::text[])
UNION
SELECT u.workflow_id, (u.occurred_at AT TIME ZONE 'UTC')::date
FROM usage_events u WHERE u.tenant_id = {tenant} AND u.correlation_id = ANY($2::text[])
""")

# LATERAL … LIMIT 1 and LATERAL range scans: per-row index lookups whatever the statistics say
# (these run at the end of every ingest batch). A revenue event's window start is computed in an
# `OFFSET 0` subquery: inline, row-level security kept the (not leakproof) timestamptz
# arithmetic out of the index condition and the scan read all the client's earlier runs.
USAGE_PAIRS = """
SELECT DISTINCT COALESCE(r.workflow_id, u.workflow_id) AS workflow_id,
       (CASE WHEN r.correlation_id IS NULL THEN u.occurred_at ELSE r.started_at END
        AT TIME ZONE 'UTC')::date AS cohort_day
FROM usage_events u
LEFT JOIN LATERAL (
    SELECT r.correlation_id, r.workflow_id, r.started_at FROM runs r
    WHERE r.tenant_id = $1 AND r.correlation_id = u.correlation_id LIMIT 1
) AS r ON true
WHERE u.tenant_id = $1 AND u.event_id = ANY($2::text[])
"""

# The same pairs as USAGE_PAIRS, from the batch itself: its distinct (correlation id, workflow,
# UTC day of occurrence) with one run lookup per correlation id, instead of reading every event
# of the batch back by id (5-6 ms of PostgreSQL CPU per 1k events at 1k batches). A replayed
# event id whose stored row differs can only add a window to recompute, never miss one: a
# duplicate changed nothing. The lookup's tenant is `{tenant}`, as in RUN_PAIRS (~50 index
# entries read per run otherwise).
USAGE_REF_PAIRS = TenantSql("""
SELECT DISTINCT COALESCE(r.workflow_id, b.workflow_id) AS workflow_id,
       CASE WHEN r.correlation_id IS NULL THEN b.day
            ELSE (r.started_at AT TIME ZONE 'UTC')::date END AS cohort_day
FROM unnest($2::text[], $3::uuid[], $4::date[]) AS b(correlation_id, workflow_id, day)
LEFT JOIN LATERAL (
    SELECT r.correlation_id, r.workflow_id, r.started_at FROM runs r
    WHERE r.tenant_id = {tenant} AND r.correlation_id = b.correlation_id LIMIT 1
) AS r ON true
""")

UsageRef = tuple[str | None, uuid.UUID, date]
"""(correlation id, workflow id, UTC day it occurred) of a usage event."""

REVENUE_PAIRS = """
SELECT DISTINCT r.workflow_id, (r.started_at AT TIME ZONE 'UTC')::date AS cohort_day,
       e.client_id
FROM (
    SELECT e.tenant_id, e.client_id, e.occurred_at, e.correlation_id, e.subject, e.workflow_id,
           e.occurred_at - interval '720 hours' AS since
    FROM revenue_events e WHERE e.tenant_id = $1 AND e.event_id = ANY($2::text[])
    OFFSET 0
) AS e
CROSS JOIN LATERAL (
    SELECT r.workflow_id, r.started_at FROM runs r
    WHERE r.tenant_id = $1 AND r.client_id = e.client_id AND r.status = 'ACCEPTED'
      AND r.ended_at >= e.since AND r.ended_at < e.occurred_at
      AND (e.correlation_id IS NULL OR r.correlation_id = e.correlation_id)
      AND (e.subject IS NULL OR r.subject = e.subject)
      AND (e.workflow_id IS NULL OR r.workflow_id = e.workflow_id)
) AS r
"""

BASELINE_PAIRS = """
SELECT DISTINCT w.workflow_id, w.cohort_day FROM roi_windows w
WHERE w.tenant_id = $1 AND w.workflow_id = $2 AND ($3::uuid IS NULL OR w.client_id = $3)
"""

EVERY_PAIR = """
SELECT r.workflow_id, (r.started_at AT TIME ZONE 'UTC')::date AS cohort_day
FROM runs r WHERE r.tenant_id = $1
UNION
SELECT u.workflow_id, (u.occurred_at AT TIME ZONE 'UTC')::date
FROM usage_events u WHERE u.tenant_id = $1
UNION
SELECT w.workflow_id, w.cohort_day FROM roi_windows w WHERE w.tenant_id = $1
"""

DUE_PAIRS = """
SELECT DISTINCT w.workflow_id, w.cohort_day FROM roi_windows w
WHERE w.tenant_id = $1 AND w.recheck_at <= $2
"""


async def _select(conn: Any, sql: str, *args: Any) -> list[Pair]:
    return [(row["workflow_id"], row["cohort_day"]) for row in await conn.fetch(sql, *args)]


Key = tuple[uuid.UUID, date, uuid.UUID | None]
"""(workflow id, cohort day, client id): the client's windows of the pair; None: every client."""


async def mark_keys(conn: Any, tenant_id: uuid.UUID, keys: Iterable[Key]) -> list[Pair]:
    """Mark the keys dirty (one statement, in pair order); returns the pairs sorted and unique."""
    unique = sorted(set(keys), key=lambda k: (k[0], k[1], str(k[2] or "")))
    if unique:
        await conn.execute(
            MARK, tenant_id, [k[0] for k in unique], [k[1] for k in unique], [k[2] for k in unique]
        )
    return sorted({(k[0], k[1]) for k in unique})


async def mark_pairs(conn: Any, tenant_id: uuid.UUID, pairs: Iterable[Pair]) -> list[Pair]:
    """Mark the pairs dirty, every client (one statement, in key order); returns them sorted
    and unique."""
    return await mark_keys(conn, tenant_id, ((p[0], p[1], None) for p in pairs))


async def run_pairs(conn: Any, tenant_id: uuid.UUID, correlation_ids: Iterable[str]) -> list[Pair]:
    """Windows of these runs, and of their usage that was a workflow-level cost until now."""
    ids = sorted(set(correlation_ids))
    return await _select(conn, await RUN_PAIRS.on(conn), tenant_id, ids) if ids else []


async def usage_pairs(conn: Any, tenant_id: uuid.UUID, event_ids: Iterable[str]) -> list[Pair]:
    ids = sorted(set(event_ids))
    return await _select(conn, USAGE_PAIRS, tenant_id, ids) if ids else []


async def usage_ref_pairs(conn: Any, tenant_id: uuid.UUID, refs: Iterable[UsageRef]) -> list[Pair]:
    """`usage_pairs` of events known by their (correlation id, workflow, day)."""
    unique = sorted(set(refs), key=lambda r: (r[0] or "", r[1], r[2]))
    if not unique:
        return []
    columns = [list(c) for c in zip(*unique, strict=True)]
    return await _select(conn, await USAGE_REF_PAIRS.on(conn), tenant_id, *columns)


async def revenue_keys(conn: Any, tenant_id: uuid.UUID, event_ids: Iterable[str]) -> list[Key]:
    """The windows of the events' possible claimants: (workflow, day, the event's client)."""
    ids = sorted(set(event_ids))
    if not ids:
        return []
    rows = await conn.fetch(REVENUE_PAIRS, tenant_id, ids)
    return [(row["workflow_id"], row["cohort_day"], row["client_id"]) for row in rows]


async def revenue_pairs(conn: Any, tenant_id: uuid.UUID, event_ids: Iterable[str]) -> list[Pair]:
    return sorted({(k[0], k[1]) for k in await revenue_keys(conn, tenant_id, event_ids)})


async def mark_runs(conn: Any, tenant_id: uuid.UUID, correlation_ids: Iterable[str]) -> list[Pair]:
    return await mark_pairs(conn, tenant_id, await run_pairs(conn, tenant_id, correlation_ids))


async def mark_usage(conn: Any, tenant_id: uuid.UUID, event_ids: Iterable[str]) -> list[Pair]:
    return await mark_pairs(conn, tenant_id, await usage_pairs(conn, tenant_id, event_ids))


async def mark_revenue(conn: Any, tenant_id: uuid.UUID, event_ids: Iterable[str]) -> list[Pair]:
    """The windows of the events' claimants, for the events' clients only."""
    return await mark_keys(conn, tenant_id, await revenue_keys(conn, tenant_id, event_ids))


async def mark_ingest(
    conn: Any,
    tenant_id: uuid.UUID,
    *,
    runs: Sequence[str] = (),
    usage: Iterable[UsageRef] = (),
    revenue: Sequence[str] = (),
) -> list[Pair]:
    """Everything one ingest batch touched (`runs`: started or relabelled correlation ids;
    `usage`: the batch's usage as `UsageRef`s; `revenue`: event ids), marked with a single
    insert at the end of the batch."""
    found: list[Key] = [(w, d, None) for w, d in await run_pairs(conn, tenant_id, runs)]
    found += [(w, d, None) for w, d in await usage_ref_pairs(conn, tenant_id, usage)]
    found += await revenue_keys(conn, tenant_id, revenue)
    return await mark_keys(conn, tenant_id, found)


async def mark_baseline(
    conn: Any, tenant_id: uuid.UUID, workflow_id: uuid.UUID, client_id: uuid.UUID | None
) -> list[Pair]:
    """Every stored window of the workflow (only the client's, when `client_id` is given)."""
    pairs = await _select(conn, BASELINE_PAIRS, tenant_id, workflow_id, client_id)
    return await mark_pairs(conn, tenant_id, pairs)


async def mark_everything(conn: Any, tenant_id: uuid.UUID) -> list[Pair]:
    """Every window the tenant has or could have (a full rebuild)."""
    return await mark_pairs(conn, tenant_id, await _select(conn, EVERY_PAIR, tenant_id))


async def mark_due(conn: Any, tenant_id: uuid.UUID, now: datetime) -> list[Pair]:
    """Windows whose `recheck_at` has passed: the clock alone changed them (FINAL, holds)."""
    return await mark_pairs(conn, tenant_id, await _select(conn, DUE_PAIRS, tenant_id, now))


async def dirty_count(conn: Any, tenant_id: uuid.UUID) -> int:
    """Markers still waiting for a recompute."""
    count = await conn.fetchval("SELECT count(*) FROM roi_dirty WHERE tenant_id = $1", tenant_id)
    return int(count)
