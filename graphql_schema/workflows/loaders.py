"""Loaders of workflows (by key, by id) and their ladders: one query per batch."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.db.tables import LadderRung as LadderRungRow
from app.db.tables import Workflow as WorkflowRow
from app.services.tenancy import catalog

if TYPE_CHECKING:
    from graphql_schema.context import Context

WorkflowByKey = DataLoader[str, WorkflowRow | None]
WorkflowById = DataLoader[uuid.UUID, WorkflowRow | None]
LadderOf = DataLoader[uuid.UUID, list[LadderRungRow]]


def workflow_by_key(context: Context) -> WorkflowByKey:
    async def load(keys: list[str]) -> list[WorkflowRow | None]:
        found = await context.call(catalog.workflows_by_key, keys=keys)
        return [found.get(key) for key in keys]

    return DataLoader(load_fn=load)


def workflow_by_id(context: Context) -> WorkflowById:
    async def load(ids: list[uuid.UUID]) -> list[WorkflowRow | None]:
        found = await context.call(catalog.workflows_by_id, ids=ids)
        return [found.get(wid) for wid in ids]

    return DataLoader(load_fn=load)


def ladder_of(context: Context) -> LadderOf:
    async def load(ids: list[uuid.UUID]) -> list[list[LadderRungRow]]:
        found = await context.call(catalog.ladders, workflow_ids=ids)
        return [found[wid] for wid in ids]

    return DataLoader(load_fn=load)
