"""Reads of the tenant's catalog: workflows, their outcome ladders, and clients.

Every function takes a tenant-bound session; row-level security keeps it to that tenant, and
the explicit `tenant_id` predicates let PostgreSQL use the tenant-first keys.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import Client, LadderRung, Run, Workflow

WORKFLOWS = Workflow.__table__  # type: ignore[attr-defined]
CLIENTS = Client.__table__  # type: ignore[attr-defined]
RUNGS = LadderRung.__table__  # type: ignore[attr-defined]

Row = TypeVar("Row", Workflow, Client)


async def _keyed_by(
    session: AsyncSession,
    model: type[Row],
    column: Column[Any],
    values: Sequence[Any],
    *,
    tenant_id: uuid.UUID,
) -> dict[Any, Row]:
    """The tenant's `model` rows whose `column` is one of `values`, keyed by that column."""
    result = await session.execute(
        select(model).where(column.table.c.tenant_id == tenant_id, column.in_(values))
    )
    return {getattr(row, column.key): row for row in result.scalars()}


async def list_workflows(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[Workflow]:
    """Every workflow of the tenant, ordered by key."""
    result = await session.execute(
        select(Workflow).where(WORKFLOWS.c.tenant_id == tenant_id).order_by(WORKFLOWS.c.key)
    )
    return list(result.scalars())


async def workflows_by_key(
    *, session: AsyncSession, tenant_id: uuid.UUID, keys: Sequence[str]
) -> dict[str, Workflow]:
    return await _keyed_by(session, Workflow, WORKFLOWS.c.key, keys, tenant_id=tenant_id)


async def workflows_by_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Workflow]:
    return await _keyed_by(session, Workflow, WORKFLOWS.c.workflow_id, ids, tenant_id=tenant_id)


async def ladders(
    *, session: AsyncSession, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[LadderRung]]:
    """The active rungs of each workflow in `position` order; a workflow without rungs maps to [].

    Retired rungs (removed from the ladder, kept for their outcome events) are left out.
    """
    result = await session.execute(
        select(LadderRung)
        .where(
            RUNGS.c.tenant_id == tenant_id,
            RUNGS.c.workflow_id.in_(workflow_ids),
            RUNGS.c.retired_at.is_(None),
        )
        .order_by(RUNGS.c.workflow_id, RUNGS.c.position, RUNGS.c.key)
    )
    found: dict[uuid.UUID, list[LadderRung]] = {wid: [] for wid in workflow_ids}
    for rung in result.scalars():
        found[rung.workflow_id].append(rung)
    return found


async def list_clients(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[Client]:
    """Every client of the tenant, ordered by name."""
    result = await session.execute(
        select(Client).where(CLIENTS.c.tenant_id == tenant_id).order_by(CLIENTS.c.name)
    )
    return list(result.scalars())


async def clients_by_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Client]:
    return await _keyed_by(session, Client, CLIENTS.c.client_id, ids, tenant_id=tenant_id)


async def workflows_of_client(
    *, session: AsyncSession, tenant_id: uuid.UUID, client_id: uuid.UUID
) -> list[Workflow]:
    """The workflows that have run at least once for the client, ordered by key."""
    runs = Run.__table__  # type: ignore[attr-defined]
    has_run = (
        select(runs.c.correlation_id)
        .where(
            runs.c.tenant_id == tenant_id,
            runs.c.client_id == client_id,
            runs.c.workflow_id == WORKFLOWS.c.workflow_id,
        )
        .exists()
    )
    result = await session.execute(
        select(Workflow)
        .where(WORKFLOWS.c.tenant_id == tenant_id, has_run)
        .order_by(WORKFLOWS.c.key)
    )
    return list(result.scalars())
