"""`autonomyReadiness`: the question engineering asks before widening an agent's scope.

(`costCeilingStatus` lives in graphql_schema/ladders/ceilings.py.)
"""

from __future__ import annotations

import strawberry

from graphql_schema.context import Info
from graphql_schema.costs.inputs import WorkflowKeyArg
from graphql_schema.gates import resolve as gate_resolve
from graphql_schema.permissions import CanRead
from graphql_schema.readiness.types import AutonomyReadiness


@strawberry.type
class ReadinessQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="Whether the workflow's autonomy gate for its next level is green (the "
        "question engineering asks before widening an agent's scope), evaluated now over the "
        "gate's window: ready only when quality, cost and drift all PASS.",
    )
    async def autonomy_readiness(
        self, info: Info, workflow_key: WorkflowKeyArg
    ) -> AutonomyReadiness | None:
        return await gate_resolve.autonomy_readiness(info, workflow_key)
