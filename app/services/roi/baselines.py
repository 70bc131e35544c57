"""Baselines: what the manual process earned per success and what a task cost in human time.

`setBaseline` stores, per workflow or per (workflow, client), `revenuePerSuccess` (>= 0) and an
optional `humanCostPerTask` (>= 0), both currency units rounded to 10 decimal places and below
10^10. A client's own baseline overrides the workflow-wide one for that client's windows
(app.domain.roi.baseline_in_force). Setting a baseline replaces the previous values and marks
every stored window it applies to for recompute — a FINAL window whose baseline revenue changes
is revised (`revision + 1`), never silently. There is no history of baselines: the one in force
now applies to every window.

Revenue events themselves are ingest records: see app.services.ingest.revenue.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sessions import raw_connection
from app.db.tables.roi import NO_CLIENT
from app.domain.money import quantize_money
from app.services.ingest.errors import FieldError
from app.services.ingest.fields import MONEY_LIMIT
from app.services.roi.dirty import Pair, mark_baseline

UPSERT_BASELINE = """
INSERT INTO roi_baselines (tenant_id, workflow_id, client_id, revenue_per_success,
                           human_cost_per_task, updated_at)
VALUES ($1, $2, $3, $4, $5, now())
ON CONFLICT (tenant_id, workflow_id, client_id) DO UPDATE SET
    revenue_per_success = EXCLUDED.revenue_per_success,
    human_cost_per_task = EXCLUDED.human_cost_per_task,
    updated_at = EXCLUDED.updated_at
"""


@dataclass(frozen=True)
class BaselineSet:
    """What setBaseline stored, and the windows it marked for recompute."""

    workflow_id: uuid.UUID
    client_id: uuid.UUID | None
    revenue_per_success: Decimal
    human_cost_per_task: Decimal | None
    marked: list[Pair]


def _amount(field: str, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0:
        raise FieldError(field, f"must be a finite amount >= 0 (got {value})")
    if value >= MONEY_LIMIT:
        raise FieldError(field, f"must be below {MONEY_LIMIT:,}")
    return quantize_money(value)


async def set_baseline(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_key: str,
    client_id: uuid.UUID | None,
    revenue_per_success: Decimal,
    human_cost_per_task: Decimal | None = None,
) -> BaselineSet:
    """Insert or replace a baseline; returns it as stored, with the windows marked for recompute.

    Raises FieldError naming "revenuePerSuccess", "humanCostPerTask", "workflowKey" or
    "clientId" (unknown in this tenant).
    """
    revenue = _amount("revenuePerSuccess", revenue_per_success)
    human = _amount("humanCostPerTask", human_cost_per_task)
    conn = await raw_connection(session)
    workflow_id = await conn.fetchval(
        "SELECT workflow_id FROM workflows WHERE tenant_id = $1 AND key = $2",
        tenant_id,
        workflow_key,
    )
    if workflow_id is None:
        raise FieldError("workflowKey", f"no workflow {workflow_key!r} in this tenant")
    if client_id is not None and not await conn.fetchval(
        "SELECT true FROM clients WHERE tenant_id = $1 AND client_id = $2", tenant_id, client_id
    ):
        raise FieldError("clientId", f"no client {client_id} in this tenant")
    await conn.execute(
        UPSERT_BASELINE, tenant_id, workflow_id, client_id or NO_CLIENT, revenue, human
    )
    marked = await mark_baseline(conn, tenant_id, workflow_id, client_id)
    assert revenue is not None  # revenue_per_success is required
    return BaselineSet(workflow_id, client_id, revenue, human, marked)
