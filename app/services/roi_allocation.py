"""Re-attributing the revenue that a batch of windows touches, with the pure attribution rule.

For a batch of (workflow, cohort day) pairs, the events to re-attribute are those the batch's
runs may claim now and those they claimed before (stored allocations). For each such event
every possible claimant is loaded — from any window, workflow or day — and
`app.domain.attribution.attribute` decides the split. Only events whose split changed are
rewritten (delete + one `INSERT … SELECT FROM unnest`), and the windows those changes touch, old
and new, are returned so that they are recomputed in the same transaction.

Three set-based statements load what is needed (events, candidate runs, stored allocations);
nothing is read one run or one event at a time. SQL selects by client and time span only —
supersets — and the domain function applies the exact rule (window edges, links, split), so the
numbers are defined in one place. Re-attributing an event whose split did not change writes
nothing, so the superset costs reads, never revisions.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.domain.attribution import AcceptedRun, RevenueEvent, attribute
from app.services.ingest.arrays import columns
from app.services.roi_dirty import Pair

DAY_START = "(b.cohort_day::timestamp AT TIME ZONE 'UTC')"
DAY_END = "((b.cohort_day + 1)::timestamp AT TIME ZONE 'UTC')"

# Every statement drives index range scans with LATERAL joins (one per batch pair or client),
# so the plan stays right even before the planner has statistics on freshly written rows.

# Events the batch's windows touch: those their accepted runs may claim — a superset, by client
# and time span (the domain re-checks every claim) — and those they claimed before.
TOUCHED_EVENTS = f"""
WITH batch AS (SELECT * FROM unnest($2::uuid[], $3::date[]) AS b(workflow_id, cohort_day)),
accepted AS (
    SELECT r.client_id, r.ended_at
    FROM batch b
    CROSS JOIN LATERAL (
        SELECT r.client_id, r.ended_at FROM runs r
        JOIN workflows w ON w.tenant_id = r.tenant_id AND w.workflow_id = r.workflow_id
        WHERE r.tenant_id = $1 AND r.workflow_id = b.workflow_id
          AND r.started_at >= {DAY_START} AND r.started_at < {DAY_END}
          AND r.status = 'ACCEPTED' AND r.client_id IS NOT NULL AND r.ended_at IS NOT NULL
          AND r.status_at + make_interval(hours => w.acceptance_hold_hours) <= $4
    ) AS r
),
spans AS (
    SELECT client_id, min(ended_at) AS lo, max(ended_at) + interval '720 hours' AS hi
    FROM accepted GROUP BY client_id
),
touched AS (
    SELECT e.event_id FROM spans s
    CROSS JOIN LATERAL (
        SELECT e.event_id FROM revenue_events e
        WHERE e.tenant_id = $1 AND e.client_id = s.client_id
          AND e.occurred_at > s.lo AND e.occurred_at <= s.hi
    ) AS e
    UNION
    SELECT a.event_id FROM batch b
    CROSS JOIN LATERAL (
        SELECT a.event_id FROM revenue_allocations a
        WHERE a.tenant_id = $1 AND a.workflow_id = b.workflow_id AND a.cohort_day = b.cohort_day
    ) AS a
)
SELECT e.event_id, e.client_id, e.amount, e.occurred_at, e.workflow_id, e.subject,
       e.correlation_id
FROM touched t JOIN revenue_events e ON e.tenant_id = $1 AND e.event_id = t.event_id
"""  # noqa: S608 (module constants only)

# Every run counted ACCEPTED at $3 that may claim one of the events: by client, the accepted
# runs that ended in [earliest event − 30 days, latest event) — a superset of the claimants.
CANDIDATES = """
WITH spans AS (
    SELECT client_id, min(occurred_at) - interval '720 hours' AS lo, max(occurred_at) AS hi
    FROM revenue_events WHERE tenant_id = $1 AND event_id = ANY($2::text[])
    GROUP BY client_id
)
SELECT r.correlation_id, r.workflow_id, r.client_id, r.subject, r.ended_at,
       (r.started_at AT TIME ZONE 'UTC')::date AS cohort_day
