"""`node(id:)` and `nodes(ids:)`: refetch any cached object by its global id.

A global id is decoded, then looked up in the caller's tenant only (a global id never names a
tenant): an id of another tenant, or of a row since deleted, is NOT_FOUND; a malformed id, or one
of a type that is not a Node, is BAD_USER_INPUT naming `id` (or `ids`). A client viewer may
refetch its own Client only; every other type needs tenant-wide read access (FORBIDDEN).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Annotated

import strawberry
from graphql import GraphQLError

from app import global_ids
from app.auth.principal import Scope
from app.domain.reconciliation import parse_month
from app.domain.roi import roi_figures, window_start
from app.services.costs import run_reads
from app.services.costs.scope import TimeRange
from app.services.gates import pages
from app.services.pricing.invoices import reconciliation
from app.services.roi.reads import list_windows
from graphql_schema.clients.types import visible_client
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput, Forbidden, NotFound
from graphql_schema.gates.convert import evaluation_type, event_type, gate_type
from graphql_schema.loaders import loaders
from graphql_schema.nodes.interface import Node
from graphql_schema.reconciliation.types import ProviderReconciliation
from graphql_schema.roi.types import RoiWindow
from graphql_schema.runs.types import Run, UsageEvent
from graphql_schema.workflows.types import Workflow

MAX_IDS = 100
CONCURRENT_LOOKUPS = 4

Fetch = Callable[[Info, str], Awaitable[Node | None]]


def _uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)


async def _client(info: Info, key: str) -> Node | None:
    return await visible_client(info, _uuid(key))


async def _workflow(info: Info, key: str) -> Node | None:
    row = await loaders(info).workflow_by_id.load(_uuid(key))
    return Workflow.from_row(row) if row is not None else None


async def _run(info: Info, key: str) -> Node | None:
    row = await info.context.call(run_reads.run_by_correlation_id, correlation_id=key)
    return Run.from_row(row) if row is not None else None


async def _usage_event(info: Info, key: str) -> Node | None:
    row = await info.context.call(run_reads.usage_by_event_id, event_id=key)
    return UsageEvent.from_row(row) if row is not None else None


async def _gate(info: Info, key: str) -> Node | None:
    workflow, level, version = global_ids.parts(key, 3)
    row = await info.context.call(
        pages.gate_by_key,
        workflow_id=_uuid(workflow),
        target_level=int(level),
        version=int(version),
    )
    return gate_type(row) if row is not None else None


async def _evaluation(info: Info, key: str) -> Node | None:
    row = await info.context.call(pages.evaluation_by_id, evaluation_id=_uuid(key))
    return evaluation_type(row) if row is not None else None


async def _event(info: Info, key: str) -> Node | None:
    row = await info.context.call(pages.event_by_id, event_id=_uuid(key))
    return event_type(row) if row is not None else None


async def _roi_window(info: Info, key: str) -> Node | None:
    workflow_text, client_text, day_text = global_ids.parts(key, 3)
    workflow_id = _uuid(workflow_text)
    client_id = _uuid(client_text) if client_text else None
    start = window_start(date.fromisoformat(day_text))
    found = await info.context.call(
        list_windows,
        workflow_ids=[workflow_id],
        client_id=client_id,
        time_range=TimeRange(start, start + timedelta(days=1)),
    )
    workflow = await loaders(info).workflow_by_id.load(workflow_id)
    for window in found[workflow_id]:
        if window.client_id == client_id and workflow is not None:
            return RoiWindow.from_stored(workflow.key, window, roi_figures(window.totals))
    return None


async def _reconciliation(info: Info, key: str) -> Node | None:
    provider, month = global_ids.parts(key, 2)
    first_day = parse_month(month)
    rows = await info.context.call(
        reconciliation, provider=provider, from_month=first_day, to_month=first_day
    )
    return ProviderReconciliation.from_month(rows[0]) if rows else None


FETCHERS: dict[str, Fetch] = {
    "Client": _client,
    "Workflow": _workflow,
    "Run": _run,
    "UsageEvent": _usage_event,
    "AutonomyGate": _gate,
    "GateEvaluation": _evaluation,
    "AutonomyEvent": _event,
    "RoiWindow": _roi_window,
    "ProviderReconciliation": _reconciliation,
}


async def fetch_node(info: Info, global_id: str, *, field: str) -> Node:
    """The object a global id names, in the caller's tenant; see the module docstring."""
    try:
        type_name, key = global_ids.decode(global_id)
    except global_ids.MalformedId:
        raise BadUserInput(f"{field} is not an id this API returned.", field=field) from None
    fetch = FETCHERS.get(type_name)
    if fetch is None:
        raise BadUserInput(f"{field} is not the id of a Node.", field=field)
    if type_name != "Client" and not info.context.principal.can(Scope.READ):
        raise Forbidden("Forbidden: client viewers can refetch their own Client only.", field=field)
    try:
        found = await fetch(info, key)
    except (ValueError, OverflowError):  # a key that no row of the type can have
        raise BadUserInput(f"{field} is not an id this API returned.", field=field) from None
    if found is None:
        raise NotFound(f"Nothing with this {field} in this tenant.", field=field)
    return found


async def _settled(info: Info, global_id: str, gate: asyncio.Semaphore) -> Node | GraphQLError:
    async with gate:  # a few lookups at a time: each holds a pooled connection
        try:
            return await fetch_node(info, global_id, field="ids")
        except GraphQLError as error:
            return error  # graphql-core reports it at this item's path; the other items stand


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="The object with this global id (any type implementing Node), in the "
        "caller's tenant. Unknown here: NOT_FOUND; malformed: BAD_USER_INPUT."
    )
    async def node(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="A Node's id.")],
    ) -> Node | None:
        return await fetch_node(info, id, field="id")

    @strawberry.field(
        description=f"The objects with these global ids, in the same order (at most {MAX_IDS}); "
        "an id that cannot be fetched is null with its own error at its index."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Nodes' ids.")],
    ) -> list[Node | None]:
        if len(ids) > MAX_IDS:
            raise BadUserInput(f"ids holds at most {MAX_IDS} ids (got {len(ids)}).", field="ids")
        gate = asyncio.Semaphore(CONCURRENT_LOOKUPS)
        found = await asyncio.gather(*(_settled(info, global_id, gate) for global_id in ids))
        return list(found)  # type: ignore[arg-type]
