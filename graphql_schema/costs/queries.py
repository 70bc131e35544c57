"""`costBreakdown`: spend by event time along any dimensions (tenant-wide read)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.services.costs.breakdown import cost_breakdown
from graphql_schema.context import Info
from graphql_schema.costs.enums import CostBasis, CostDimension
from graphql_schema.costs.inputs import (
    BasisArg,
    OptionalWorkflowKeyArg,
    ScopeArg,
    TimeRangeInput,
    check_dimension_key,
    checked_scope,
)
from graphql_schema.costs.types import CostBucket
from graphql_schema.loaders import optional_workflow_id
from graphql_schema.permissions import CanRead


@strawberry.type
class CostQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="Usage that occurred in range (by event time, not cohort), grouped by the "
        "dimensions in order; buckets by cost descending, then key; missing values are "
        '"(none)"; the buckets add up exactly to the total (groupBy [] gives the total). '
        "basis RECONCILED: LLM costs scaled to the providers' recorded invoices.",
    )
    async def cost_breakdown(
        self,
        info: Info,
        time_range: Annotated[
            TimeRangeInput,
            strawberry.argument(name="range", description="Usage that occurred in [from, to)."),
        ],
        group_by: Annotated[
            list[CostDimension],
            strawberry.argument(description="Dimensions of each bucket's key, in order."),
        ],
        workflow_key: OptionalWorkflowKeyArg = None,
        scope: ScopeArg = None,
        basis: BasisArg = CostBasis.RACK_RATE,
        dimension_key: Annotated[
            str | None,
            strawberry.argument(
                description="The run dimension CUSTOM groups by (required with CUSTOM, which "
                "may appear once; a key the tenant never declared is BAD_USER_INPUT)."
            ),
        ] = None,
    ) -> list[CostBucket] | None:
        await check_dimension_key(info, group_by.count(CostDimension.CUSTOM), dimension_key)
        workflow_id = await optional_workflow_id(info, workflow_key)
        cost_range, cost_scope = time_range.to_range(), await checked_scope(info, scope)
        buckets = await info.context.call(
            cost_breakdown,
            time_range=cost_range,
            group_by=group_by,
            workflow_id=workflow_id,
            scope=cost_scope,
            basis=basis if basis is not None else CostBasis.RACK_RATE,
            dimension_key=dimension_key,
        )
        return [CostBucket.from_bucket(bucket) for bucket in buckets]
