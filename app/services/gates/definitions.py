"""Autonomy gate definitions: set a gate (a new version, history kept) and read the gates in force.

A gate is identified by (workflow, target level). Setting it inserts the next version — the rows
are never updated — so `gate_history` is the full record of who changed what, and when. The
workflow row is locked (FOR UPDATE) while the version number is taken, so concurrent writers of
one workflow's gates queue instead of colliding on the key.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import AutonomyGate as GateRow
from app.db.tables import Workflow as WorkflowRow
from app.domain.gates import GateSpec
from app.domain.money import quantize_money
from app.records import copy_fields

GATES = GateRow.__table__  # type: ignore[attr-defined]
WORKFLOWS = WorkflowRow.__table__  # type: ignore[attr-defined]
ACTOR_LENGTH = 200


class WorkflowNotFound(LookupError):
    """No workflow with this key in the tenant; `field` names the argument that carried it."""

    def __init__(self, key: str, field: str = "workflowKey") -> None:
        super().__init__(f"No workflow with key {key!r}.")
        self.key = key
        self.field = field


async def lock_workflow(
    *, session: AsyncSession, tenant_id: uuid.UUID, key: str, field: str = "workflowKey"
) -> WorkflowRow:
    """The workflow `key`, locked FOR UPDATE until the transaction ends, freshly read."""
    result = await session.execute(
        select(WorkflowRow)
        .where(WORKFLOWS.c.tenant_id == tenant_id, WORKFLOWS.c.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    row = result.scalar_one_or_none()
    if row is None:
        raise WorkflowNotFound(key, field)
    return row


def spec_of(row: GateRow) -> GateSpec:
    """The definition a stored gate version holds (its columns are GateSpec's fields)."""
    return copy_fields(GateSpec, row)


async def set_gate(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_key: str,
    spec: GateSpec,
    actor: str,
    now: datetime,
) -> GateRow:
    """Store `spec` as the next version of the workflow's gate for `spec.target_level`.

    `spec` is already validated (GateSpec refuses bad values). Raises WorkflowNotFound.
    """
    workflow = await lock_workflow(session=session, tenant_id=tenant_id, key=workflow_key)
    latest = await session.scalar(
        select(func.max(GATES.c.version)).where(
            GATES.c.tenant_id == tenant_id,
            GATES.c.workflow_id == workflow.workflow_id,
            GATES.c.target_level == spec.target_level,
        )
    )
    row = GateRow(
        tenant_id=tenant_id,
        workflow_id=workflow.workflow_id,
        target_level=spec.target_level,
        version=(latest or 0) + 1,
        min_acceptance_rate=float(spec.min_acceptance_rate),
        min_sample_size=spec.min_sample_size,
        confidence=float(spec.confidence),
        max_cost_per_outcome=quantize_money(spec.max_cost_per_outcome),  # as NUMERIC(20, 10)
        max_drift_pct=float(spec.max_drift_pct),
        window_days=spec.window_days,
        auto_demote_after=spec.auto_demote_after,
        set_by=actor[:ACTOR_LENGTH],
        set_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def gates_in_force(
    *, session: AsyncSession, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[int, GateRow]]:
    """For each workflow, its gates in force (highest version) by target level; one query."""
    statement = (
        select(GateRow)
        .where(GATES.c.tenant_id == tenant_id, GATES.c.workflow_id.in_(workflow_ids))
        .ext(distinct_on(GATES.c.workflow_id, GATES.c.target_level))
        .order_by(GATES.c.workflow_id, GATES.c.target_level, GATES.c.version.desc())
    )
    found: dict[uuid.UUID, dict[int, GateRow]] = {wid: {} for wid in workflow_ids}
    for row in (await session.execute(statement)).scalars():
        found[row.workflow_id][row.target_level] = row
    return found


async def gate_history(
    *, session: AsyncSession, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[GateRow]]:
    """Every version of every gate of each workflow, newest first; one query."""
    statement = (
        select(GateRow)
        .where(GATES.c.tenant_id == tenant_id, GATES.c.workflow_id.in_(workflow_ids))
        .order_by(GATES.c.workflow_id, GATES.c.set_at.desc(), GATES.c.version.desc())
    )
    found: dict[uuid.UUID, list[GateRow]] = {wid: [] for wid in workflow_ids}
    for row in (await session.execute(statement)).scalars():
        found[row.workflow_id].append(row)
    return found
