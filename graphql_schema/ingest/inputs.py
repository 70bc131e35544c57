"""The contract's input types, with its names, nullability and defaults.

Ingest inputs (RunInput, UsageEventInput, RunLabelInput) are converted to the same record
mappings the HTTP batch endpoint takes (see graphql_schema.ingest.convert), so both paths share
one validator. Enum values and scalars (DateTime, Decimal) are checked by graphql-core first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_schema.costs.enums import CostDimension, RunStatus, UsageKind

# -- configuration -------------------------------------------------------------------------------


@strawberry.input(description="One rung of an outcome ladder.")
class LadderRungInput:
    key: str
    name: str


@strawberry.input(description="A workflow, created or updated by key.")
class WorkflowInput:
    key: str
    name: str
    division: str | None = None
    acceptance_hold_hours: int | None = 0
    ladder: list[LadderRungInput] | None = strawberry.field(
        default=None,
        description='Ordered rungs (at most 50); the first may be "accepted" (a run accepted). '
        "Default for a new workflow: [accepted]; omitted on an existing workflow: its ladder "
        "is kept.",
    )


@strawberry.input(description="A client of the agency.")
class ClientInput:
    name: str


@strawberry.input(description="A price per million tokens, in force from effectiveFrom.")
class ModelPriceInput:
    provider: str
    model: str
    effective_from: datetime
    input_per_million: Decimal
    output_per_million: Decimal
    cache_read_per_million: Decimal | None = None
    cache_write_per_million: Decimal | None = None
    reasoning_per_million: Decimal | None = None


# -- ingest ------------------------------------------------------------------------------------


@strawberry.input(description="One task attempt; idempotent by correlationId.")
class RunInput:
    correlation_id: str
    workflow_key: str
    client_id: strawberry.ID | None = None
    started_at: datetime
    campaign: str | None = None
    channel: str | None = None
    variant: str | None = None
    team: str | None = None
    subject: str | None = None


@strawberry.input(
    description="One metered event; idempotent by eventId. Token counts are disjoint: "
    "inputTokens excludes cached input, outputTokens excludes reasoning. A given cost is taken "
    "as reported and not re-priced."
)
class UsageEventInput:
    event_id: str
    correlation_id: str | None = None
    workflow_key: str
    client_id: strawberry.ID | None = None
    kind: UsageKind
    occurred_at: datetime
    provider: str | None = None
    model: str | None = None
    step: str | None = None
    team: str | None = None
    input_tokens: int | None = 0
    output_tokens: int | None = 0
    cache_read_tokens: int | None = 0
    cache_write_tokens: int | None = 0
    reasoning_tokens: int | None = 0
    reasoning_effort: str | None = None
    latency_ms: int | None = None
    cost: Decimal | None = strawberry.field(
        default=None,
        description="Required for every kind but LLM; LLM usage without it is priced from the "
        "price book in force at occurredAt (refused when no price is in force).",
    )


@strawberry.input(
    description="A status signal for a run; idempotent by (correlationId, at, status)."
)
class RunLabelInput:
    correlation_id: str
    status: RunStatus
    at: datetime
    reviewer: str | None = None
    reason: str | None = None


# -- inputs of mutations that land with later issues ----------------------------------------------


@strawberry.input
class OutcomeInput:
    workflow_key: str
    rung: str
    subject: str | None = None
    correlation_id: str | None = None
    occurred_at: datetime
    event_id: str


@strawberry.input
class RevenueInput:
    event_id: str
    client_id: strawberry.ID
    amount: Decimal
    occurred_at: datetime
    workflow_key: str | None = None
    subject: str | None = None
    correlation_id: str | None = None
    kind: str | None = None


@strawberry.input
class BaselineInput:
    workflow_key: str
    client_id: strawberry.ID | None = None
    revenue_per_success: Decimal
    human_cost_per_task: Decimal | None = None


@strawberry.input
class GateInput:
    workflow_key: str
    target_level: int
    min_acceptance_rate: float
    min_sample_size: int
    confidence: float | None = 0.95
    max_cost_per_outcome: Decimal
    max_drift_pct: float | None = 10.0
    window_days: int | None = 30
    auto_demote_after: int | None = strawberry.field(
        default=None,
        description="Demote one level after this many consecutive FAIL evaluations at this "
        "level by the hourly worker; null (the default) turns auto-demotion off.",
    )


@strawberry.input
class CeilingInput:
    workflow_key: str
    rung: str
    dimension: CostDimension
    value: str
    ceiling: Decimal


@strawberry.input
class InvoiceInput:
    provider: str
    month: str = strawberry.field(description='The invoiced month, e.g. "2026-03".')
    amount: Decimal
