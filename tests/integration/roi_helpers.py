"""Small explicit factories and readers for the ROI tests (rows inserted through a tenant
session, RLS on), on top of tests.integration.reads_factories."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from app.db.sessions import TenantSessions, raw_connection
from app.db.tables import Client, RevenueEvent, RoiBaseline, Workflow
from app.db.tables.roi import NO_CLIENT
from app.services.roi.recompute import DrainReport, drain, mark_for_rebuild

LATER = datetime(2026, 9, 1, tzinfo=UTC)
"""A `now` long after March 2026: every March window is FINAL, every hold has passed."""

# Every stored window and allocation of a tenant, every column that a recompute writes, in key
# order: two snapshots compare equal when the stored ROI state is the same.
STORED_WINDOWS = """
SELECT workflow_id, cohort_day, client_id, status, runs, successes, cost, attributed_revenue,
       baseline_revenue, labor_cost, revision, computed_at, recheck_at, claimants
FROM roi_windows WHERE tenant_id = $1 ORDER BY 1, 2, 3
"""
STORED_ALLOCATIONS = """
SELECT event_id, workflow_id, cohort_day, client_id, amount, runs
FROM revenue_allocations WHERE tenant_id = $1 ORDER BY 1, 2, 3
"""


def revenue(
    tenant_id: uuid.UUID,
    client: Client,
    amount: str,
    at: datetime,
    *,
    event_id: str | None = None,
    workflow: Workflow | None = None,
    **links: Any,
) -> RevenueEvent:
    return RevenueEvent(
        tenant_id=tenant_id,
        event_id=event_id or uuid.uuid4().hex,
        client_id=client.client_id,
        amount=Decimal(amount),
        occurred_at=at,
        workflow_id=workflow.workflow_id if workflow is not None else None,
        **links,
    )


def baseline(
    tenant_id: uuid.UUID,
    workflow: Workflow,
    revenue_per_success: str,
    human_cost_per_task: str | None = None,
    *,
    client: Client | None = None,
) -> RoiBaseline:
    return RoiBaseline(
        tenant_id=tenant_id,
        workflow_id=workflow.workflow_id,
        client_id=client.client_id if client is not None else NO_CLIENT,
        revenue_per_success=Decimal(revenue_per_success),
        human_cost_per_task=Decimal(human_cost_per_task) if human_cost_per_task else None,
    )


async def rebuild(
    sessions: TenantSessions, tenant_id: uuid.UUID, now: datetime = LATER, **kw: Any
) -> DrainReport:
    """Mark every window of the tenant dirty and drain (what `ledger roi rebuild` does)."""
    await mark_for_rebuild(sessions=sessions, tenant_id=tenant_id)
    return await drain(sessions=sessions, tenant_id=tenant_id, now=now, force=True, **kw)


async def fetch(sessions: TenantSessions, tenant_id: uuid.UUID, sql: str, *args: Any) -> list[dict]:
    async with sessions(tenant_id) as session:
        conn = await raw_connection(session)
        return [dict(row) for row in await conn.fetch(sql, *args)]


async def window_rows(sessions: TenantSessions, tenant_id: uuid.UUID) -> list[dict]:
    """Every stored window, every column, in key order."""
    return await fetch(
        sessions,
        tenant_id,
        "SELECT * FROM roi_windows WHERE tenant_id = $1 "
        "ORDER BY workflow_id, cohort_day, client_id",
        tenant_id,
    )


async def allocation_rows(sessions: TenantSessions, tenant_id: uuid.UUID) -> list[dict]:
    return await fetch(
        sessions,
        tenant_id,
        "SELECT event_id, cohort_day, amount, runs FROM revenue_allocations WHERE tenant_id = $1 "
        "ORDER BY event_id, workflow_id, cohort_day",
        tenant_id,
    )
