"""A run's status is derived from its full label history, never from the latest label alone.

After new labels land, every touched run is recomputed with `app.domain.acceptance`: a label
inside the workflow's acceptance hold revokes a provisional acceptance (a reopened ticket); once
the hold has passed the acceptance is final, and later labels stay in history with
`applied = false`.

Concurrency: the touched runs are locked `FOR UPDATE` (in correlation-id order) *before* their
labels are inserted, so two batches labelling the same run serialize, and the one that commits
last computes from a history that includes every label of both.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from app.db.tenant_sql import TenantSql
from app.domain.acceptance import Label, current_state, labels_applied
from app.domain.enums import RunStatus
from app.services.ingest.arrays import columns

# The runs are found by key with the tenant written `{tenant}` (app.db.tenant_sql): given the
# value of a tenant newer than the statistics, both statements read its whole range of runs.
LOCK_RUNS = TenantSql("""
SELECT r.correlation_id, w.acceptance_hold_hours
FROM runs r
JOIN workflows w ON w.tenant_id = r.tenant_id AND w.workflow_id = r.workflow_id
WHERE r.tenant_id = {tenant} AND r.correlation_id = ANY($2::text[])
ORDER BY r.correlation_id
FOR UPDATE OF r
""")

LOAD_LABELS = """
SELECT correlation_id, at, status, applied
FROM run_labels
WHERE tenant_id = $1 AND correlation_id = ANY($2::text[])
ORDER BY correlation_id, at, recorded_at, status
"""

UPDATE_RUNS = TenantSql("""
UPDATE runs SET status = u.status, status_at = u.status_at, ended_at = u.ended_at
FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[])
    AS u(correlation_id, status, status_at, ended_at)
WHERE runs.tenant_id = {tenant} AND runs.correlation_id = u.correlation_id
  AND (runs.status, runs.status_at, runs.ended_at)
      IS DISTINCT FROM (u.status, u.status_at, u.ended_at)
""")

UPDATE_APPLIED = """
UPDATE run_labels SET applied = u.applied
FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::bool[])
    AS u(correlation_id, at, status, applied)
WHERE run_labels.tenant_id = $1 AND run_labels.correlation_id = u.correlation_id
  AND run_labels.at = u.at AND run_labels.status = u.status
  AND run_labels.applied IS DISTINCT FROM u.applied
"""


async def lock_runs(
    conn: Any, tenant_id: uuid.UUID, correlation_ids: Iterable[str]
) -> dict[str, int]:
    """Lock the runs `FOR UPDATE`; returns each run's acceptance hold in hours."""
    rows = await conn.fetch(await LOCK_RUNS.on(conn), tenant_id, sorted(set(correlation_ids)))
    return {row["correlation_id"]: row["acceptance_hold_hours"] for row in rows}


async def recompute_run_states(
    conn: Any, tenant_id: uuid.UUID, holds: dict[str, int], correlation_ids: Iterable[str]
) -> None:
    """Recompute status/status_at/ended_at of the (locked) runs and `applied` of their labels.

    One query loads every label of the runs; two set-based updates write only what changed.
    """
    touched = sorted(set(correlation_ids))
    if not touched:
        return
    history: dict[str, list[tuple[datetime, str, bool]]] = defaultdict(list)
    for row in await conn.fetch(LOAD_LABELS, tenant_id, touched):
        history[row["correlation_id"]].append((row["at"], row["status"], row["applied"]))

    run_rows: list[tuple[str, str, datetime | None, datetime | None]] = []
    label_rows: list[tuple[str, datetime, str, bool]] = []
    for cid in touched:
        stored = history.get(cid, [])
        labels = [Label(status=RunStatus(status), at=at) for at, status, _ in stored]
        hold = holds[cid]
        state = current_state(labels, hold)
        run_rows.append((cid, state.status.value, state.status_at, state.ended_at))
        for (at, status, _), applied in zip(stored, labels_applied(labels, hold), strict=True):
            label_rows.append((cid, at, status, applied))

    await conn.execute(await UPDATE_RUNS.on(conn), tenant_id, *columns(run_rows, 4))
    if label_rows:
        await conn.execute(UPDATE_APPLIED, tenant_id, *columns(label_rows, 4))
