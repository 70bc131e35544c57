"""Draining dirty markers: recompute ROI windows in batches, one transaction per batch.

A batch is up to `batch_size` dirty (workflow, cohort day) pairs of one tenant — or, when the
markers first in line were left by revenue alone and their windows are fresh, up to
`batch_size × REVENUE_BATCH_FACTOR` of them done by the fast path of
`app.services.roi.revenue_batch` (split the new events, re-sum attributed revenue;
steps 3–4 below are skipped). In ONE transaction it:

1. takes the tenant's ROI advisory lock (`pg_advisory_xact_lock`), so two workers never
   re-attribute the same revenue at once (tenants still run in parallel);
2. reads the batch's markers (with their `marked_at`);
3. re-attributes the revenue of its windows whose claimants changed, and revenue no recompute has
   seen (`app.services.roi.allocation`) — which may touch windows of other days or workflows
   (a split changed);
4. recomputes and upserts every window of the batch — of a marker naming clients (revenue,
   migration 0008) only those clients' windows — and the windows of those touched splits:
   the event's client's window of each (workflow, day), not the pair's other clients
   (`app.services.roi.windows`);
5. deletes the markers it read — only those whose `marked_at` is unchanged: a change committed
   by ingest meanwhile re-marked its pair, and that marker stays for the next batch.

So a worker killed mid-batch leaves nothing half-written (the transaction rolls back, markers
stay), and running a batch twice writes nothing the second time.
"""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db.sessions import NO_JIT_SQL, TenantSessions, raw_connection
from app.db.tables.roi import NO_CLIENT
from app.services.roi.allocation import changed_windows, fingerprints, reattribute
from app.services.roi.dirty import Key, Pair, dirty_count, mark_due, mark_everything
from app.services.roi.revenue_batch import revenue_batch
from app.services.roi.windows import compute_windows, store_windows

LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('ledger.roi:' || $1::text, 0))"
# A drain batch's statements are keyed by arrays (unnest) whose size the plan must know:
# PostgreSQL switches a prepared statement to a generic plan after five executions, which
# guesses 10 keys and one marker — for RELEASE a nested loop unnesting all the batch's keys again
# for every marker (55-76 ms for a 617-window retainer from the sixth drain of a connection on,
# 2 ms planned for its arrays). Planning them each time costs ~4 ms per batch.
DRAIN_PLANNING = f"{NO_JIT_SQL}; SET LOCAL plan_cache_mode = force_custom_plan"

CLAIM = """
SELECT workflow_id, cohort_day, marked_at, clients FROM roi_dirty
WHERE tenant_id = $1
  AND ($2::uuid[] IS NULL
       OR (workflow_id, cohort_day) IN (SELECT * FROM unnest($2::uuid[], $3::date[])))
ORDER BY marked_at, workflow_id, cohort_day
LIMIT $4
"""

# The markers read are locked in (workflow, day) order — the order `roi_dirty.MARK` takes them
# in, so a drain and an ingest never deadlock —, then deleted by their row addresses (`ctid`,
# stable once locked; a marker updated meanwhile is re-read by the lock, fails the `marked_at`
# test and stays): one TID scan, whatever the statistics say. Joined on the key instead, the
# planner (estimating the just-analyzed, emptied table at one row) looped over every locked
# marker for each marker: 531 × 531 comparisons, 70 ms for a 617-window retainer.
RELEASE = """
WITH done AS (
    SELECT d.ctid AS id FROM roi_dirty d
    JOIN unnest($2::uuid[], $3::date[], $4::timestamptz[]) AS m(workflow_id, cohort_day, marked_at)
      ON d.workflow_id = m.workflow_id AND d.cohort_day = m.cohort_day
     AND d.marked_at = m.marked_at
    WHERE d.tenant_id = $1
    ORDER BY d.workflow_id, d.cohort_day
    FOR UPDATE OF d
)
DELETE FROM roi_dirty d USING done
WHERE d.tenant_id = $1 AND d.ctid = done.id
"""

DEFAULT_BATCH_SIZE = 200
REVENUE_BATCH_FACTOR = 10
"""A batch of revenue markers on fresh windows (app.services.roi.revenue_batch: a few set-based
statements, nothing loaded per run) takes up to this many times `batch_size` markers."""