FROM spans s
CROSS JOIN LATERAL (
    SELECT r.* FROM runs r
    JOIN workflows w ON w.tenant_id = r.tenant_id AND w.workflow_id = r.workflow_id
    WHERE r.tenant_id = $1 AND r.client_id = s.client_id AND r.status = 'ACCEPTED'
      AND r.ended_at >= s.lo AND r.ended_at < s.hi
      AND r.status_at + make_interval(hours => w.acceptance_hold_hours) <= $3
) AS r
"""

STORED = """
SELECT event_id, workflow_id, cohort_day, amount, runs
FROM revenue_allocations WHERE tenant_id = $1 AND event_id = ANY($2::text[])
"""

DELETE = "DELETE FROM revenue_allocations WHERE tenant_id = $1 AND event_id = ANY($2::text[])"

INSERT = """
INSERT INTO revenue_allocations
    (tenant_id, event_id, workflow_id, cohort_day, client_id, amount, runs)
SELECT $1::uuid, u.* FROM unnest(
    $2::text[], $3::uuid[], $4::date[], $5::uuid[], $6::numeric[], $7::int4[]
) AS u
"""

Split = dict[Pair, tuple[Decimal, int]]
"""An event's allocation: per window, (amount, number of claimant runs in it)."""


def _event(row: Any) -> RevenueEvent:
    return RevenueEvent(
        event_id=row["event_id"],
        client_id=row["client_id"],
        amount=row["amount"],
        occurred_at=row["occurred_at"],
        workflow_id=row["workflow_id"],
        subject=row["subject"],
        correlation_id=row["correlation_id"],
    )


async def _new_splits(
    conn: Any, tenant_id: uuid.UUID, events: list[RevenueEvent], now: datetime
) -> dict[str, Split]:
    """What the domain rule gives now, each run's share summed per window."""
    window_of: dict[str, Pair] = {}
    runs: list[AcceptedRun] = []
    for row in await conn.fetch(CANDIDATES, tenant_id, [e.event_id for e in events], now):
        window_of[row["correlation_id"]] = (row["workflow_id"], row["cohort_day"])
        runs.append(
            AcceptedRun(
                row["correlation_id"],
                row["workflow_id"],
                row["client_id"],
                row["subject"],
                row["ended_at"],
            )
        )
    splits: dict[str, Split] = {}
    for allocation in attribute(events, runs).allocations:
        split = splits.setdefault(allocation.event_id, {})
        window = window_of[allocation.correlation_id]
        amount, count = split.get(window, (Decimal(0), 0))
        split[window] = (amount + allocation.amount, count + 1)
    return splits


async def reattribute(
    conn: Any, tenant_id: uuid.UUID, pairs: Sequence[Pair], now: datetime
) -> set[Pair]:
    """Re-attribute the revenue the batch's windows touch; returns the windows whose
    attributed revenue may have changed (old and new windows of every changed event)."""
    rows = await conn.fetch(
        TOUCHED_EVENTS, tenant_id, [p[0] for p in pairs], [p[1] for p in pairs], now
    )
    events = [_event(row) for row in rows]
    if not events:
        return set()
    new = await _new_splits(conn, tenant_id, events, now)
    old: dict[str, Split] = {}
    for row in await conn.fetch(STORED, tenant_id, [e.event_id for e in events]):
        split = old.setdefault(row["event_id"], {})
        split[(row["workflow_id"], row["cohort_day"])] = (row["amount"], row["runs"])

    clients = {e.event_id: e.client_id for e in events}
    changed = sorted(e.event_id for e in events if old.get(e.event_id) != new.get(e.event_id))
    if not changed:
        return set()
    touched: set[Pair] = set()
    inserts: list[tuple[str, uuid.UUID, date, uuid.UUID, Decimal, int]] = []
    for event_id in changed:
        touched |= set(old.get(event_id, {}))
        for (workflow_id, day), (amount, count) in sorted(new.get(event_id, {}).items()):
            touched.add((workflow_id, day))
            inserts.append((event_id, workflow_id, day, clients[event_id], amount, count))
    await conn.execute(DELETE, tenant_id, changed)
    if inserts:
        await conn.execute(INSERT, tenant_id, *columns(inserts, 6))
    return touched
