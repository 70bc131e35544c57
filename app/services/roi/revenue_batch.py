"""The fast path of a drain batch made only of revenue markers: new revenue, old windows.

A marker naming clients (migration 0008) is left by revenue events alone: anything that changes a
window's runs, costs or baseline marks every client of the pair (NULL), and a marker merged with
such a mark becomes NULL too. When, besides, every window of the batch is *fresh* — stored, with
a claimant fingerprint, and no `recheck_at` passed (so no acceptance hold ended and no window
turned FINAL since it was computed) —, a full recompute of those windows would find the same
runs, successes, costs, baseline figures, status, recheck time and claimants: only the
attributed revenue can differ. So instead of `app.services.roi.recompute`'s general path
(claimant fingerprints, candidate runs loaded into Python, one aggregate per window) a batch
here is:

1. the events no recompute has seen (`processed_at` NULL) of the batch's clients;
2. ONE statement splitting them in SQL (``split_select``: the claimants ranked by a window
   function in split order — the rule of `app.domain.attribution`, tested equal to it) and
   writing only the (event, window) shares that differ from the stored ones; it returns the
   windows whose shares changed;
3. ONE statement setting, for the batch's windows and those fresh changed windows, the
   attributed revenue to the sum of their allocations (a deleted event's shares are gone with
   it), with the rules of `app.services.roi.rules.upsert_windows`: an unchanged window is not
   written;
   a FINAL window whose figures change gets ``revision + 1``; `computed_at` moves only then;
4. a changed window that is not fresh (missing, its `recheck_at` passed, or a marker naming
   every client of its pair waits) is recomputed whole (`compute_windows`), exactly as the
   general path recomputes the windows a moved share touches: its claimants are not looked at,
   so it keeps its fingerprint and a recheck time that has passed (`app.services.roi.rules`),
   and its own marker then takes the general path.

Any batch that does not qualify takes the general path. Tests compare the two paths' rows
after random revenue events.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.services.costs.rules import hold_sql
from app.services.roi.allocation import PROCESSED
from app.services.roi.dirty import Key
from app.services.roi.windows import compute_windows, store_windows

# The claimants of an event, one index probe per event: by primary key when it names a run; by
# (client, subject, end) when it names a subject (ix_runs_accepted_client_subject_ended,
# migration 0008); else the client's accepted runs that ended in its 30 days
# (ix_runs_accepted_client_ended). Exactly one branch applies to an event.
# The window's start `e.since` is computed before the join (an `OFFSET 0` subquery): written as
# `e.occurred_at - interval …` inside it, row-level security keeps the (not leakproof)
# timestamptz arithmetic out of the index condition — the scan then read every earlier run of
# the client and filtered (EXPLAIN: 4,500 rows read per unlinked event for 1,550 kept).
# Counted ACCEPTED at $2: a run labelled before $2 minus the longest hold of the tenant surely
# is; only the others look up their workflow's hold (a join with the workflows in every probe
# cost more than the probe itself). Every table names the tenant ($1): on Citus the statement is
# routed to the tenant's shard group (correlated on `e.tenant_id` it was refused).
_CLAIMANTS = f"""
    SELECT r.workflow_id, (r.started_at AT TIME ZONE 'UTC')::date AS cohort_day, r.ended_at,
           r.correlation_id, r.status_at
    FROM runs r
    WHERE r.tenant_id = $1 AND {{which}}
      AND r.client_id = e.client_id AND r.status = 'ACCEPTED'
      AND r.ended_at >= e.since AND r.ended_at < e.occurred_at
      AND (e.subject IS NULL OR r.subject = e.subject)
      AND (e.workflow_id IS NULL OR r.workflow_id = e.workflow_id)
      AND (r.status_at <= e.surely_counted OR r.status_at + (
          SELECT {hold_sql("w")} FROM workflows w
          WHERE w.tenant_id = $1 AND w.workflow_id = r.workflow_id) <= $2)
"""  # noqa: S608 (module constants only)

_BY_RUN = "e.correlation_id IS NOT NULL AND r.correlation_id = e.correlation_id"
_BY_SUBJECT = "e.correlation_id IS NULL AND e.subject IS NOT NULL AND r.subject = e.subject"
_BY_CLIENT = "e.correlation_id IS NULL AND e.subject IS NULL"


# Every (event, window) share of the events' revenue at $2, with the exact cent split.
def split_select(events: str) -> str:
    """The `claims` and `split` CTEs for the events matching SQL condition `events` (on `e`)."""
    return f"""
