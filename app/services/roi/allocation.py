"""Re-attributing revenue for a batch of windows, with the pure attribution rule.

An event's split depends only on the event and on the set of runs that may claim it. So for a
batch of (workflow, cohort day) pairs, the events to re-attribute are:

- the events of a (workflow, day, client) window whose *claimants* changed — the runs counted
  ACCEPTED now, with their end and subject, fingerprinted (`claimants` on the stored window):
  the events those runs may claim now, and the events the window claimed before;
- the events no recompute has seen yet (`processed_at` NULL) that the batch's runs may claim.

`force` (a rebuild) treats every window of the batch as changed. For each event to re-attribute,
every possible claimant is loaded — from any window, workflow or day — and
`app.domain.attribution.attribute_grouped` decides the split (summed per window). Only events
whose split changed are rewritten (delete + one `INSERT … SELECT FROM unnest`), and the windows
those changes touch, old and new, are returned to be recomputed in the same transaction.

Every statement is set-based (events, candidate runs, stored allocations, fingerprints), and
SQL selects by client and time span only — supersets — while the domain function applies the
exact rule (window edges, links, split), so the numbers are defined in one place.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from app.domain.attribution import AcceptedRun, RevenueEvent, attribute_grouped
from app.services.costs.rules import counted_sql, hold_sql
from app.services.ingest.arrays import columns
from app.services.roi.dirty import Key, Pair
from app.services.roi.rules import DAY_END, DAY_START

Triple = tuple[uuid.UUID, date, uuid.UUID]
"""(workflow id, cohort day, client id): a window whose runs can claim revenue."""

# The batch's runs that may claim revenue at $4: counted ACCEPTED, with a client and an end.
# LATERAL: one index range scan per pair, whatever the planner's statistics say. A batch key is
# (workflow, day, client): a NULL client means every client of the pair.
_ACCEPTED = """
batch AS (
    SELECT * FROM unnest($2::uuid[], $3::date[], {clients}::uuid[])
        AS b(workflow_id, cohort_day, client_id)
),
accepted AS (
    SELECT b.workflow_id, b.cohort_day, r.client_id, r.correlation_id, r.ended_at, r.subject
    FROM batch b
    CROSS JOIN LATERAL (
        {first}
        UNION ALL
        {second}
    ) AS r
)
"""


_RUNS_OF_KEY = """
        SELECT r.client_id, r.correlation_id, r.ended_at, r.subject FROM runs r
        JOIN workflows w ON w.tenant_id = $1 AND w.workflow_id = r.workflow_id
        WHERE r.tenant_id = $1 AND r.workflow_id = b.workflow_id AND {which}
          AND r.started_at >= {day_start} AND r.started_at < {day_end}
          AND r.client_id IS NOT NULL AND r.ended_at IS NOT NULL
          AND {counted}
"""


def _accepted(clients: str) -> str:
    """The ACCEPTED CTE, its batch keys' clients (NULL: every client) in parameter `clients`.

    A key's runs come from ix_runs_workflow_started (every client) or from
    ix_runs_workflow_client_started (one client, migration 0008): one branch per key."""
    runs_of_key = (
        _RUNS_OF_KEY.replace("{day_start}", DAY_START)
        .replace("{day_end}", DAY_END)
        .replace("{counted}", counted_sql("r", hold_sql("w"), "$4"))
    )
    return _ACCEPTED.format(
        clients=clients,
        first=runs_of_key.replace("{which}", "b.client_id IS NULL"),
        second=runs_of_key.replace("{which}", "r.client_id = b.client_id"),
    )


FINGERPRINTS = f"""
WITH {_accepted("$5")}
SELECT workflow_id, cohort_day, client_id,
       md5(string_agg(
           correlation_id || '|' || extract(epoch FROM ended_at)::text || '|'
           || COALESCE(subject, ''), ',' ORDER BY correlation_id
       )) AS claimants
