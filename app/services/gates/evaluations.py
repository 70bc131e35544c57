"""Stored gate evaluations: evaluate every gate of a tenant, store, and demote automatically.

The worker calls `evaluate_tenant` once per tenant per run: every gate in force of every
workflow is evaluated as of `now` (grouped by window, see `readiness.evaluate_targets`), all
evaluations are written with one `INSERT … SELECT FROM unnest`, and each workflow whose gate
for its *current* level has `auto_demote_after = K` is demoted one level when its K most recent
evaluations at that level — since the level last changed — are all FAIL.

`ledger_tenant_ids()` (migration 0004) is how the worker learns which tenants exist: RLS lets
no application session list them, and the SECURITY DEFINER function returns ids only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import aliased

from app.db.sessions import raw_connection
from app.db.tables import AutonomyGate as GateRow
from app.db.tables import GateEvaluation as EvaluationRow
from app.db.tables import Workflow as WorkflowRow
from app.domain.gates import CheckStatus
from app.domain.readiness import AutonomyEventKind, Readiness, should_auto_demote
from app.services.gates.autonomy import demote, last_level_change
from app.services.gates.definitions import gates_in_force, lock_workflow
from app.services.gates.readiness import evaluate_targets
from app.services.gates.readiness_json import readiness_to_json
from app.services.ingest.arrays import counted
from app.services.tenancy import catalog

EVALUATIONS = EvaluationRow.__table__  # type: ignore[attr-defined]
AUTO_DEMOTION_ACTOR = "system:auto-demotion"

# The evaluation ids are new, so ON CONFLICT never fires; it makes Citus insert through
# intermediate results rather than COPY, which row-level security refuses there.
INSERT_EVALUATIONS = """
INSERT INTO gate_evaluations (tenant_id, evaluation_id, workflow_id, target_level, gate_version,
                              workflow_level, status, readiness, evaluated_at)
SELECT $1::uuid, u.evaluation_id, u.workflow_id, u.target_level, u.gate_version,
       u.workflow_level, u.status, u.readiness::jsonb, $2::timestamptz
FROM unnest($3::uuid[], $4::uuid[], $5::int4[], $6::int4[], $7::int4[], $8::text[], $9::text[])
     AS u(evaluation_id, workflow_id, target_level, gate_version, workflow_level, status, readiness)
