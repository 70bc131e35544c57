"""Promotion and demotion of a workflow's autonomy level, with an audit trail of every decision.

Promotion goes one level at a time and only when the gate for that level is green; a refused
promotion is recorded just like a granted one (actor, time, levels, the readiness JSON). The
workflow row is locked FOR UPDATE for the whole decision, so two concurrent promotions cannot
both pass: the second sees the new level and is refused as not "one level up". A request that
is malformed (wrong target level, unknown workflow) raises and records nothing — bad input
changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import AutonomyEvent as EventRow
from app.db.tables import Workflow as WorkflowRow
from app.domain.gates import MAX_AUTONOMY_LEVEL
from app.domain.readiness import AutonomyEventKind, Readiness
from app.services.gates.definitions import ACTOR_LENGTH, lock_workflow
from app.services.gates.pages import newest_per_workflow
from app.services.gates.readiness import readiness_of
from app.services.gates.readiness_json import readiness_to_json
from app.services.ingest.errors import FieldError

EVENTS = EventRow.__table__  # type: ignore[attr-defined]
REASON_LENGTH = 2000


@dataclass(frozen=True)
class PromotionOutcome:
    """`promoted`: the level changed upward; `level`: the level now; `readiness`: the evidence
    (for a promotion or refusal, the verdict it was decided on; after a demotion, the readiness
    for the level above the new one)."""

    promoted: bool
    level: int
    readiness: Readiness


async def record_event(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow: WorkflowRow,
    kind: AutonomyEventKind,
    actor: str,
    from_level: int,
    requested_level: int,
    readiness: Readiness | None,
    now: datetime,
    reason: str | None = None,
) -> EventRow:
    row = EventRow(
        tenant_id=tenant_id,
        event_id=uuid.uuid4(),
        workflow_id=workflow.workflow_id,
        kind=kind.value,
        actor=actor[:ACTOR_LENGTH],
        from_level=from_level,
        requested_level=requested_level,
        level_after=workflow.autonomy_level,
        reason=reason,
        readiness=readiness_to_json(readiness) if readiness is not None else None,
        at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def promote(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_key: str,
    to_level: int,
    actor: str,
    now: datetime,
) -> PromotionOutcome:
    """Promote `workflow_key` to `to_level` if its gate for that level is green.

    Raises WorkflowNotFound, or FieldError("toLevel") unless `to_level` is the current level
    + 1. Otherwise records PROMOTED or REFUSED and returns the outcome with the readiness it was
    decided on.
    """
    workflow = await lock_workflow(session=session, tenant_id=tenant_id, key=workflow_key)
    current = workflow.autonomy_level
    if to_level != current + 1:
        raise FieldError(
            "toLevel",
            f"promotion goes one level at a time: {workflow_key!r} is at level {current}, "
            f"so toLevel must be {current + 1} (got {to_level})",
        )
    if to_level > MAX_AUTONOMY_LEVEL:
        raise FieldError(
            "toLevel",
            f"{workflow_key!r} is at level {current}, the highest autonomy level "
            f"({MAX_AUTONOMY_LEVEL}): there is no level above it",
        )
    readiness = (
        await readiness_of(session=session, tenant_id=tenant_id, workflows=[workflow], now=now)
    )[workflow.workflow_id]
    if readiness.ready:
        workflow.autonomy_level = to_level
        session.add(workflow)
    await record_event(
        session=session,
        tenant_id=tenant_id,
        workflow=workflow,
        kind=AutonomyEventKind.PROMOTED if readiness.ready else AutonomyEventKind.REFUSED,
        actor=actor,
        from_level=current,
        requested_level=to_level,
        readiness=readiness,
        now=now,
    )
    return PromotionOutcome(
        promoted=readiness.ready, level=workflow.autonomy_level, readiness=readiness
    )


async def demote(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_key: str,
    to_level: int,
    actor: str,
    now: datetime,
    reason: str | None = None,
    kind: AutonomyEventKind = AutonomyEventKind.DEMOTED,
    evidence: Readiness | None = None,
) -> PromotionOutcome:
    """Lower `workflow_key` to `to_level` (any level from 0 to the current level − 1).

    Records a DEMOTED (or AUTO_DEMOTED) event with `reason` and `evidence` (the readiness that
    motivated it; the readiness for the level above the new one when not given). Raises
    WorkflowNotFound, FieldError("toLevel") or FieldError("reason").
    """
    if reason is not None and len(reason) > REASON_LENGTH:
        raise FieldError("reason", f"must be at most {REASON_LENGTH} characters")
    workflow = await lock_workflow(session=session, tenant_id=tenant_id, key=workflow_key)
    current = workflow.autonomy_level
    if not 0 <= to_level < current:
        raise FieldError(
            "toLevel",
            f"a demotion lowers the level: {workflow_key!r} is at level {current}, so toLevel "
            f"must be between 0 and {current - 1} (got {to_level})"
            if current > 0
            else f"{workflow_key!r} is at level 0 and cannot be demoted (got toLevel {to_level})",
        )
    workflow.autonomy_level = to_level
    session.add(workflow)
    await session.flush()
    readiness = (
        await readiness_of(session=session, tenant_id=tenant_id, workflows=[workflow], now=now)
    )[workflow.workflow_id]
    await record_event(
        session=session,
        tenant_id=tenant_id,
        workflow=workflow,
        kind=kind,
        actor=actor,
        from_level=current,
        requested_level=to_level,
        readiness=evidence or readiness,
        now=now,
        reason=reason,
    )
    return PromotionOutcome(promoted=False, level=to_level, readiness=readiness)


async def autonomy_history(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    first: int,
) -> dict[uuid.UUID, list[EventRow]]:
    """The `first` most recent events of each workflow, newest first; one query."""
    return await newest_per_workflow(
        session, EventRow, tenant_id=tenant_id, workflow_ids=workflow_ids, first=first,
        order=(EVENTS.c.at.desc(), EVENTS.c.event_id),
    )  # fmt: skip


async def last_level_change(
    *, session: AsyncSession, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """When each workflow's level last changed (promotion or demotion); absent if never."""
    changed = EVENTS.c.kind != AutonomyEventKind.REFUSED.value
    result = await session.execute(
        select(EVENTS.c.workflow_id, func.max(EVENTS.c.at))
        .where(EVENTS.c.tenant_id == tenant_id, EVENTS.c.workflow_id.in_(workflow_ids), changed)
        .group_by(EVENTS.c.workflow_id)
    )
    return {workflow_id: at for workflow_id, at in result}