FROM accepted GROUP BY 1, 2, 3
"""  # noqa: S608 (module constants only)

STORED_FINGERPRINTS = """
SELECT w.workflow_id, w.cohort_day, w.client_id, w.claimants
FROM unnest($2::uuid[], $3::date[], $4::uuid[]) AS b(workflow_id, cohort_day, client_id)
JOIN roi_windows w ON w.tenant_id = $1 AND w.workflow_id = b.workflow_id
    AND w.cohort_day = b.cohort_day AND (b.client_id IS NULL OR w.client_id = b.client_id)
"""

# Events to re-attribute (see the module docstring); $5/$6/$7 are the changed windows.
TOUCHED_EVENTS = f"""
WITH {_accepted("$8")},
changed AS (
    SELECT * FROM unnest($5::uuid[], $6::date[], $7::uuid[])
        AS c(workflow_id, cohort_day, client_id)
),
spans AS (
    SELECT a.client_id, min(a.ended_at) AS lo, max(a.ended_at) + interval '720 hours' AS hi,
           bool_or(c.client_id IS NOT NULL) AS any_changed,
           min(a.ended_at) FILTER (WHERE c.client_id IS NOT NULL) AS changed_lo,
           max(a.ended_at) FILTER (WHERE c.client_id IS NOT NULL) + interval '720 hours'
               AS changed_hi
    FROM accepted a
    LEFT JOIN changed c USING (workflow_id, cohort_day, client_id)
    GROUP BY a.client_id
),
touched AS (
    SELECT e.event_id FROM spans s
    CROSS JOIN LATERAL (
        SELECT e.event_id FROM revenue_events e
        WHERE e.tenant_id = $1 AND e.client_id = s.client_id AND s.any_changed
          AND e.occurred_at > s.changed_lo AND e.occurred_at <= s.changed_hi
    ) AS e
    UNION
    SELECT e.event_id FROM spans s
    CROSS JOIN LATERAL (
        SELECT e.event_id FROM revenue_events e
        WHERE e.tenant_id = $1 AND e.client_id = s.client_id AND e.processed_at IS NULL
          AND e.occurred_at > s.lo AND e.occurred_at <= s.hi
    ) AS e
    UNION
    SELECT a.event_id FROM changed c
    CROSS JOIN LATERAL (
        SELECT a.event_id FROM revenue_allocations a
        WHERE a.tenant_id = $1 AND a.workflow_id = c.workflow_id AND a.cohort_day = c.cohort_day
          AND a.client_id = c.client_id
    ) AS a
)
SELECT e.event_id, e.client_id, e.amount, e.occurred_at, e.workflow_id, e.subject,
       e.correlation_id
FROM touched t JOIN revenue_events e ON e.tenant_id = $1 AND e.event_id = t.event_id
"""  # noqa: S608 (module constants only)

# Every run counted ACCEPTED at $3 that may claim one of the events: by client, the accepted
# runs that ended in [earliest event − 30 days, latest event) — a superset of the claimants.
CANDIDATES = f"""
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
    JOIN workflows w ON w.tenant_id = $1 AND w.workflow_id = r.workflow_id
    WHERE r.tenant_id = $1 AND r.client_id = s.client_id
      AND r.ended_at >= s.lo AND r.ended_at < s.hi
      AND {counted_sql("r", hold_sql("w"), "$3")}
) AS r
"""  # noqa: S608 (module constants only)

STORED = """
SELECT event_id, workflow_id, cohort_day, amount, runs
FROM revenue_allocations WHERE tenant_id = $1 AND event_id = ANY($2::text[])
"""

DELETE = "DELETE FROM revenue_allocations WHERE tenant_id = $1 AND event_id = ANY($2::text[])"

# The rows of the events just deleted, so the conflict clause never fires; with it Citus inserts
# through intermediate results, not COPY (refused under row-level security there).
INSERT = """
INSERT INTO revenue_allocations
    (tenant_id, event_id, workflow_id, cohort_day, client_id, amount, runs)
SELECT $1::uuid, u.* FROM unnest(
    $2::text[], $3::uuid[], $4::date[], $5::uuid[], $6::numeric[], $7::int4[]
) AS u
ON CONFLICT (tenant_id, event_id, workflow_id, cohort_day) DO UPDATE SET
    client_id = EXCLUDED.client_id, amount = EXCLUDED.amount, runs = EXCLUDED.runs