@dataclass(frozen=True)
class BatchStats:
    """One batch of a tenant: markers drained, windows recomputed and actually changed."""

    tenant_id: uuid.UUID
    number: int
    markers: int
    windows: int
    changed: int
    cascaded: int  # pairs recomputed because a revenue split moved into or out of them


@dataclass
class DrainReport:
    tenant_id: uuid.UUID
    batches: list[BatchStats] = field(default_factory=list)
    remaining: int = 0

    @property
    def markers(self) -> int:
        return sum(b.markers for b in self.batches)

    @property
    def windows(self) -> int:
        return sum(b.windows for b in self.batches)

    @property
    def changed(self) -> int:
        return sum(b.changed for b in self.batches)


Hook = Callable[[BatchStats], Awaitable[None]]


def _order(key: Key) -> tuple[uuid.UUID, Any, str]:
    return (key[0], key[1], str(key[2] or ""))


async def recompute_batch(
    conn: Any,
    tenant_id: uuid.UUID,
    pairs: Sequence[Pair],
    now: datetime,
    *,
    force: bool = False,
    clients: Sequence[Sequence[uuid.UUID] | None] | None = None,
) -> tuple[int, int, int]:
    """Steps 3 and 4 for `pairs`; returns (windows recomputed, rows changed, cascaded windows).

    `clients[i]` restricts pair i to those clients' windows (a marker left by revenue events,
    migration 0008); None, or no `clients`, means every window of the pair. A batch of such
    markers only, on fresh windows, takes the fast path of `app.services.roi.revenue_batch` (new
    revenue re-sums attributed revenue; nothing else of the windows is recomputed). Otherwise
    revenue is re-attributed for the windows whose claimants changed (all with `force`) and for
    events no recompute has seen (app.services.roi.allocation); the batch's windows then store their
    current claimant fingerprints, and the other windows whose share of revenue moved (the
    event's client's windows of other pairs) are recomputed too.
    """
    keys: list[Key] = []
    for i, (workflow_id, day) in enumerate(pairs):
        only = clients[i] if clients is not None else None
        if only is None:
            keys.append((workflow_id, day, None))
        else:
            keys += [(workflow_id, day, c) for c in sorted(set(only))]
    if not force:
        fast = await revenue_batch(conn, tenant_id, keys, now)
        # Only revenue arrived, on fresh windows (app.services.roi.revenue_batch).
        if fast is not None:
            return fast
    whole = {(k[0], k[1]) for k in keys if k[2] is None}
    some = {k for k in keys if k[2] is not None}

    def in_batch(workflow_id: uuid.UUID, day: Any, client: uuid.UUID | None) -> bool:
        return (workflow_id, day) in whole or (workflow_id, day, client) in some

    current, stored = await fingerprints(conn, tenant_id, keys, now)
    changed = changed_windows(current, stored, force=force)
    touched = await reattribute(conn, tenant_id, keys, changed, now)
    cascaded: list[Key] = sorted((k for k in touched if not in_batch(*k)), key=_order)
    windows = []
    for w in await compute_windows(conn, tenant_id, sorted(keys, key=_order) + cascaded, now):
        if in_batch(w.workflow_id, w.cohort_day, w.client_id):
            key = (w.workflow_id, w.cohort_day, w.client_id or NO_CLIENT)
            w = replace(w, claimants=current.get(key, ""))
        windows.append(w)
    written = await store_windows(conn, tenant_id, windows, now)
    return len(windows), written, len(cascaded)


