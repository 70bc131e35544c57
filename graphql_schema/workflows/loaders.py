"""Loaders of workflows (by key, by id) and their ladders: one query per batch."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.db.tables import LadderRung as LadderRungRow
from app.db.tables import Workflow as WorkflowRow
from app.services.tenancy import catalog
from graphql_schema.batching import keyed_loader, lookup_loader

if TYPE_CHECKING:
    from graphql_schema.context import Context

WorkflowByKey = DataLoader[str, WorkflowRow | None]
WorkflowById = DataLoader[uuid.UUID, WorkflowRow | None]
LadderOf = DataLoader[uuid.UUID, list[LadderRungRow]]


def workflow_by_key(context: Context) -> WorkflowByKey:
    return lookup_loader(context, catalog.workflows_by_key, argument="keys")


def workflow_by_id(context: Context) -> WorkflowById:
    return lookup_loader(context, catalog.workflows_by_id, argument="ids")


def ladder_of(context: Context) -> LadderOf:
    return keyed_loader(context, catalog.ladders, argument="workflow_ids")