"""

# The events a recompute has now seen (`processed_at` NULL: not yet), at $3; used by the fast
# path too (app.services.roi.revenue_batch).
PROCESSED = """
UPDATE revenue_events SET processed_at = $3
WHERE tenant_id = $1 AND event_id = ANY($2::text[]) AND processed_at IS NULL
"""

Split = dict[Pair, tuple[Decimal, int]]
"""An event's allocation: per window, (amount, number of claimant runs in it)."""


async def fingerprints(
    conn: Any, tenant_id: uuid.UUID, keys: Sequence[Key], now: datetime
) -> tuple[dict[Triple, str], dict[Triple, str | None]]:
    """(the claimant fingerprints now, those stored with the windows) of the batch's windows."""
    args = (tenant_id, [k[0] for k in keys], [k[1] for k in keys])
    clients = [k[2] for k in keys]
    current = {
        (row["workflow_id"], row["cohort_day"], row["client_id"]): row["claimants"]
        for row in await conn.fetch(FINGERPRINTS, *args, now, clients)
    }
    stored = {
        (row["workflow_id"], row["cohort_day"], row["client_id"]): row["claimants"]
        for row in await conn.fetch(STORED_FINGERPRINTS, *args, clients)
    }
    return current, stored


def changed_windows(
    current: dict[Triple, str], stored: dict[Triple, str | None], *, force: bool = False
) -> list[Triple]:
    """Windows whose claimants differ from when revenue was last attributed for them.

    A window without claimants now has the fingerprint ``""``; a stored NULL (revenue never
    attributed for the window itself) matches nothing, so such a window always counts as
    changed. `force` returns every window.
    """
    keys = set(current) | set(stored)
    return sorted(k for k in keys if force or current.get(k, "") != stored.get(k))


async def _new_splits(
    conn: Any, tenant_id: uuid.UUID, events: list[RevenueEvent], now: datetime
) -> dict[str, Split]:
    """What the domain rule gives now, each claimant run's share summed per window."""
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
    return attribute_grouped(events, runs, lambda run: window_of[run.correlation_id])


async def reattribute(
    conn: Any,
    tenant_id: uuid.UUID,
    keys: Sequence[Key],
    changed: Sequence[Triple],
    now: datetime,
) -> set[Triple]:
    """Re-attribute the events of the `changed` windows and the batch's unseen events; returns
    the windows whose attributed revenue may have changed (old and new windows of every event
    whose split changed, with the event's client)."""
    rows = await conn.fetch(
        TOUCHED_EVENTS,
        tenant_id,
        [k[0] for k in keys],
        [k[1] for k in keys],
        now,
        [c[0] for c in changed],
        [c[1] for c in changed],
        [c[2] for c in changed],
        [k[2] for k in keys],
    )
    events = [RevenueEvent.from_row(row) for row in rows]
    if not events:
        return set()
    event_ids = [e.event_id for e in events]
    new = await _new_splits(conn, tenant_id, events, now)
    old: dict[str, Split] = {}
    for row in await conn.fetch(STORED, tenant_id, event_ids):
        split = old.setdefault(row["event_id"], {})
        split[(row["workflow_id"], row["cohort_day"])] = (row["amount"], row["runs"])
    await conn.execute(PROCESSED, tenant_id, event_ids, now)

    clients = {e.event_id: e.client_id for e in events}
    differ = sorted(e for e in event_ids if old.get(e) != new.get(e))
    if not differ:
        return set()
    touched: set[Triple] = set()
    inserts: list[tuple[str, uuid.UUID, date, uuid.UUID, Decimal, int]] = []
    for event_id in differ:
        touched |= {(w, d, clients[event_id]) for w, d in old.get(event_id, {})}
        for (workflow_id, day), (amount, count) in sorted(new.get(event_id, {}).items()):
            touched.add((workflow_id, day, clients[event_id]))
            inserts.append((event_id, workflow_id, day, clients[event_id], amount, count))
    await conn.execute(DELETE, tenant_id, differ)
    if inserts:
        await conn.execute(INSERT, tenant_id, *columns(inserts, 6))
    return touched
