"""Distinct reachers per rung from the `ladder_reach` rollup (migration 0010), exactly as
`app.services.ladders.cohorts.rung_counts` counts them live, for unscoped cohorts.

`ladder_reach` holds one row per (workflow, reacher, rung, run) with the run's start, `prev_at`
and `next_at` (the starts of the reacher's previous and next rows for that rung). The distinct
reachers among the runs started in [start, end) are the rows started in range with `prev_at`
NULL or before `start`: each reacher is counted at its first run in range, no DISTINCT.

- Whole UTC days [d1, d2) are sums of `ladder_reach_days` buckets (rows per start day and day of
  `prev_at`): a bucket whose `prev_at` day is before `start`'s day counts whole; rows whose
  previous run started on `start`'s day before `start` are counted per row (`ix_ladder_reach_prev`),
  and so are the partial days [start, d1) and [d2, end) (`ix_ladder_reach_range`).
- Dirty reachers (written since the last `drain_ladder_reach`, listed in `ladder_reach_dirty`)
  have their stored contribution taken back out and are computed live by the function that
  fills the table (`ladder_reach_rows`), so the count is exact whatever the drain's lag.
- The acceptance hold is applied here: an `accepted` row counts only when its run's
  `status_at + hold <= now`. Reachers with a row still in its hold (few: runs labelled within
  the last hold hours) were counted once by the chain; they keep that count only if one of their
  accepted rows in range has passed its hold.
- Like the live statement, the rungs counted are the active (not retired) rung keys of the
  requested workflows, plus `accepted`; a rung nobody reached is absent.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sessions import NO_JIT
from app.services.costs.rules import hold_sql
from app.services.costs.scope import TimeRange

DRAIN_BATCH = 20_000
"""Dirty reachers recomputed per `drain_ladder_reach` call."""

LIVE_BACKLOG = 10_000
"""From this many markers on, `ladder_cohorts.rung_counts` uses the live statement instead: each
dirty reacher is computed live, and 17k of them (three days of runs at 1M) already cost as
much as the live statement (~430 ms); a backlog that size means the drain is not running."""

BACKLOG = text(
    "SELECT count(*) FROM (SELECT FROM ladder_reach_dirty WHERE tenant_id = :tenant"
    " LIMIT :limit) AS marked"
)

CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")
COUNTS = text(
    f"""
WITH dirty AS MATERIALIZED (
    SELECT DISTINCT workflow_id, who FROM ladder_reach_dirty
    WHERE tenant_id = :tenant AND workflow_id = ANY(:workflows)
),
rungs AS MATERIALIZED (
    SELECT array_agg(key) || ARRAY['accepted']::varchar[] AS keys FROM ladder_rungs
    WHERE tenant_id = :tenant AND workflow_id = ANY(:workflows) AND retired_at IS NULL
      AND key <> 'accepted'
),
holds AS MATERIALIZED (
    SELECT w.workflow_id, {hold_sql("w")} AS hold,
           CAST(:now AS timestamptz) - {hold_sql("w")} AS since
    FROM workflows AS w WHERE w.tenant_id = :tenant AND w.workflow_id = ANY(:workflows)
),
-- The dirty reachers' rows started in range, computed from raw runs and events.
live AS MATERIALIZED (
    SELECT f.workflow_id, f.who, f.rung_key, f.status_at
    FROM ladder_reach_rows(
        ARRAY(SELECT CAST(:tenant AS uuid) FROM dirty ORDER BY workflow_id, who),
        ARRAY(SELECT workflow_id FROM dirty ORDER BY workflow_id, who),
        ARRAY(SELECT who::text FROM dirty ORDER BY workflow_id, who)) AS f
    WHERE f.started_at >= :start AND f.started_at < :end
      AND f.rung_key = ANY(CAST((SELECT keys FROM rungs) AS varchar[]))
),
-- The stored rows of the active rungs (inlined into each reader: each keeps its own index range).
stored AS NOT MATERIALIZED (
    SELECT workflow_id, rung_key, started_at, prev_at FROM ladder_reach
    WHERE tenant_id = :tenant AND workflow_id = ANY(:workflows)
      AND rung_key = ANY(CAST((SELECT keys FROM rungs) AS varchar[]))
),
-- Stored rows started in range whose previous row (same reacher and rung) started before
-- :start: whole days [d1, d2) from the day buckets, plus the rows of those days whose previous
-- row started on :start's day before :start, plus the partial days [start, d1) and [d2, end).
chain AS (
    SELECT workflow_id, rung_key, sum(n) AS n FROM ladder_reach_days
    WHERE tenant_id = :tenant AND workflow_id = ANY(:workflows)
      AND rung_key = ANY(CAST((SELECT keys FROM rungs) AS varchar[]))
      AND day >= :day1 AND day < :day2 AND prev_day < :day0
    GROUP BY 1, 2
    UNION ALL
    SELECT workflow_id, rung_key, count(*) FROM stored
    WHERE prev_at >= :m0 AND prev_at < :start AND started_at >= :d1 AND started_at < :d2
    GROUP BY 1, 2
    UNION ALL
    SELECT workflow_id, rung_key, count(*) FROM stored
    WHERE started_at >= :start AND started_at < :d1 AND (prev_at IS NULL OR prev_at < :start)
    GROUP BY 1, 2
    UNION ALL
    SELECT workflow_id, rung_key, count(*) FROM stored
    WHERE started_at >= :d2 AND started_at < :end AND (prev_at IS NULL OR prev_at < :start)
    GROUP BY 1, 2
),
-- The chain counts each reacher with a stored row in range once per rung: a dirty reacher's
-- stale rows are taken back out...
stale AS (
    SELECT d.workflow_id, x.rung_key, -count(*) AS n
    FROM dirty AS d
    CROSS JOIN LATERAL (
        SELECT DISTINCT l.rung_key FROM ladder_reach AS l
        WHERE l.tenant_id = :tenant AND l.workflow_id = d.workflow_id AND l.who = d.who
          AND l.rung_key = ANY(CAST((SELECT keys FROM rungs) AS varchar[]))
          AND l.started_at >= :start AND l.started_at < :end) AS x
    GROUP BY 1, 2
),
-- ...and counted from its live rows (accepted: a row past its hold).
fresh AS (
    SELECT v.workflow_id, v.rung_key, count(DISTINCT v.who) AS n
    FROM live AS v JOIN holds AS k USING (workflow_id)
    WHERE v.rung_key <> 'accepted' OR NOT coalesce(v.status_at + k.hold > :now, false)
    GROUP BY 1, 2
),
-- Clean reachers with an accepted row in range still inside its hold (status time after
-- `since`: a plain column, so it bounds the partial index under row-level security). The chain
-- counted them once; they count only with an accepted row in range past its hold. A reacher
-- whose one held row has no neighbour in range (prev_at before start, next_at at or after end)
-- has no other row there: no lookup.
held AS MATERIALIZED (
    SELECT l.workflow_id, l.who,
           count(*) = 1 AND bool_and((l.prev_at IS NULL OR l.prev_at < :start)
                                     AND (l.next_at IS NULL OR l.next_at >= :end)) AS alone
    FROM holds AS h
    CROSS JOIN LATERAL (
        SELECT l.workflow_id, l.who, l.prev_at, l.next_at FROM ladder_reach AS l
        WHERE l.tenant_id = :tenant AND l.workflow_id = h.workflow_id
          AND l.rung_key = 'accepted' AND l.status_at > h.since
          AND l.started_at >= :start AND l.started_at < :end) AS l
    WHERE NOT EXISTS (SELECT FROM dirty AS d WHERE d.workflow_id = l.workflow_id
                                              AND d.who = l.who)
    GROUP BY l.workflow_id, l.who
),
unheld AS (
    SELECT h.workflow_id, 'accepted' AS rung_key,
           -count(*) FILTER (WHERE CASE WHEN h.alone THEN true ELSE NOT EXISTS (
               SELECT FROM ladder_reach AS l JOIN holds AS k USING (workflow_id)
               WHERE l.tenant_id = :tenant AND l.workflow_id = h.workflow_id AND l.who = h.who
                 AND l.rung_key = 'accepted'
                 AND l.started_at >= :start AND l.started_at < :end
                 AND NOT coalesce(l.status_at + k.hold > :now, false)) END) AS n
    FROM held AS h
    GROUP BY 1
)
SELECT workflow_id, rung_key, sum(n) AS reached
FROM (SELECT * FROM chain UNION ALL SELECT * FROM stale UNION ALL SELECT * FROM fresh
      UNION ALL SELECT * FROM unheld) AS parts
