"""A full ROI rebuild of one tenant, set-based: three statements, nothing loaded into Python.

`ledger roi rebuild` used to mark every window dirty and drain the markers in batches of 200,
each batch loading its revenue events and every candidate claimant into Python. Here the whole
tenant is done in ONE transaction (under the tenant's ROI advisory lock, like a drain batch):

1. the markers present at the start are read (with their `marked_at`) — nothing needs to be
   marked first: every window is recomputed;
2. ``SPLIT`` re-attributes every revenue event of the tenant in SQL: the claimants of an event
   (same client, counted ACCEPTED at `now`, ``ended_at`` in ``[occurred_at − 720 h,
   occurred_at)``, every link the event names holds) are ranked with a window function in
   ``(ended_at, correlation_id COLLATE "C")`` order — the order of
   `app.domain.attribution.split_order` — and each gets ``|cents| div n`` plus one cent when its
   rank is at most ``|cents| mod n``, with the amount's sign; the shares are summed per
   (event, window). A FULL JOIN with the stored allocations keeps only the differences: the
   statement deletes the shares that are gone and upserts the new or changed ones;
3. ``WINDOWS`` aggregates every window of the tenant in one pass (runs, successes, cohort-rule
   cost — each run's usage total from the `run_costs` rollup of migration 0007, and the usage
   naming no stored run: no correlation id, or a `NOT has_run` rollup row —, attributed revenue,
   pending holds, the claimant fingerprint),
   applies the baseline in force, the status and the recheck time, and upserts the windows that
   differ from the stored ones with `app.services.roi.rules.upsert_windows` (unchanged
   windows are not touched at all; a FINAL
   window whose figures change gets ``revision + 1``; a stored window with nothing left keeps
   zero figures);
4. the markers read in step 1 are deleted if unchanged (a change committed meanwhile keeps its
   marker for the next drain).

`app.domain.attribution` stays the definition of the split: tests check that ``SPLIT`` gives the
same allocations as `attribute_grouped` on random data, and that this rebuild leaves exactly the
rows of the batched drain (`drain(..., force=True)`). Worker memory does not depend on the
tenant's size: only the marker keys (one per workflow and day) come back to Python.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from app.db.sessions import NO_JIT_SQL, TenantSessions, raw_connection
from app.services.costs.rules import counted_sql, hold_ends_sql, hold_sql
from app.services.roi.recompute import CLAIM, LOCK, RELEASE
from app.services.roi.revenue_batch import split_select, write_split
from app.services.roi.rules import NO_CLIENT_SQL, figures_of, upsert_windows

# Every (event, window) share of the tenant's revenue at $2 (app.services.roi.revenue_batch). `$3`
# limits the events (NULL: all of them) — the tests compare single events with the domain.
EVENTS = "($3::text[] IS NULL OR e.event_id = ANY($3::text[]))"
SPLIT_SELECT = split_select(EVENTS)

SPLIT_QUERY = f"WITH {SPLIT_SELECT} SELECT * FROM split"  # noqa: S608 (constants only)

# Every share of the tenant's revenue; only the differences are written (`write_split`).
SPLIT = f"""
WITH {write_split(events=EVENTS, stored="true", returning="1")}
SELECT (SELECT count(*) FROM gone) AS deleted, (SELECT count(*) FROM put) AS written
"""  # noqa: S608 (module constants only)

PROCESSED = """
UPDATE revenue_events SET processed_at = $2 WHERE tenant_id = $1 AND processed_at IS NULL
"""


# The changed windows of WINDOWS, written by the one window upsert (every fingerprint computed).
UPSERT_CHANGED = upsert_windows(
    """
SELECT $1::uuid, c.workflow_id, c.cohort_day, c.client_id, c.status, c.runs, c.successes,
       c.cost, c.attributed_revenue, c.baseline_revenue, c.labor_cost, $2::timestamptz,
       c.recheck_at, c.claimants
