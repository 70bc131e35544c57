"""The Client type: one client of the agency.

A client viewer reaches its own Client through `client(id)`, so every figure here checks
visibility again (`ensure_client_visible`): a Client object must never become a way around it.
"""

from __future__ import annotations

import uuid

import strawberry

from app import global_ids
from app.db.tables import Client as ClientRow
from app.services.costs.scope import CostScope
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
from graphql_schema.costs.types import CostPerOutcome
from graphql_schema.ladders import resolve as ladder_resolve
from graphql_schema.ladders.types import LadderCost
from graphql_schema.loaders import require_workflow
from graphql_schema.nodes.interface import Node
from graphql_schema.permissions import ensure_client_visible
from graphql_schema.roi import resolve as roi_resolve
from graphql_schema.roi.loaders import TotalsKey
from graphql_schema.roi.types import RoiSummary


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
            id=strawberry.ID(global_ids.encode("Client", str(row.client_id))),
            client_id=strawberry.ID(str(row.client_id)),
            name=row.name,
            uuid=row.client_id,
        )

    @strawberry.field(
        description="The workflow's cost per outcome for this client's runs (scope clientId = "
        "this client). Unknown workflowKey: NOT_FOUND. basis RECONCILED: each provider-month's "
        "LLM costs scaled to its recorded invoice."
    )
    async def cost_per_outcome(
        self,
        info: Info,
        workflow_key: WorkflowKeyArg,
        time_range: CohortRangeArg,
        basis: BasisArg = CostBasis.RACK_RATE,
    ) -> CostPerOutcome | None:
        ensure_client_visible(info.context.principal, self.uuid)
        workflow = await require_workflow(info, workflow_key)
        scope = CostScope(client_id=self.uuid)
        key = resolve.cohort_key(workflow.workflow_id, time_range, scope, basis)
        return await resolve.cost_per_outcome(info, key)

    @strawberry.field(
        description="The workflow's ladder (cost per rung) for this client's runs (scope "
        "clientId = this client). Unknown workflowKey: NOT_FOUND. basis RECONCILED: each "
        "provider-month's LLM costs scaled to its recorded invoice."
    )
    async def ladder_costs(
        self,
        info: Info,
        workflow_key: WorkflowKeyArg,
        time_range: CohortRangeArg,
        basis: BasisArg = CostBasis.RACK_RATE,
    ) -> list[LadderCost] | None:
        ensure_client_visible(info.context.principal, self.uuid)
        workflow = await require_workflow(info, workflow_key)
        scope = CostScope(client_id=self.uuid)
        key = resolve.cohort_key(workflow.workflow_id, time_range, scope, basis)
        return await ladder_resolve.ladder_costs(info, key)

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
        workflow_id = None
        if workflow_key is not None:
            workflow_id = (await require_workflow(info, workflow_key)).workflow_id
        key = TotalsKey(workflow_id, self.uuid, time_range.to_range())
        return await roi_resolve.summary(info, key)
