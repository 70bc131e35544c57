"""Reads of ROI: stored windows, their sums per (workflow, client), unattributed revenue.

Everything here reads what the workers stored; nothing is computed from runs at read time, so
`roiWindows`, `Workflow.roi` and `Client.roi` always agree with each other. A range selects the
windows whose `windowStart` (a UTC midnight) lies in `[from, to)`; for unattributed revenue it
selects the events that *occurred* in `[from, to)`.

Each function answers a whole batch (many workflows or clients) with one statement, grouped by
(workflow, client); the domain (`app.domain.roi.add_totals`) adds the groups up.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sessions import raw_connection
from app.db.tables.roi import NO_CLIENT
from app.domain.roi import WindowStatus, WindowTotals, days_in_range
from app.records import copy_columns
from app.services.costs.scope import TimeRange


@dataclass(frozen=True)
class StoredWindow:
    workflow_id: uuid.UUID
    client_id: uuid.UUID | None
    cohort_day: date
    status: WindowStatus
    totals: WindowTotals
    revision: int
    computed_at: datetime


@dataclass(frozen=True)
class GroupTotals:
    """Windows of one (workflow, client) in a range, summed; `any_open` when one is OPEN."""

    workflow_id: uuid.UUID
    client_id: uuid.UUID | None
    totals: WindowTotals
    any_open: bool


def _client(value: uuid.UUID) -> uuid.UUID | None:
    return None if value == NO_CLIENT else value


def window_totals(row: Mapping[str, Any]) -> WindowTotals:
    """The additive figures of a row named as roi_windows' columns (a window, or a sum)."""
    return copy_columns(WindowTotals, row)


def stored_window(row: Mapping[str, Any]) -> StoredWindow:
    """A window from a row of roi_windows' columns."""
    return StoredWindow(
        workflow_id=row["workflow_id"],
        client_id=_client(row["client_id"]),
        cohort_day=row["cohort_day"],
        status=WindowStatus(row["status"]),
        totals=window_totals(row),
        revision=row["revision"],
        computed_at=row["computed_at"],
    )


def _days(time_range: TimeRange | None) -> tuple[date | None, date | None] | None:
    """(first, last) cohort day of the range; (None, None) for no range; None for an empty one."""
    if time_range is None:
        return (None, None)
    return days_in_range(time_range.start, time_range.end)


WINDOWS = """
SELECT workflow_id, client_id, cohort_day, status, runs, successes, cost, attributed_revenue,
       baseline_revenue, labor_cost, revision, computed_at
FROM roi_windows
WHERE tenant_id = $1 AND workflow_id = ANY($2::uuid[])
  AND ($3::uuid IS NULL OR client_id = $3)
  AND ($4::date IS NULL OR cohort_day >= $4) AND ($5::date IS NULL OR cohort_day <= $5)
  AND ($6::text IS NULL OR status = $6)
ORDER BY workflow_id, cohort_day, client_id
"""


async def list_windows(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    client_id: uuid.UUID | None = None,
    time_range: TimeRange | None = None,
    status: WindowStatus | None = None,
) -> dict[uuid.UUID, list[StoredWindow]]:
    """Each workflow's stored windows (by day, then client), filtered as asked."""
    found: dict[uuid.UUID, list[StoredWindow]] = {wid: [] for wid in workflow_ids}
    days = _days(time_range)
    if days is None:
        return found
    conn = await raw_connection(session)
    rows = await conn.fetch(
        WINDOWS,
        tenant_id,
        list(workflow_ids),
        client_id,
        days[0],
        days[1],
        status.value if status is not None else None,
    )
    for row in rows:
        found[row["workflow_id"]].append(stored_window(row))
    return found


GROUP_TOTALS = """
SELECT workflow_id, client_id, sum(runs)::bigint AS runs, sum(successes)::bigint AS successes,
       sum(cost) AS cost, sum(attributed_revenue) AS attributed_revenue,
       sum(baseline_revenue) AS baseline_revenue,
       CASE WHEN bool_and(labor_cost IS NOT NULL) THEN sum(labor_cost) END AS labor_cost,
       bool_or(status = 'OPEN') AS any_open
FROM roi_windows
WHERE tenant_id = $1
  AND ($2::uuid[] IS NULL OR workflow_id = ANY($2::uuid[]))
  AND ($3::uuid[] IS NULL OR client_id = ANY($3::uuid[]))
  AND cohort_day BETWEEN $4 AND $5
GROUP BY workflow_id, client_id
"""


async def group_totals(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    time_range: TimeRange,
    workflow_ids: Sequence[uuid.UUID] | None = None,
    client_ids: Sequence[uuid.UUID] | None = None,
) -> list[GroupTotals]:
    """Window sums per (workflow, client) over the range, for the given workflows / clients
    (None: all). Client None in `client_ids` is not supported: no-client windows are only
    reachable through a workflow."""
    days = _days(time_range)
    if days is None:
        return []
    conn = await raw_connection(session)
    rows = await conn.fetch(
        GROUP_TOTALS,
        tenant_id,
        list(workflow_ids) if workflow_ids is not None else None,
        list(client_ids) if client_ids is not None else None,
        days[0],
        days[1],
    )
    return [
        GroupTotals(
            workflow_id=row["workflow_id"],
            client_id=_client(row["client_id"]),
            totals=window_totals(row),
            any_open=row["any_open"],
        )
        for row in rows
    ]


# An event belongs to a workflow when it names it, or names a run of it; otherwise (subject
# only, or no link) it belongs to no single workflow (workflow_id NULL here).
UNATTRIBUTED = """
SELECT e.client_id, COALESCE(e.workflow_id, r.workflow_id) AS workflow_id,
       sum(e.amount) AS amount
FROM revenue_events e
LEFT JOIN runs r ON r.tenant_id = $1 AND r.correlation_id = e.correlation_id
WHERE e.tenant_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3
  AND ($4::uuid[] IS NULL OR e.client_id = ANY($4::uuid[]))
  AND NOT EXISTS (
      SELECT 1 FROM revenue_allocations a
      WHERE a.tenant_id = $1 AND a.event_id = e.event_id
  )
GROUP BY 1, 2
"""


async def unattributed_revenue(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    time_range: TimeRange,
    client_ids: Sequence[uuid.UUID] | None = None,
) -> dict[tuple[uuid.UUID, uuid.UUID | None], Decimal]:
    """Revenue that occurred in the range and that no run claims, per (client, workflow the
    event belongs to, or None)."""
    conn = await raw_connection(session)
    rows = await conn.fetch(
        UNATTRIBUTED,
        tenant_id,
        time_range.start,
        time_range.end,
        list(client_ids) if client_ids is not None else None,
    )
    return {(row["client_id"], row["workflow_id"]): row["amount"] for row in rows}


PENDING = """
SELECT DISTINCT workflow_id FROM roi_dirty
WHERE tenant_id = $1 AND cohort_day BETWEEN $2 AND $3
"""


async def workflows_pending(
    *, session: AsyncSession, tenant_id: uuid.UUID, time_range: TimeRange
) -> set[uuid.UUID]:
    """Workflows with a window of the range waiting for a recompute (a dirty marker)."""
    days = _days(time_range)
    if days is None:
        return set()
    conn = await raw_connection(session)
    rows = await conn.fetch(PENDING, tenant_id, days[0], days[1])
    return {row["workflow_id"] for row in rows}
