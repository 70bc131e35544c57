"""Resolver steps of the gate fields of Workflow and of `autonomyReadiness` (thin: load, shape)."""

from __future__ import annotations

import uuid
from typing import Any

from app.db.tables import AutonomyEvent as EventRow
from app.db.tables import GateEvaluation as EvaluationRow
from app.services.gates import pages
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput
from graphql_schema.gates.convert import evaluation_type, event_type, gate_type, readiness_type
from graphql_schema.gates.types import (
    AutonomyEvent,
    AutonomyEventConnection,
    AutonomyEventEdge,
    GateEvaluation,
    GateEvaluationConnection,
    GateEvaluationEdge,
)
from graphql_schema.loaders import loaders, require_workflow
from graphql_schema.nodes.connections import PageArgs, aware, connection_of, page_request
from graphql_schema.readiness.types import AutonomyGate, AutonomyReadiness

EVALUATIONS_PAGE = 20
HISTORY_PAGE = 50


def page_size(info: Info, first: int | None, default: int) -> int:
    """`first` (null: `default`) within 1..max_page_size, else BAD_USER_INPUT naming `first`."""
    if first is None:
        return default
    limit = info.context.settings.max_page_size
    if not 1 <= first <= limit:
        raise BadUserInput(f"first must be between 1 and {limit} (got {first}).", field="first")
    return first


async def next_gate(info: Info, workflow_id: uuid.UUID, level: int) -> AutonomyGate | None:
    gates = await loaders(info).gates.in_force.load(workflow_id)
    row = gates.get(level + 1)
    return gate_type(row) if row is not None else None


async def gate_history(info: Info, workflow_id: uuid.UUID) -> list[AutonomyGate]:
    return [gate_type(row) for row in await loaders(info).gates.history.load(workflow_id)]


async def readiness(info: Info, workflow_id: uuid.UUID) -> AutonomyReadiness:
    return readiness_type(await loaders(info).gates.readiness.load(workflow_id))


async def autonomy_readiness(info: Info, workflow_key: str) -> AutonomyReadiness:
    workflow = await require_workflow(info, workflow_key)
    return await readiness(info, workflow.workflow_id)


async def gate_evaluations(
    info: Info, workflow_id: uuid.UUID, first: int | None
) -> list[GateEvaluation]:
    size = page_size(info, first, EVALUATIONS_PAGE)
    rows = await loaders(info).gates.evaluations.load((workflow_id, size))
    return [evaluation_type(row) for row in rows]


async def autonomy_history(
    info: Info, workflow_id: uuid.UUID, first: int | None
) -> list[AutonomyEvent]:
    rows = await loaders(info).gates.events.load(
        (workflow_id, page_size(info, first, HISTORY_PAGE))
    )
    return [event_type(row) for row in rows]


def _evaluation_key(row: EvaluationRow) -> list[Any]:
    return [row.evaluated_at.isoformat(), str(row.evaluation_id)]


def _event_key(row: EventRow) -> list[Any]:
    return [row.at.isoformat(), str(row.event_id)]


def _uuid_position(values: list[Any]) -> tuple[Any, ...]:
    """The ordering key of either cursor above: a timestamp and a UUID."""
    at, row_id = values
    return (aware(at), uuid.UUID(str(row_id)))


async def evaluations_connection(
    info: Info, workflow_id: uuid.UUID, args: PageArgs
) -> GateEvaluationConnection:
    request = page_request(info, **args.asdict(), default=EVALUATIONS_PAGE, parse=_uuid_position)
    page = await info.context.call(
        pages.page_of_evaluations, workflow_id=workflow_id, request=request
    )
    return connection_of(
        GateEvaluationConnection, GateEvaluationEdge, page,
        node=evaluation_type, key=_evaluation_key,
    )  # fmt: skip


async def history_connection(
    info: Info, workflow_id: uuid.UUID, args: PageArgs
) -> AutonomyEventConnection:
    request = page_request(info, **args.asdict(), default=HISTORY_PAGE, parse=_uuid_position)
    page = await info.context.call(pages.page_of_events, workflow_id=workflow_id, request=request)
    return connection_of(
        AutonomyEventConnection, AutonomyEventEdge, page, node=event_type, key=_event_key
    )
