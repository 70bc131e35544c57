"""The contract's input types, with its names, nullability and defaults.

Ingest inputs (RunInput, UsageEventInput, RunLabelInput) are converted to the same record
mappings the HTTP batch endpoint takes (see graphql_schema.ingest.convert), so both paths share
one validator. Enum values and scalars (DateTime, Decimal) are checked by graphql-core first.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import strawberry

from graphql_schema.costs.enums import CostDimension, RunStatus, UsageKind


def workflow_key_field() -> Any:
    """The `workflowKey` of an input that names a workflow."""
    return strawberry.field(
        description="The workflow's key (unknown: an error naming workflowKey)."
    )


def event_id_field() -> Any:
    """The `eventId` that makes an ingested event idempotent."""
    return strawberry.field(description="The event's id; replaying it changes nothing.")


# -- configuration -------------------------------------------------------------------------------


@strawberry.input(description="One rung of an outcome ladder.")
class LadderRungInput:
    key: str = strawberry.field(description='The rung\'s key, unique in the ladder, e.g. "reply".')
    name: str = strawberry.field(description="The rung's display name.")


@strawberry.input(description="A workflow, created or updated by key.")
class WorkflowInput:
    key: str = strawberry.field(
        description="The workflow's key: creates it, or updates the one with this key."
    )
    name: str = strawberry.field(description="The display name.")
    division: str | None = strawberry.field(
        default=None, description="An optional grouping, e.g. a team."
    )
    acceptance_hold_hours: int | None = strawberry.field(
        default=0,
        description="Hours an ACCEPTED run stays provisional (a reopen inside them revokes it).",
    )
    ladder: list[LadderRungInput] | None = strawberry.field(
        default=None,
        description='Ordered rungs (at most 50); the first may be "accepted" (a run accepted). '
        "Default for a new workflow: [accepted]; omitted on an existing workflow: its ladder "
        "is kept.",
    )


@strawberry.input(description="A client of the agency.")
class ClientInput:
    name: str = strawberry.field(
        description="The client's name (1 to 200 characters), unique in the tenant."
    )


@strawberry.input(description="A price per million tokens, in force from effectiveFrom.")
class ModelPriceInput:
    provider: str = strawberry.field(
        description='The provider, as usage events name it, e.g. "anthropic".'
    )
    model: str = strawberry.field(description="The model, as usage events name it.")
    effective_from: datetime = strawberry.field(
        description="In force from this time on (until a later price of the same model)."
    )
    input_per_million: Decimal = strawberry.field(
        description="USD per million uncached input tokens."
    )
    output_per_million: Decimal = strawberry.field(description="USD per million output tokens.")
    cache_read_per_million: Decimal | None = strawberry.field(
        default=None, description="USD per million cached input tokens read; null: the input rate."
    )
    cache_write_per_million: Decimal | None = strawberry.field(
        default=None,
        description="USD per million input tokens written to a cache; null: the input rate.",
    )
    reasoning_per_million: Decimal | None = strawberry.field(
        default=None, description="USD per million reasoning tokens; null: the output rate."
    )


# -- ingest ------------------------------------------------------------------------------------


@strawberry.input(description="One value of a run dimension the tenant declared.")
class RunDimensionValueInput:
    key: str = strawberry.field(description="The dimension's key, e.g. segment.")
    value: str = strawberry.field(description="The run's value, e.g. smb.")


@strawberry.input(description="One task attempt; idempotent by correlationId.")
class RunInput:
    correlation_id: str = strawberry.field(
        description="Ties every event of the attempt together; unique in the tenant."
    )
    workflow_key: str = workflow_key_field()
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="The run's client: Client.id or its UUID."
    )
    started_at: datetime = strawberry.field(
        description="When the attempt started (with a UTC offset)."
    )
    campaign: str | None = strawberry.field(default=None, description="Dimension: the campaign.")
    channel: str | None = strawberry.field(default=None, description="Dimension: the channel.")
    variant: str | None = strawberry.field(
        default=None, description="Dimension: the variant (e.g. model A vs model B)."
    )
    team: str | None = strawberry.field(default=None, description="Dimension: the team.")
    subject: str | None = strawberry.field(
        default=None,
        description="What the attempt works on (a lead, a ticket), for ladder outcomes.",
    )
    dimensions: list[RunDimensionValueInput] | None = strawberry.field(
        default=None,
        description="The tenant's own dimensions (declareRunDimension): one value per key. An "
        "undeclared key, a retired one or a value outside the allowed values is an error with "
        "its code.",
    )


@strawberry.input(
    description="One metered event; idempotent by eventId. Token counts are disjoint: "
    "inputTokens excludes cached input, outputTokens excludes reasoning. A given cost is taken "
    "as reported and not re-priced."
)
class UsageEventInput:
    event_id: str = event_id_field()
    correlation_id: str | None = strawberry.field(
        default=None, description="The run it belongs to; null: a workflow-level cost."
    )
    workflow_key: str = workflow_key_field()
    client_id: strawberry.ID | None = strawberry.field(
        default=None, description="The client: Client.id or its UUID."
    )
    kind: UsageKind = strawberry.field(description="What was metered.")
    occurred_at: datetime = strawberry.field(description="When it happened (with a UTC offset).")
    provider: str | None = strawberry.field(default=None, description="The model or tool provider.")
    model: str | None = strawberry.field(
        default=None, description="The model of an LLM call (priced from the price book)."
    )
    step: str | None = strawberry.field(
        default=None, description="The step or role, e.g. planner, drafter, verifier."
    )
    team: str | None = strawberry.field(default=None, description="The team.")
    input_tokens: int | None = strawberry.field(
        default=0, description="Uncached input tokens (>= 0)."
    )
    output_tokens: int | None = strawberry.field(
        default=0, description="Output tokens, reasoning excluded (>= 0)."
    )
    cache_read_tokens: int | None = strawberry.field(
        default=0, description="Input tokens read from a cache (>= 0)."
    )
    cache_write_tokens: int | None = strawberry.field(
        default=0, description="Input tokens written to a cache (>= 0)."
    )
    reasoning_tokens: int | None = strawberry.field(
        default=0, description="Reasoning tokens (>= 0)."
    )
    reasoning_effort: str | None = strawberry.field(
        default=None, description='The reasoning effort tier, e.g. "high".'
    )
    latency_ms: int | None = strawberry.field(
        default=None, description="The call's latency in milliseconds."
    )
    cost: Decimal | None = strawberry.field(
        default=None,
        description="Required for every kind but LLM; LLM usage without it is priced from the "
        "price book in force at occurredAt (refused when no price is in force).",
    )


@strawberry.input(
    description="A status signal for a run; idempotent by (correlationId, at, status)."
)
class RunLabelInput:
    correlation_id: str = strawberry.field(description="The run labelled.")
    status: RunStatus = strawberry.field(description="The status the signal sets.")
    at: datetime = strawberry.field(description="When (with a UTC offset); the latest label wins.")
    reviewer: str | None = strawberry.field(default=None, description="Who labelled it.")
    reason: str | None = strawberry.field(default=None, description="Why, in a sentence.")


# -- outcomes, revenue, baselines, gates, ceilings, invoices --------------------------------------


@strawberry.input(
    description="That subjects (or runs) reached a ladder rung; idempotent by eventId."
)
class OutcomeInput:
    workflow_key: str = workflow_key_field()
    rung: str = strawberry.field(
        description='The rung reached: active in the ladder, not "accepted".'
    )
    subject: str | None = strawberry.field(
        default=None, description="The subject that reached it (a lead, a deal)."
    )
    correlation_id: str | None = strawberry.field(
        default=None, description="The run that reached it."
    )
    occurred_at: datetime = strawberry.field(description="When it was reached (with a UTC offset).")
    event_id: str = event_id_field()


@strawberry.input(description="Revenue of a client; idempotent by eventId.")
class RevenueInput:
    event_id: str = event_id_field()
    client_id: strawberry.ID = strawberry.field(
        description="The client the revenue belongs to: Client.id or its UUID."
    )
    amount: Decimal = strawberry.field(
        description="USD, exact in whole cents; negative for refunds and corrections."
    )
    occurred_at: datetime = strawberry.field(description="When it was earned (with a UTC offset).")
    workflow_key: str | None = strawberry.field(
        default=None, description="The workflow it is linked to, if any."
    )
    subject: str | None = strawberry.field(
        default=None, description="The subject it is linked to (a deal), if any."
    )
    correlation_id: str | None = strawberry.field(
        default=None, description="The run it is linked to, if any."
    )
    kind: str | None = strawberry.field(
        default=None, description='What kind of revenue, e.g. "deal_won".'
    )


@strawberry.input(description="What the manual process earned per success and cost per task.")
class BaselineInput:
    workflow_key: str = workflow_key_field()
    client_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="For this client only (Client.id or its UUID); null: workflow-wide.",
    )
    revenue_per_success: Decimal = strawberry.field(
        description="What the manual process earned per comparable outcome (USD)."
    )
    human_cost_per_task: Decimal | None = strawberry.field(
        default=None, description="What a task cost in human time (USD); null when unknown."
    )


@strawberry.input(description="What a workflow must prove to be promoted to targetLevel.")
class GateInput:
    workflow_key: str = workflow_key_field()
    target_level: int = strawberry.field(description="The level the gate guards (1..3).")
    min_acceptance_rate: float = strawberry.field(
        description="The acceptance rate's lower confidence bound must reach this (0..1)."
    )
    min_sample_size: int = strawberry.field(
        description="Completed runs needed in the window; fewer is INSUFFICIENT_DATA."
    )
    confidence: float | None = strawberry.field(
        default=0.95, description="Confidence of the bounds (0.5..0.999)."
    )
    max_cost_per_outcome: Decimal = strawberry.field(
        description="The budget for cost per accepted outcome (USD)."
    )
    max_drift_pct: float | None = strawberry.field(
        default=10.0,
        description="The most cost per outcome may rise against the previous window (%).",
    )
    window_days: int | None = strawberry.field(
        default=30, description="Days of runs each evaluation looks at."
    )
    auto_demote_after: int | None = strawberry.field(
        default=None,
        description="Demote one level after this many consecutive FAIL evaluations at this "
        "level by the hourly worker; null (the default) turns auto-demotion off.",
    )


@strawberry.input(description="The most one rung may cost for a slice of a workflow.")
class CeilingInput:
    workflow_key: str = workflow_key_field()
    rung: str = strawberry.field(description="An active rung of the workflow's ladder.")
    dimension: CostDimension = strawberry.field(
        description="CAMPAIGN, CHANNEL, VARIANT, CLIENT, TEAM, or CUSTOM with dimensionKey."
    )
    value: str = strawberry.field(description="The slice's value (for CLIENT: a client's UUID).")
    dimension_key: str | None = strawberry.field(
        default=None,
        description="The run dimension sliced by with CUSTOM (required then; a key the tenant "
        "never declared is BAD_USER_INPUT).",
    )
    ceiling: Decimal = strawberry.field(description="The most one rung may cost (USD, >= 0).")


@strawberry.input(description="A provider's invoice for one UTC month (USD).")
class InvoiceInput:
    provider: str = strawberry.field(description="The provider, exactly as usage events name it.")
    month: str = strawberry.field(description='The invoiced month, e.g. "2026-03".')
    amount: Decimal = strawberry.field(description="The invoiced USD amount (>= 0).")
