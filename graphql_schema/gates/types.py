"""GraphQL types of the gate history: stored evaluations and the autonomy audit trail.

The contract types (AutonomyGate, GateCheck, AutonomyReadiness, PromotionResult) live in
`graphql_schema.readiness.types` and `graphql_schema.ingest.types`; `convert` fills them.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.domain.readiness import AutonomyEventKind
from graphql_schema.costs.enums import CheckStatus, described
from graphql_schema.nodes.connections import Connection, Edge
from graphql_schema.nodes.interface import Node
from graphql_schema.readiness.types import AutonomyReadiness, GateCheck

described(
    AutonomyEventKind,
    "PROMOTED, REFUSED (a promotion the gate did not allow), DEMOTED, or AUTO_DEMOTED (by the "
    "worker after autoDemoteAfter consecutive FAIL evaluations).",
    {
        "PROMOTED": "Raised one level; the gate was green.",
        "REFUSED": "A promotion the gate did not allow (level unchanged).",
        "DEMOTED": "Lowered by a person.",
        "AUTO_DEMOTED": "Lowered by the worker after consecutive FAIL evaluations.",
    },
)


@strawberry.type(description="One evaluation of a gate, stored by the hourly worker.")
class GateEvaluation(Node):
    evaluated_at: datetime = strawberry.field(description="When the worker evaluated it.")
    target_level: int = strawberry.field(description="The level the evaluated gate guards.")
    gate_version: int = strawberry.field(description="The version of the gate evaluated.")
    workflow_level: int = strawberry.field(description="The workflow's level at the time.")
    status: CheckStatus = strawberry.field(description="Worst-of the three checks.")
    quality: GateCheck = strawberry.field(description="The acceptance-rate check.")
    cost: GateCheck = strawberry.field(description="The cost-per-outcome check.")
    drift: GateCheck = strawberry.field(description="The cost-drift check.")
    blockers: list[str] = strawberry.field(description="Why it was not ready, one per line.")


@strawberry.type(description="One decision about a workflow's autonomy level, with its evidence.")
class AutonomyEvent(Node):
    at: datetime = strawberry.field(description="When it was decided.")
    kind: AutonomyEventKind = strawberry.field(description="What was decided.")
    actor: str = strawberry.field(description="Who decided: the token's subject, or the worker.")
    from_level: int = strawberry.field(description="The level before the decision.")
    requested_level: int = strawberry.field(description="The level asked for.")
    level: int = strawberry.field(description="The level after the decision.")
    reason: str | None = strawberry.field(description="The reason given, if any.")
    readiness: AutonomyReadiness | None = strawberry.field(
        description="The readiness the decision was taken on, as it was then."
    )


@strawberry.type(description="One gate evaluation of a page, with its cursor.")
class GateEvaluationEdge(Edge[GateEvaluation]):
    node: GateEvaluation = strawberry.field(description="The evaluation.")


@strawberry.type(description="A page of a workflow's gate evaluations, newest first (Relay).")
class GateEvaluationConnection(Connection[GateEvaluationEdge]):
    edges: list[GateEvaluationEdge] = strawberry.field(description="The evaluations, in order.")


@strawberry.type(description="One autonomy event of a page, with its cursor.")
class AutonomyEventEdge(Edge[AutonomyEvent]):
    node: AutonomyEvent = strawberry.field(description="The event.")


@strawberry.type(description="A page of a workflow's autonomy history, newest first (Relay).")
class AutonomyEventConnection(Connection[AutonomyEventEdge]):
    edges: list[AutonomyEventEdge] = strawberry.field(description="The events, in order.")