GROUP BY 1, 2
HAVING sum(n) <> 0
"""  # noqa: S608 (module constants only)
).bindparams(bindparam("workflows", type_=ARRAY(UUID(as_uuid=True))))


def day_bounds(time_range: TimeRange) -> dict[str, Any]:
    """The statement's range parameters: [start, end) in UTC; m0, the midnight of start's day;
    [d1, d2), the whole UTC days inside the range (both `end` when there is none); and the
    dates of m0, d1 and d2."""
    start = time_range.start.astimezone(UTC)
    end = time_range.end.astimezone(UTC)
    m0 = datetime.combine(start.date(), time(), UTC)
    d1 = m0 if start == m0 else m0 + timedelta(days=1)
    d2 = datetime.combine(end.date(), time(), UTC)
    if d1 >= d2:
        d1 = d2 = end
    return {
        "start": start,
        "end": end,
        "m0": m0,
        "d1": d1,
        "d2": d2,
        "day0": m0.date(),
        "day1": d1.date(),
        "day2": d2.date(),
    }


async def reach_counts(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    now: datetime,
) -> dict[uuid.UUID, dict[str, int]]:
    """Distinct reachers of every active rung (and `accepted`) of each workflow's cohort."""
    # A generic plan (what a prepared statement gets from its sixth run) cannot use the range
    # bounds: 15 ms became 200 ms at 1M runs.
    await session.execute(CUSTOM_PLANS)
    # Estimated at ~280,000 (the held rows' `status_at > since` is guessed at a third), past
    # the JIT thresholds: compiling took longer than the ~20 ms the statement runs.
    await session.execute(NO_JIT)
    result = await session.execute(
        COUNTS,
        {
            "tenant": tenant_id,
            "workflows": list(workflow_ids),
            "now": now,
            **day_bounds(time_range),
        },
    )
    found: dict[uuid.UUID, dict[str, int]] = {wid: {} for wid in workflow_ids}
    for workflow_id, rung, reached in result.all():
        found[workflow_id][rung] = int(reached)
    return found


async def backlogged(session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    """True when the tenant has `LIVE_BACKLOG` markers or more (one short index scan)."""
    marked = await session.execute(BACKLOG, {"tenant": tenant_id, "limit": LIVE_BACKLOG})
    return int(marked.scalar_one()) >= LIVE_BACKLOG


async def drain(session: AsyncSession, max_keys: int = DRAIN_BATCH) -> int:
    """Recompute up to `max_keys` dirty reachers of the session's tenant; how many it did."""
    done = await session.execute(text("SELECT drain_ladder_reach(:n)"), {"n": max_keys})
    return int(done.scalar_one())
