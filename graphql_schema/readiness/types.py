"""Contract types of autonomy gates and cost ceilings, which land with the gates issue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_schema.costs.enums import CheckStatus, CostDimension


@strawberry.type(description="What a workflow must prove to be promoted to targetLevel.")
class AutonomyGate:
    target_level: int
    min_acceptance_rate: float
    min_sample_size: int
    confidence: float
    max_cost_per_outcome: Decimal
    max_drift_pct: float
    window_days: int
    auto_demote_after: int | None = strawberry.field(
        description="Consecutive FAIL evaluations at this level after which the worker demotes "
        "the workflow one level; null: never."
    )
    version: int = strawberry.field(description="1 for the first definition, +1 per change.")
    set_by: str = strawberry.field(description="Subject of the token that set this version.")
    set_at: datetime


@strawberry.type(description="One check of a gate: observed value, confidence bound, threshold.")
class GateCheck:
    status: CheckStatus
    observed: float | None = strawberry.field(
        description="Acceptance rate, or cost per outcome as a number."
    )
    bound: float | None = strawberry.field(
        description="The confidence bound that was compared with the threshold."
    )
    threshold: float | None
    sample_size: int
    detail: str = strawberry.field(description="One human sentence: why it passed or failed.")


@strawberry.type(description="Whether a workflow has earned its next autonomy level, and why not.")
class AutonomyReadiness:
    workflow_key: str
    current_level: int
    target_level: int | None
    ready: bool = strawberry.field(
        description="quality, cost and drift checks all PASS (INSUFFICIENT_DATA is not a pass)."
    )
    quality: GateCheck
    cost: GateCheck
    drift: GateCheck
    blockers: list[str]
    evaluated_at: datetime


@strawberry.type(description="One slice of a workflow against its cost ceiling for a rung.")
class CeilingStatus:
    rung: str
    dimension: CostDimension
    value: str
    ceiling: Decimal
    cost_per_rung: Decimal | None
    throttle: bool
