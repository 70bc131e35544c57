"""`setCostCeiling` (configure) and `costCeilingStatus` (tenant-wide read).

The status is read over a rolling window: the runs started in the last `windowDays` days
(default 30) before the request's `now`. See `app.services.ladders.ceilings`.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services.ladders import ceilings
from graphql_schema.context import Info
from graphql_schema.costs.inputs import WorkflowKeyArg, sliced_dimension
from graphql_schema.errors import field_errors
from graphql_schema.ingest.inputs import CeilingInput
from graphql_schema.loaders import require_workflow, workflow_write
from graphql_schema.permissions import CanConfigure, CanRead
from graphql_schema.readiness.types import (
    CeilingStatus,
    CostCeiling,
    SetCostCeilingPayload,
)


@strawberry.type
class CeilingMutations:
    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Set (or replace) the most one rung may cost for a slice of a workflow: "
        "dimension CAMPAIGN, CHANNEL, VARIANT, CLIENT (value: a client id), TEAM, or CUSTOM "
        "(a run dimension of the tenant, named by dimensionKey).",
    )
    async def set_cost_ceiling(
        self,
        info: Info,
        input: Annotated[CeilingInput, strawberry.argument(description="The ceiling.")],
    ) -> SetCostCeilingPayload:
        async with workflow_write(info, input.workflow_key):
            dimension = await sliced_dimension(info, input.dimension, input.dimension_key)
            stored = await info.context.call(
                ceilings.set_cost_ceiling,
                workflow_key=input.workflow_key,
                rung=input.rung,
                dimension=dimension,
                value=input.value,
                ceiling=input.ceiling,
            )
        return SetCostCeilingPayload(ceiling=CostCeiling.from_stored(input.workflow_key, stored))


@strawberry.type
class CeilingQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="Control signal for agents: every ceiling of the workflow with the slice's "
        "cost per rung over the runs started in the last windowDays days (default 30). "
        "throttle: over the ceiling, or money spent and nobody reached the rung.",
    )
    async def cost_ceiling_status(
        self,
        info: Info,
        workflow_key: WorkflowKeyArg,
        window_days: Annotated[
            int | None,
            strawberry.argument(description="Days of runs read, up to now (default 30)."),
        ] = 30,
    ) -> list[CeilingStatus] | None:
        workflow = await require_workflow(info, workflow_key)
        with field_errors():
            states = await info.context.call(
                ceilings.ceiling_status,
                workflow_id=workflow.workflow_id,
                now=info.context.now,
                window_days=window_days if window_days is not None else 30,
            )
        return [CeilingStatus.from_state(s) for s in states]