async def drain(
    *,
    sessions: TenantSessions,
    tenant_id: uuid.UUID,
    now: datetime,
    pairs: Sequence[Pair] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
    include_due: bool = False,
    force: bool = False,
    before_commit: Hook | None = None,
    after_commit: Hook | None = None,
    deadline: float | None = None,
) -> DrainReport:
    """Drain the tenant's markers (only those of `pairs` when given) batch by batch.

    `include_due` first marks the windows whose `recheck_at` has passed (the cron's catch-up:
    windows turning FINAL, acceptance holds ending). `force` re-attributes the revenue of every
    drained window, changed claimants or not (a rebuild). `before_commit` runs inside each batch's
    transaction after its writes (an exception rolls the whole batch back); `after_commit` runs
    once it committed (progress reporting). Stops after `max_batches` batches when given, and
    starts no batch after the first once `time.monotonic()` has passed `deadline` (the report's
    `remaining` says what is left).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    report = DrainReport(tenant_id)
    wanted = ([p[0] for p in pairs], [p[1] for p in pairs]) if pairs is not None else (None, None)
    if include_due:
        async with sessions(tenant_id) as session:
            await mark_due(await raw_connection(session), tenant_id, now)
    while max_batches is None or len(report.batches) < max_batches:
        if deadline is not None and report.batches and time.monotonic() >= deadline:
            break
        async with sessions(tenant_id) as session:
            conn = await raw_connection(session)
            await conn.execute(LOCK, str(tenant_id))
            # Index lookups per key: JIT compilation (triggered by the planner's cost guesses
            # for unnest() batches) would cost more than the statements themselves; plans made
            # for the batch's actual arrays (DRAIN_PLANNING).
            await conn.execute(DRAIN_PLANNING)
            limit = batch_size if force else batch_size * REVENUE_BATCH_FACTOR
            markers = await conn.fetch(CLAIM, tenant_id, *wanted, limit)
            if not markers:
                break
            # Revenue markers (naming clients) first in line: up to `limit` of them in one
            # batch when the fast path takes them; else the usual `batch_size` markers.
            head = list(itertools.takewhile(lambda m: m["clients"] is not None, markers))
            done = None
            if head and not force:
                keys = [(m["workflow_id"], m["cohort_day"], c) for m in head for c in m["clients"]]
                done = await revenue_batch(conn, tenant_id, keys, now)
                if done is not None:
                    markers = head
            markers = markers if done is not None else markers[:batch_size]
            if done is None:
                claimed = [(m["workflow_id"], m["cohort_day"]) for m in markers]
                done = await recompute_batch(
                    conn,
                    tenant_id,
                    claimed,
                    now,
                    force=force,
                    clients=[m["clients"] for m in markers],
                )
            windows, changed, cascaded = done
            await conn.execute(
                RELEASE,
                tenant_id,
                [m["workflow_id"] for m in markers],
                [m["cohort_day"] for m in markers],
                [m["marked_at"] for m in markers],
            )
            number = len(report.batches) + 1
            stats = BatchStats(tenant_id, number, len(markers), windows, changed, cascaded)
            if before_commit is not None:
                await before_commit(stats)
        report.batches.append(stats)
        if after_commit is not None:
            await after_commit(stats)
    async with sessions(tenant_id) as session:
        report.remaining = await dirty_count(await raw_connection(session), tenant_id)
    return report


async def mark_for_rebuild(*, sessions: TenantSessions, tenant_id: uuid.UUID) -> int:
    """Mark every window the tenant has or could have; returns how many markers wait."""
    async with sessions(tenant_id) as session:
        conn = await raw_connection(session)
        await mark_everything(conn, tenant_id)
        return await dirty_count(conn, tenant_id)


async def pending_markers(*, sessions: TenantSessions, tenant_id: uuid.UUID) -> int:
    async with sessions(tenant_id) as session:
        return await dirty_count(await raw_connection(session), tenant_id)


@dataclass(frozen=True)
class TenantBacklog:
    tenant_id: uuid.UUID
    dirty: int  # (workflow, day) markers waiting for a recompute
    due: int  # windows whose recheck time has passed (turning FINAL, holds ending)


async def backlog(connection: AsyncConnection, now: datetime) -> list[TenantBacklog]:
    """Tenants with ROI work pending, through the SECURITY DEFINER `ledger_dirty_tenants`
    (migration 0003): counts only, on a connection with no tenant set."""
    result = await connection.execute(
        text("SELECT tenant_id, dirty, due FROM ledger_dirty_tenants(:at)"), {"at": now}
    )
    return [TenantBacklog(row.tenant_id, row.dirty, row.due) for row in result]
