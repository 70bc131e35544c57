"""The Client type: one client of the agency.

A client viewer reaches its own Client through `client(id)`, so every figure here checks
visibility again (`ensure_client_visible`): a Client object must never become a way around it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import strawberry

from app.db.tables import Client as ClientRow
from app.services.costs.scope import CostScope
from app.services.tenancy import catalog
from app.services.tenancy.catalog import workflows_of_client
from graphql_schema.context import Info
from graphql_schema.costs import resolve
from graphql_schema.costs.enums import CostBasis
from graphql_schema.costs.inputs import (
    BasisArg,
    CohortRangeArg,
    OptionalWorkflowKeyArg,
    WindowRangeArg,
    WorkflowKeyArg,
)
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.costs.types import CostPerOutcome
from graphql_schema.ladders import resolve as ladder_resolve
from graphql_schema.ladders.types import LadderCost, SeriesPoint
from graphql_schema.loaders import loaders, optional_workflow_id, require_workflow
from graphql_schema.nodes.interface import Node, opaque_id
from graphql_schema.permissions import ensure_client_visible
from graphql_schema.roi import resolve as roi_resolve
from graphql_schema.roi.loaders import TotalsKey
from graphql_schema.roi.types import RoiSummary
from graphql_schema.shaping import copy_fields


@strawberry.type(description="A rung of a workflow's outcome ladder, as a client sees it.")
class ClientLadderRung:
    key: str = strawberry.field(description="The rung's key (ladderCosts' and ladderSeries' rung).")
    name: str = strawberry.field(description="The rung's name.")
    position: int = strawberry.field(description="Its place on the ladder, 0 first.")


@strawberry.type(
    description="A workflow as its client sees it: what it is and its ladder, no figures (the "
    "client's figures come from Client's fields, scoped to the client)."
)
class ClientWorkflow:
    key: str = strawberry.field(description="The workflow's key.")
    name: str = strawberry.field(description="The workflow's name.")
    acceptance_hold_hours: int = strawberry.field(
        description="Hours an accepted run stays provisional (0: none)."
    )
    ladder: list[ClientLadderRung] = strawberry.field(description="Its active rungs, in order.")


def client_cohort_field(
    fetch: Callable[[Info, CohortKey], Awaitable[Any]], returns: Any, description: str
) -> Any:
    """A Client field answered from one workflow's cohort of this client's runs (the runs
    started in `range`, scope clientId = this client): `fetch` loads the figures of the
    cohort's key. The field's type is `returns`, or null."""

    async def resolver(
        root: Client,
        info: Info,
        workflow_key: WorkflowKeyArg,
        time_range: CohortRangeArg,
        basis: BasisArg = CostBasis.RACK_RATE,
    ) -> Any:
        ensure_client_visible(info.context.principal, root.uuid)
        workflow = await require_workflow(info, workflow_key)
        scope = CostScope(client_id=root.uuid)
        return await fetch(info, resolve.cohort_key(workflow.workflow_id, time_range, scope, basis))

    return strawberry.field(resolver=resolver, graphql_type=returns | None, description=description)


@strawberry.type(description="A client of the agency.")
class Client(Node):
    client_id: strawberry.ID = strawberry.field(
        description="The client's UUID: what tokens, scope.clientId, Run.clientId and the ingest "
        "endpoints carry (inputs accept it or Client.id)."
    )
    name: str = strawberry.field(description="The client's name, unique in the tenant.")
    uuid: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: ClientRow) -> Client:
        return cls(
            id=opaque_id("Client", str(row.client_id)),
            client_id=strawberry.ID(str(row.client_id)),
            name=row.name,
            uuid=row.client_id,
        )

    cost_per_outcome = client_cohort_field(
        resolve.cost_per_outcome,
        CostPerOutcome,
        "The workflow's cost per outcome for this client's runs (scope clientId = "
        "this client). Unknown workflowKey: NOT_FOUND. basis RECONCILED: each provider-month's "
        "LLM costs scaled to its recorded invoice.",
    )

    ladder_costs = client_cohort_field(
        ladder_resolve.ladder_costs,
        list[LadderCost],
        "The workflow's ladder (cost per rung) for this client's runs (scope "
        "clientId = this client). Unknown workflowKey: NOT_FOUND. basis RECONCILED: each "
        "provider-month's LLM costs scaled to its recorded invoice.",
    )

    @strawberry.field(
        description="This client's ROI over the day-cohorts whose windowStart is in range: of "
        "one workflow, or of all of them when workflowKey is omitted (unknown workflowKey: "
        "NOT_FOUND). Unattributed revenue counts this client's events that occurred in range "
        "and that no run claims (with workflowKey: those naming that workflow or one of its "
        "runs)."
    )
    async def roi(
        self, info: Info, time_range: WindowRangeArg, workflow_key: OptionalWorkflowKeyArg = None
    ) -> RoiSummary | None:
        ensure_client_visible(info.context.principal, self.uuid)
        workflow_id = await optional_workflow_id(info, workflow_key)
        key = TotalsKey(workflow_id, self.uuid, time_range.to_range())
        return await roi_resolve.summary(info, key)

    @strawberry.field(
        description="The workflows that have run for this client at least once, by key."
    )
    async def workflows(self, info: Info) -> list[ClientWorkflow] | None:
        ensure_client_visible(info.context.principal, self.uuid)
        rows = await info.context.call(workflows_of_client, client_id=self.uuid)
        ladders = await loaders(info).ladder.load_many([row.workflow_id for row in rows])
        return [
            copy_fields(
                ClientWorkflow, row, ladder=[copy_fields(ClientLadderRung, r) for r in rungs]
            )
            for row, rungs in zip(rows, ladders, strict=True)
        ]

    @strawberry.field(
        description="A rung's figures for this client's runs as consecutive buckets (see "
        "Workflow.ladderSeries). Unknown workflowKey: NOT_FOUND."
    )
    async def ladder_series(
        self,
        info: Info,
        workflow_key: WorkflowKeyArg,
        time_range: CohortRangeArg,
        bucket: Annotated[
            str, strawberry.argument(description='An ISO 8601 duration: "P1D", "P7D", "PT6H".')
        ],
        rung: Annotated[str, strawberry.argument(description="An active rung of the ladder.")],
    ) -> list[SeriesPoint] | None:
        ensure_client_visible(info.context.principal, self.uuid)
        workflow = await require_workflow(info, workflow_key)
        scope = CostScope(client_id=self.uuid)
        return await ladder_resolve.ladder_series(
            info, workflow.workflow_id, time_range, bucket, rung, scope
        )


async def visible_client(info: Info, client_id: uuid.UUID) -> Client | None:
    """The client with `client_id`, null if unknown; FORBIDDEN when the caller is the viewer of
    another client (known or not), as `client(id)` and `node(id)` both answer."""
    ensure_client_visible(info.context.principal, client_id)
    found = await info.context.call(catalog.clients_by_id, ids=[client_id])
    row = found.get(client_id)
    return Client.from_row(row) if row is not None else None