claims AS (
    SELECT e.event_id, e.client_id, (e.amount * 100)::bigint AS cents,
           r.workflow_id, r.cohort_day,
           row_number() OVER (
               PARTITION BY e.event_id ORDER BY r.ended_at, r.correlation_id COLLATE "C"
           ) AS rank,
           count(*) OVER (PARTITION BY e.event_id) AS n
    FROM (
        SELECT e.tenant_id, e.event_id, e.client_id, e.amount, e.occurred_at, e.workflow_id,
               e.subject, e.correlation_id, e.occurred_at - interval '720 hours' AS since,
               $2::timestamptz - (SELECT make_interval(hours => max(acceptance_hold_hours))
                                  FROM workflows WHERE tenant_id = $1) AS surely_counted
        FROM revenue_events e
        WHERE e.tenant_id = $1 AND {events}
        ORDER BY e.event_id  -- claims come out by event: the window sorts are per event
        OFFSET 0
    ) AS e
    CROSS JOIN LATERAL (
        {_CLAIMANTS.format(which=_BY_RUN)}
        UNION ALL
        {_CLAIMANTS.format(which=_BY_SUBJECT)}
        UNION ALL
        {_CLAIMANTS.format(which=_BY_CLIENT)}
    ) AS r
),
-- Integer cents all the way (`sign()` of a bigint would be a double precision): the sum of
-- bigints is a numeric, times 0.01 exact.
split AS (
    SELECT event_id, workflow_id, cohort_day, client_id,
           sum(CASE WHEN cents < 0 THEN -1 ELSE 1 END
               * (abs(cents) / n + CASE WHEN rank <= abs(cents) % n THEN 1 ELSE 0 END)) * 0.01
               AS amount,
           count(*)::int AS runs
    FROM claims GROUP BY event_id, workflow_id, cohort_day, client_id
)
"""  # noqa: S608 (module constants only)


def write_split(*, events: str, stored: str, returning: str) -> str:
    """CTEs that write the split of the events matching `events` (on `e`) over the stored
    allocations matching `stored`: only the differences — a FULL JOIN of the new shares with
    the stored ones (an upsert of unchanged rows would still lock and rewrite-check each row).
    `gone` (deleted shares) and `put` (inserted or changed ones) return `returning` (on `a`)."""
    return f"""{split_select(events)},
stored AS (
    SELECT event_id, workflow_id, cohort_day, client_id, amount, runs
    FROM revenue_allocations WHERE tenant_id = $1 AND {stored}
),
diff AS (
    SELECT s.event_id, s.workflow_id, s.cohort_day, s.client_id, s.amount, s.runs,
           o.event_id AS old_event, o.workflow_id AS old_workflow, o.cohort_day AS old_day
    FROM split s
    FULL JOIN stored o ON o.event_id = s.event_id AND o.workflow_id = s.workflow_id
        AND o.cohort_day = s.cohort_day
    WHERE s.event_id IS NULL OR o.event_id IS NULL
       OR (s.client_id, s.amount, s.runs) IS DISTINCT FROM (o.client_id, o.amount, o.runs)
),
gone AS (
    DELETE FROM revenue_allocations a USING diff d
    WHERE a.tenant_id = $1 AND d.event_id IS NULL AND a.event_id = d.old_event
      AND a.workflow_id = d.old_workflow AND a.cohort_day = d.old_day
    RETURNING {returning}
),
put AS (
    INSERT INTO revenue_allocations AS a
        (tenant_id, event_id, workflow_id, cohort_day, client_id, amount, runs)
    SELECT $1::uuid, d.event_id, d.workflow_id, d.cohort_day, d.client_id, d.amount, d.runs
    FROM diff d WHERE d.event_id IS NOT NULL
    ORDER BY d.event_id, d.workflow_id, d.cohort_day
    ON CONFLICT (tenant_id, event_id, workflow_id, cohort_day) DO UPDATE SET
        client_id = EXCLUDED.client_id, amount = EXCLUDED.amount, runs = EXCLUDED.runs
    RETURNING {returning}
)"""  # noqa: S608 (fragments are module constants)


# Step 0: how many of the batch's windows are not fresh (see the module docstring).
STALE = """
SELECT count(*) FROM unnest($2::uuid[], $3::date[], $4::uuid[]) AS k(workflow_id, cohort_day,
                                                                     client_id)
LEFT JOIN roi_windows w ON w.tenant_id = $1 AND w.workflow_id = k.workflow_id
    AND w.cohort_day = k.cohort_day AND w.client_id = k.client_id
