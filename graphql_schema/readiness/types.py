"""Contract types of autonomy gates and cost ceilings, which land with the gates issue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.services.ladders.ceilings import CeilingState, StoredCeiling
from graphql_schema.costs.enums import (
    CheckStatus,
    CostDimension,
    dimension_fields,
    dimension_key_field,
)
from graphql_schema.nodes.interface import Node, opaque_id
from graphql_schema.shaping import copy_fields


@strawberry.type(description="What a workflow must prove to be promoted to targetLevel.")
class AutonomyGate(Node):
    target_level: int = strawberry.field(description="The level this gate guards.")
    min_acceptance_rate: float = strawberry.field(
        description="The acceptance rate's lower confidence bound must reach this (0..1)."
    )
    min_sample_size: int = strawberry.field(
        description="Completed runs needed in the window; fewer is INSUFFICIENT_DATA."
    )
    confidence: float = strawberry.field(description="Confidence of the bounds, e.g. 0.95.")
    max_cost_per_outcome: Decimal = strawberry.field(
        description="The budget for cost per accepted outcome (USD) finance signed off on."
    )
    max_drift_pct: float = strawberry.field(
        description="The most cost per outcome may rise against the previous window (%)."
    )
    window_days: int = strawberry.field(description="Days of runs each evaluation looks at.")
    auto_demote_after: int | None = strawberry.field(
        description="Consecutive FAIL evaluations at this level after which the worker demotes "
        "the workflow one level; null: never."
    )
    version: int = strawberry.field(description="1 for the first definition, +1 per change.")
    set_by: str = strawberry.field(description="Subject of the token that set this version.")
    set_at: datetime = strawberry.field(description="When this version was set.")


@strawberry.type(description="One check of a gate: observed value, confidence bound, threshold.")
class GateCheck:
    status: CheckStatus = strawberry.field(description="PASS, FAIL or INSUFFICIENT_DATA.")
    observed: float | None = strawberry.field(
        description="Acceptance rate, or cost per outcome as a number."
    )
    bound: float | None = strawberry.field(
        description="The confidence bound that was compared with the threshold."
    )
    threshold: float | None = strawberry.field(description="The gate's target for this check.")
    sample_size: int = strawberry.field(description="Runs the check was decided on.")
    detail: str = strawberry.field(description="One human sentence: why it passed or failed.")


@strawberry.type(description="Whether a workflow has earned its next autonomy level, and why not.")
class AutonomyReadiness:
    workflow_key: str = strawberry.field(description="The workflow asked about.")
    current_level: int = strawberry.field(description="Its autonomy level now.")
    target_level: int | None = strawberry.field(
        description="The next level; null when no gate guards one."
    )
    ready: bool = strawberry.field(
        description="quality, cost and drift checks all PASS (INSUFFICIENT_DATA is not a pass)."
    )
    quality: GateCheck = strawberry.field(description="Acceptance rate against its target.")
    cost: GateCheck = strawberry.field(description="Cost per outcome against the budget.")
    drift: GateCheck = strawberry.field(description="Cost per outcome not drifting upward.")
    blockers: list[str] = strawberry.field(description="Why it is not ready, one per line.")
    evaluated_at: datetime = strawberry.field(description="When this answer was computed.")


@strawberry.type(description="One slice of a workflow against its cost ceiling for a rung.")
class CeilingStatus:
    rung: str = strawberry.field(description="The rung the ceiling is on.")
    dimension: CostDimension = strawberry.field(description="The slice's dimension.")
    dimension_key: str | None = dimension_key_field()
    value: str = strawberry.field(description="The slice's value (a client id for CLIENT).")
    ceiling: Decimal = strawberry.field(description="The most one rung may cost (USD).")
    cost_per_rung: Decimal | None = strawberry.field(
        description="The slice's cost per rung in the window; null when nobody reached it."
    )
    throttle: bool = strawberry.field(
        description="Over the ceiling, or money spent and nobody reached the rung."
    )

    @classmethod
    def from_state(cls, state: CeilingState) -> CeilingStatus:
        return copy_fields(cls, state, **dimension_fields(state.dimension))


@strawberry.type(description="The most one rung may cost for a slice of a workflow.")
class CostCeiling:
    id: strawberry.ID = strawberry.field(
        description="Opaque id of (workflow, rung, dimension, value), for client caches."
    )
    workflow_key: str = strawberry.field(description="The workflow.")
    rung: str = strawberry.field(description="The rung.")
    dimension: CostDimension = strawberry.field(description="The slice's dimension.")
    dimension_key: str | None = dimension_key_field()
    value: str = strawberry.field(description="The slice's value (a client's UUID for CLIENT).")
    ceiling: Decimal = strawberry.field(description="USD per rung, as stored (10 dp).")

    @classmethod
    def from_stored(cls, workflow_key: str, stored: StoredCeiling) -> CostCeiling:
        parts = (str(stored.workflow_id), stored.rung, stored.dimension, stored.value)
        return copy_fields(
            cls,
            stored,
            id=opaque_id("CostCeiling", *parts),
            workflow_key=workflow_key,
            **dimension_fields(stored.dimension),
        )


@strawberry.type(description="The answer to setCostCeiling: the ceiling as stored.")
class SetCostCeilingPayload:
    ceiling: CostCeiling = strawberry.field(description="The ceiling as stored.")