ON CONFLICT (tenant_id, evaluation_id) DO NOTHING
"""


@dataclass
class TenantEvaluation:
    """What one evaluation pass over a tenant did."""

    evaluated: int = 0
    demoted: list[str] = field(default_factory=list)  # workflow keys auto-demoted


async def tenant_ids(connection: AsyncConnection) -> list[uuid.UUID]:
    """Every tenant id, through the SECURITY DEFINER registry (no tenant need be set)."""
    result = await connection.execute(text("SELECT ledger_tenant_ids()"))
    return [row[0] for row in result]


async def store_evaluations(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    evaluated: Sequence[tuple[WorkflowRow, GateRow, Readiness]],
    now: datetime,
) -> int:
    """Insert one row per evaluation, set-based; returns how many were written."""
    if not evaluated:
        return 0
    rows = [
        (
            uuid.uuid4(),
            workflow.workflow_id,
            gate.target_level,
            gate.version,
            workflow.autonomy_level,
            readiness.status.value,
            json.dumps(readiness_to_json(readiness)),
        )
        for workflow, gate, readiness in evaluated
    ]
    conn = await raw_connection(session)
    written = await conn.fetchval(
        counted(INSERT_EVALUATIONS), tenant_id, now, *[[row[i] for row in rows] for i in range(7)]
    )
    return int(written)


async def recent_evaluations(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    first: int,
    target_level: int | None = None,
    since: dict[uuid.UUID, datetime] | None = None,
) -> dict[uuid.UUID, list[EvaluationRow]]:
    """The `first` most recent evaluations of each workflow, newest first; one query.

    `target_level` keeps only evaluations of that level's gate; `since` keeps, per workflow,
    only evaluations after the given time.
    """
    filters = [EVALUATIONS.c.tenant_id == tenant_id, EVALUATIONS.c.workflow_id.in_(workflow_ids)]
    if target_level is not None:
        filters.append(EVALUATIONS.c.target_level == target_level)
    ranked = (
        select(
            EVALUATIONS,
            func.row_number()
            .over(
                partition_by=EVALUATIONS.c.workflow_id,
                order_by=(EVALUATIONS.c.evaluated_at.desc(), EVALUATIONS.c.target_level),
            )
            .label("rank"),
        )
        .where(*filters)
        .subquery("ranked")
    )
    evaluation = aliased(EvaluationRow, ranked)
    statement = select(evaluation).where(ranked.c.rank <= first)
    statement = statement.order_by(ranked.c.workflow_id, ranked.c.rank)
    found: dict[uuid.UUID, list[EvaluationRow]] = {wid: [] for wid in workflow_ids}
    cutoff = since or {}
    for row in (await session.execute(statement)).scalars():
        after = cutoff.get(row.workflow_id)
        if after is None or row.evaluated_at > after:
            found[row.workflow_id].append(row)
    return found


async def evaluate_tenant(
    *, session: AsyncSession, tenant_id: uuid.UUID, now: datetime
) -> TenantEvaluation:
    """Evaluate and store every gate in force of the tenant, then apply auto-demotions."""
    workflows = await catalog.list_workflows(session=session, tenant_id=tenant_id)
    if not workflows:
        return TenantEvaluation()
    gates = await gates_in_force(
        session=session, tenant_id=tenant_id, workflow_ids=[w.workflow_id for w in workflows]
    )
    targets = [(w, gate) for w in workflows for _, gate in sorted(gates[w.workflow_id].items())]
    verdicts = await evaluate_targets(
        session=session, tenant_id=tenant_id, targets=targets, now=now
    )
    evaluated = [(w, g, r) for (w, g), r in zip(targets, verdicts, strict=True)]
    summary = TenantEvaluation(
        evaluated=await store_evaluations(
            session=session, tenant_id=tenant_id, evaluated=evaluated, now=now
        )
    )
    for workflow, gate, readiness in evaluated:
        if gate.target_level != workflow.autonomy_level or gate.auto_demote_after is None:
            continue
        if await _auto_demote(session, tenant_id, workflow, gate, readiness, now):
            summary.demoted.append(workflow.key)
    return summary


async def _auto_demote(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow: WorkflowRow,
    gate: GateRow,
    latest: Readiness,
    now: datetime,
) -> bool:
    """Demote one level when the gate of the current level FAILed K times in a row."""
    level, after = workflow.autonomy_level, gate.auto_demote_after
    assert after is not None
    since = await last_level_change(
        session=session, tenant_id=tenant_id, workflow_ids=[workflow.workflow_id]
    )
    recent = await recent_evaluations(
        session=session,
        tenant_id=tenant_id,
        workflow_ids=[workflow.workflow_id],
        first=after,
        target_level=level,
        since=since,
    )
    statuses = [
        CheckStatus(row.status)
        for row in recent[workflow.workflow_id]
        if row.workflow_level == level
    ]
    if not should_auto_demote(statuses, after):
        return False
    locked = await lock_workflow(session=session, tenant_id=tenant_id, key=workflow.key)
    if locked.autonomy_level != level:  # someone changed the level meanwhile
        return False
    await demote(
        session=session,
        tenant_id=tenant_id,
        workflow_key=workflow.key,
        to_level=level - 1,
        actor=AUTO_DEMOTION_ACTOR,
        now=now,
        reason=f"{after} consecutive FAIL evaluations of the level-{level} gate",
        kind=AutonomyEventKind.AUTO_DEMOTED,
        evidence=latest,
    )
    return True