WHERE w.workflow_id IS NULL OR w.claimants IS NULL OR w.recheck_at <= $5
"""


UNSEEN = """
SELECT event_id FROM revenue_events
WHERE tenant_id = $1 AND client_id = ANY($2::uuid[]) AND processed_at IS NULL
ORDER BY event_id
"""

# Step 2: the split of the unseen events; only the differing shares are written; the windows of
# the shares deleted, inserted or changed come back.
SPLIT_EVENTS = f"""
WITH {
    write_split(
        events="e.event_id = ANY($3::text[])",
        stored="event_id = ANY($3::text[])",
        returning="a.workflow_id, a.cohort_day, a.client_id",
    )
}
SELECT workflow_id, cohort_day, client_id FROM gone
UNION
SELECT workflow_id, cohort_day, client_id FROM put
"""  # noqa: S608 (module constants only)

# Which changed windows (outside the batch) are fresh: stored, no recheck passed, no marker
# naming every client of their pair.
FRESH = """
SELECT k.workflow_id, k.cohort_day, k.client_id
FROM unnest($2::uuid[], $3::date[], $4::uuid[]) AS k(workflow_id, cohort_day, client_id)
JOIN roi_windows w ON w.tenant_id = $1 AND w.workflow_id = k.workflow_id
    AND w.cohort_day = k.cohort_day AND w.client_id = k.client_id
WHERE (w.recheck_at IS NULL OR w.recheck_at > $5)
  AND NOT EXISTS (
      SELECT 1 FROM roi_dirty d
      WHERE d.tenant_id = $1 AND d.workflow_id = k.workflow_id AND d.cohort_day = k.cohort_day
        AND d.clients IS NULL
  )
"""

# Step 3: attributed revenue = the sum of the window's allocations (one index range scan per
# window: LATERAL … OFFSET 0, whatever the statistics say); the rules of
# `app.services.roi.rules.upsert_windows`.
ATTRIBUTED = """
WITH k AS (
    SELECT DISTINCT * FROM unnest($2::uuid[], $3::date[], $4::uuid[])
        AS k(workflow_id, cohort_day, client_id)
),
sums AS (
    SELECT k.workflow_id, k.cohort_day, k.client_id, COALESCE(a.amount, 0) AS amount
    FROM k
    CROSS JOIN LATERAL (
        SELECT sum(a.amount) AS amount FROM revenue_allocations a
        WHERE a.tenant_id = $1 AND a.workflow_id = k.workflow_id
          AND a.cohort_day = k.cohort_day AND a.client_id = k.client_id
        OFFSET 0
    ) AS a
)
UPDATE roi_windows w SET
    attributed_revenue = s.amount,
    revision = w.revision + CASE WHEN w.status = 'FINAL' THEN 1 ELSE 0 END,
    computed_at = $5
FROM sums s
WHERE w.tenant_id = $1 AND w.workflow_id = s.workflow_id AND w.cohort_day = s.cohort_day
  AND w.client_id = s.client_id AND w.attributed_revenue IS DISTINCT FROM s.amount
"""


def _columns(keys: Sequence[Key]) -> tuple[list[Any], list[Any], list[Any]]:
    return [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys]


async def revenue_batch(
    conn: Any, tenant_id: uuid.UUID, keys: Sequence[Key], now: datetime
) -> tuple[int, int, int] | None:
    """Steps 1–4 for a batch of (workflow, day, client) keys, every one naming a client;
    (windows recomputed, rows changed, cascaded windows) like `recompute_batch`, or None when
    the batch does not qualify (nothing written then: the caller takes the general path)."""
    if not keys or any(k[2] is None for k in keys):
        return None
    if await conn.fetchval(STALE, tenant_id, *_columns(keys), now):
        return None
    clients = sorted({k[2] for k in keys if k[2] is not None})
    events = [r["event_id"] for r in await conn.fetch(UNSEEN, tenant_id, clients)]
    changed: set[Key] = set()
    if events:
        rows = await conn.fetch(SPLIT_EVENTS, tenant_id, now, events)
        changed = {(r["workflow_id"], r["cohort_day"], r["client_id"]) for r in rows}
        await conn.execute(PROCESSED, tenant_id, events, now)
    batch = set(keys)
    outside = sorted(changed - batch, key=lambda k: (k[0], k[1], str(k[2])))
    fresh: set[Key] = set()
    if outside:
        rows = await conn.fetch(FRESH, tenant_id, *_columns(outside), now)
        fresh = {(r["workflow_id"], r["cohort_day"], r["client_id"]) for r in rows}
    sums = sorted(batch | fresh, key=lambda k: (k[0], k[1], str(k[2])))
    status = await conn.execute(ATTRIBUTED, tenant_id, *_columns(sums), now)
    written = int(status.rsplit(" ", 1)[-1])
    whole = [k for k in outside if k not in fresh]
    if whole:
        windows = await compute_windows(conn, tenant_id, whole, now)
        written += await store_windows(conn, tenant_id, windows, now)
    return len(batch) + len(outside), written, len(outside)
