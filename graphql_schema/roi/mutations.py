"""`setBaseline`: configuration (OWNER or ENGINEER). `recordRevenue` is an ingest mutation and
lives with the others in graphql_schema/ingest/mutations.py (same validation, same answer)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services.roi.baselines import set_baseline
from graphql_schema.context import Info
from graphql_schema.costs.inputs import parse_id
from graphql_schema.ingest.inputs import BaselineInput
from graphql_schema.loaders import workflow_write
from graphql_schema.permissions import CanConfigure
from graphql_schema.roi.types import Baseline, SetBaselinePayload
from workers.jobs.roi import enqueue_recompute


@strawberry.type
class RoiMutations:
    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description="Set what the manual process earned per success and cost per task, for a "
        "workflow or, with clientId, for one client of it (overriding the workflow-wide "
        "baseline). Every window it applies to is recomputed; FINAL ones are revised.",
    )
    async def set_baseline(
        self,
        info: Info,
        input: Annotated[BaselineInput, strawberry.argument(description="The baseline.")],
    ) -> SetBaselinePayload:
        async with workflow_write(info, input.workflow_key):
            client_id = parse_id(input.client_id, field="clientId") if input.client_id else None
            stored = await info.context.call(
                set_baseline,
                workflow_key=input.workflow_key,
                client_id=client_id,
                revenue_per_success=input.revenue_per_success,
                human_cost_per_task=input.human_cost_per_task,
            )
        await enqueue_recompute(info.context.arq, info.context.principal.tenant_id, stored.marked)
        return SetBaselinePayload(baseline=Baseline.from_stored(input.workflow_key, stored))
