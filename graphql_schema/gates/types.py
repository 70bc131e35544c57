"""GraphQL types of the gate history: stored evaluations and the autonomy audit trail.

The contract types (AutonomyGate, GateCheck, AutonomyReadiness, PromotionResult) live in
`graphql_schema.readiness.types` and `graphql_schema.ingest.types`; `convert` fills them.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain.readiness import AutonomyEventKind
from graphql_schema.costs.enums import CheckStatus
from graphql_schema.readiness.types import AutonomyReadiness, GateCheck

strawberry.enum(
    AutonomyEventKind,
    description="PROMOTED, REFUSED (a promotion the gate did not allow), DEMOTED, or "
    "AUTO_DEMOTED (by the worker after autoDemoteAfter consecutive FAIL evaluations).",
)


@strawberry.type(description="One evaluation of a gate, stored by the hourly worker.")
class GateEvaluation:
    evaluated_at: datetime
    target_level: int = strawberry.field(description="The level the evaluated gate guards.")
    gate_version: int
    workflow_level: int = strawberry.field(description="The workflow's level at the time.")
    status: CheckStatus = strawberry.field(description="Worst-of the three checks.")
    quality: GateCheck
    cost: GateCheck
    drift: GateCheck
    blockers: list[str]


@strawberry.type(description="One decision about a workflow's autonomy level, with its evidence.")
class AutonomyEvent:
    at: datetime
    kind: AutonomyEventKind
    actor: str = strawberry.field(description="Who decided: the token's subject, or the worker.")
    from_level: int
    requested_level: int
    level: int = strawberry.field(description="The level after the decision.")
    reason: str | None
    readiness: AutonomyReadiness | None = strawberry.field(
        description="The readiness the decision was taken on, as it was then."
    )