FROM changed c
ORDER BY c.workflow_id, c.cohort_day, c.client_id""",
    returning="RETURNING 1",
)

# Window end = day start + 1 day + 30 days = 744 hours (hours: exact whatever the time zone).
WINDOWS = f"""
WITH hold AS (
    SELECT w.workflow_id, {hold_sql("w")} AS hold
    FROM workflows w WHERE w.tenant_id = $1
),
cohort AS (
    SELECT r.workflow_id, (r.started_at AT TIME ZONE 'UTC')::date AS cohort_day,
           COALESCE(r.client_id, {NO_CLIENT_SQL}) AS client_id, r.correlation_id, r.ended_at,
           r.subject,
           {counted_sql("r", "h.hold", "$2")} AS counted,
           {hold_ends_sql("r", "h.hold", "$2")} AS hold_ends,
           c.cost
    FROM runs r
    JOIN hold h ON h.workflow_id = r.workflow_id
    LEFT JOIN run_costs c ON c.tenant_id = $1 AND c.correlation_id = r.correlation_id
    WHERE r.tenant_id = $1
),
per_run AS (
    SELECT workflow_id, cohort_day, client_id, count(*) AS runs,
           count(*) FILTER (WHERE counted) AS successes,
           COALESCE(sum(cost), 0) AS cost, min(hold_ends) AS hold_ends,
           md5(string_agg(
               correlation_id || '|' || extract(epoch FROM ended_at)::text || '|'
               || COALESCE(subject, ''), ',' ORDER BY correlation_id
           ) FILTER (WHERE counted AND client_id <> {NO_CLIENT_SQL} AND ended_at IS NOT NULL))
               AS claimants
    FROM cohort GROUP BY 1, 2, 3
),
workflow_level AS (
    SELECT u.workflow_id, (u.occurred_at AT TIME ZONE 'UTC')::date AS cohort_day,
           COALESCE(u.client_id, {NO_CLIENT_SQL}) AS client_id, sum(u.cost) AS cost
    FROM (
        SELECT workflow_id, occurred_at, client_id, cost FROM usage_events
        WHERE tenant_id = $1 AND correlation_id IS NULL
        UNION ALL
        SELECT u.workflow_id, u.occurred_at, u.client_id, u.cost
        FROM run_costs o
        JOIN usage_events u ON u.tenant_id = $1 AND u.correlation_id = o.correlation_id
        WHERE o.tenant_id = $1 AND NOT o.has_run
    ) AS u
    GROUP BY 1, 2, 3
),
attributed AS (
    SELECT workflow_id, cohort_day, client_id, sum(amount) AS amount
    FROM revenue_allocations WHERE tenant_id = $1 GROUP BY 1, 2, 3
),
keys AS (
    SELECT workflow_id, cohort_day, client_id FROM per_run
    UNION SELECT workflow_id, cohort_day, client_id FROM workflow_level
    UNION SELECT workflow_id, cohort_day, client_id FROM attributed
    UNION SELECT workflow_id, cohort_day, client_id FROM roi_windows WHERE tenant_id = $1
),
figures AS (
    SELECT k.workflow_id, k.cohort_day, k.client_id,
           COALESCE(p.runs, 0)::int AS runs, COALESCE(p.successes, 0)::int AS successes,
           COALESCE(p.cost, 0) + COALESCE(l.cost, 0) AS cost,
           COALESCE(a.amount, 0) AS attributed_revenue,
           p.hold_ends, COALESCE(p.claimants, '') AS claimants,
           (k.cohort_day::timestamp AT TIME ZONE 'UTC') + interval '744 hours' AS window_end,
           CASE WHEN k.client_id <> {NO_CLIENT_SQL} AND bc.workflow_id IS NOT NULL
                THEN bc.revenue_per_success ELSE bw.revenue_per_success END AS per_success,
           CASE WHEN k.client_id <> {NO_CLIENT_SQL} AND bc.workflow_id IS NOT NULL
                THEN bc.human_cost_per_task ELSE bw.human_cost_per_task END AS per_task
    FROM keys k
    LEFT JOIN per_run p USING (workflow_id, cohort_day, client_id)
    LEFT JOIN workflow_level l USING (workflow_id, cohort_day, client_id)
    LEFT JOIN attributed a USING (workflow_id, cohort_day, client_id)
    LEFT JOIN roi_baselines bc ON bc.tenant_id = $1 AND bc.workflow_id = k.workflow_id
        AND bc.client_id = k.client_id
    LEFT JOIN roi_baselines bw ON bw.tenant_id = $1 AND bw.workflow_id = k.workflow_id
        AND bw.client_id = {NO_CLIENT_SQL}
),
computed AS (
    SELECT f.workflow_id, f.cohort_day, f.client_id,
           CASE WHEN $2 >= f.window_end THEN 'FINAL' ELSE 'OPEN' END AS status,
           f.runs, f.successes, f.cost, f.attributed_revenue,
           COALESCE(f.successes * f.per_success, 0) AS baseline_revenue,
           f.successes * f.per_task AS labor_cost,
           LEAST(f.hold_ends, CASE WHEN $2 < f.window_end THEN f.window_end END) AS recheck_at,
           f.claimants
    FROM figures f
),
changed AS (
    SELECT c.* FROM computed c
    LEFT JOIN roi_windows w ON w.tenant_id = $1 AND w.workflow_id = c.workflow_id
        AND w.cohort_day = c.cohort_day AND w.client_id = c.client_id
    WHERE w.workflow_id IS NULL
       OR (w.status, {figures_of("w")}, w.recheck_at, w.claimants)
          IS DISTINCT FROM (c.status, {figures_of("c")}, c.recheck_at, c.claimants)
),
put AS ({UPSERT_CHANGED})
SELECT count(*) FROM put
"""  # noqa: S608 (module constants only)

COUNT_WINDOWS = """
SELECT count(*) AS windows, count(DISTINCT (workflow_id, cohort_day)) AS pairs
FROM roi_windows WHERE tenant_id = $1
"""


@dataclass(frozen=True)
class RebuildReport:
    tenant_id: uuid.UUID
    markers: int  # markers drained (present at the start, unchanged at the end)
    pairs: int  # (workflow, day) pairs of the tenant after the rebuild
    windows: int  # windows of the tenant after the rebuild
    changed: int  # windows written (figures, status, recheck time or fingerprint changed)
    allocations: int  # (event, window) shares deleted or written


async def rebuild_tenant(
    *, sessions: TenantSessions, tenant_id: uuid.UUID, now: datetime
) -> RebuildReport:
    """Re-split all revenue and recompute every window of the tenant as of `now` (see the
    module docstring); one transaction. Running it twice writes nothing the second time."""
    async with sessions(tenant_id) as session:
        conn = await raw_connection(session)
        await conn.execute(LOCK, str(tenant_id))
        # The planner's guesses (row-level security filters, unnest batches) put these
        # statements above the JIT thresholds: compiling them took seconds, running them less.
        await conn.execute(NO_JIT_SQL)
        markers = await conn.fetch(CLAIM, tenant_id, None, None, None)
        split = await conn.fetchrow(SPLIT, tenant_id, now, None)
        await conn.execute(PROCESSED, tenant_id, now)
        changed = int(await conn.fetchval(WINDOWS, tenant_id, now))
        status = await conn.execute(
            RELEASE,
            tenant_id,
            [m["workflow_id"] for m in markers],
            [m["cohort_day"] for m in markers],
            [m["marked_at"] for m in markers],
        )
        counts = await conn.fetchrow(COUNT_WINDOWS, tenant_id)
    return RebuildReport(
        tenant_id=tenant_id,
        markers=int(status.rsplit(" ", 1)[-1]),
        pairs=int(counts["pairs"]),
        windows=int(counts["windows"]),
        changed=changed,
        allocations=int(split["deleted"]) + int(split["written"]),
    )
