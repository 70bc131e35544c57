"""Keyset pages of a workflow's gate evaluations and autonomy events, the newest few of each of
many workflows at once (for the batch loaders), and single-row lookups by primary key (for
`node(id:)`). Both pages are newest first: (evaluated_at, evaluation_id) and
(at, event_id) descending, unique per tenant, over the (tenant, workflow, time) indexes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.db.tables import AutonomyEvent as EventRow
from app.db.tables import AutonomyGate as GateRow
from app.db.tables import GateEvaluation as EvaluationRow
from app.services.keyset import Page, PageRequest, keyset_page

EVENTS = EventRow.__table__  # type: ignore[attr-defined]
EVALUATIONS = EvaluationRow.__table__  # type: ignore[attr-defined]
GATES = GateRow.__table__  # type: ignore[attr-defined]

Row = TypeVar("Row", EvaluationRow, EventRow)


async def _newest_first(
    session: AsyncSession,
    entity: type[EvaluationRow] | type[EventRow],
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    request: PageRequest,
    time: str,
    key: str,
) -> Page:
    """A keyset page of one workflow's rows of `entity`, newest first by (`time`, `key`)."""
    table = entity.__table__  # type: ignore[union-attr]
    return await keyset_page(
        session=session,
        entity=entity,
        filters=[table.c.tenant_id == tenant_id, table.c.workflow_id == workflow_id],
        order=[table.c[time], table.c[key]],
        descending=True,
        request=request,
    )


async def page_of_evaluations(
    *, session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID, request: PageRequest
) -> Page:
    return await _newest_first(
        session, EvaluationRow, tenant_id, workflow_id, request, "evaluated_at", "evaluation_id"
    )


async def page_of_events(
    *, session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID, request: PageRequest
) -> Page:
    return await _newest_first(session, EventRow, tenant_id, workflow_id, request, "at", "event_id")


async def newest_per_workflow(
    session: AsyncSession,
    entity: type[Row],
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    first: int,
    order: Sequence[Any],
    filters: Sequence[Any] = (),
) -> dict[uuid.UUID, list[Row]]:
    """The first `first` rows of `entity` of each workflow in `order` (newest first), in one
    query (a row number per workflow); a workflow without rows maps to []."""
    table = entity.__table__  # type: ignore[attr-defined]
    ranked = (
        select(
            table,
            func.row_number()
            .over(partition_by=table.c.workflow_id, order_by=tuple(order))
            .label("rank"),
        )
        .where(table.c.tenant_id == tenant_id, table.c.workflow_id.in_(workflow_ids), *filters)
        .subquery("ranked")
    )
    row = aliased(entity, ranked)
    statement = (
        select(row).where(ranked.c.rank <= first).order_by(ranked.c.workflow_id, ranked.c.rank)
    )
    found: dict[uuid.UUID, list[Row]] = {wid: [] for wid in workflow_ids}
    for found_row in (await session.execute(statement)).scalars():
        found[found_row.workflow_id].append(found_row)
    return found


async def evaluation_by_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, evaluation_id: uuid.UUID
) -> EvaluationRow | None:
    result = await session.execute(
        select(EvaluationRow).where(
            EVALUATIONS.c.tenant_id == tenant_id, EVALUATIONS.c.evaluation_id == evaluation_id
        )
    )
    return result.scalar_one_or_none()


async def event_by_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, event_id: uuid.UUID
) -> EventRow | None:
    result = await session.execute(
        select(EventRow).where(EVENTS.c.tenant_id == tenant_id, EVENTS.c.event_id == event_id)
    )
    return result.scalar_one_or_none()


async def gate_by_key(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    target_level: int,
    version: int,
) -> GateRow | None:
    result = await session.execute(
        select(GateRow).where(
            GATES.c.tenant_id == tenant_id,
            GATES.c.workflow_id == workflow_id,
            GATES.c.target_level == target_level,
            GATES.c.version == version,
        )
    )
    return result.scalar_one_or_none()
