"""Results of write mutations: counts plus errors as data (Saleor style), and promotion."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.domain.pricing import Price
from app.services.ingest import IngestOutcome
from graphql_schema.nodes.interface import opaque_id
from graphql_schema.readiness.types import AutonomyReadiness
from graphql_schema.shaping import copy_fields
from graphql_schema.workflows.types import Workflow


@strawberry.type(description="One problem with one record; nothing of the batch was written.")
class IngestError:
    index: int = strawberry.field(description="0-based position of the record in the batch.")
    field: str = strawberry.field(description='The offending input field, e.g. "inputTokens".')
    message: str = strawberry.field(description="What is wrong, and how to fix it.")
    code: str | None = strawberry.field(
        default=None,
        description="A stable code for problems a client may handle by code: "
        "UNDECLARED_DIMENSION, RETIRED_DIMENSION, DIMENSION_VALUE_NOT_ALLOWED; null otherwise.",
    )


@strawberry.type(
    description="What a batch did. With errors, nothing was written and both counts are 0."
)
class IngestResult:
    accepted: int = strawberry.field(description="Records newly stored.")
    duplicates: int = strawberry.field(
        description="Records already stored, or repeated inside the batch (idempotent replay)."
    )
    errors: list[IngestError] = strawberry.field(
        description="Problems with records; non-empty means nothing was written."
    )

    @classmethod
    def from_outcome(cls, outcome: IngestOutcome) -> IngestResult:
        return copy_fields(
            cls, outcome, errors=[copy_fields(IngestError, e) for e in outcome.errors]
        )


@strawberry.type(
    description="The answer to promoteAutonomy and demoteAutonomy: refused promotions say why."
)
class PromotionResult:
    promoted: bool = strawberry.field(description="Whether the level was raised.")
    level: int = strawberry.field(description="The workflow's level after the decision.")
    readiness: AutonomyReadiness = strawberry.field(
        description="The readiness the decision was taken on."
    )
    workflow: Workflow | None = strawberry.field(
        default=None,
        description="The workflow after the decision (its autonomyLevel), for client caches.",
    )


@strawberry.type(description="One effective-dated price of a model, USD per million tokens.")
class ModelPrice:
    id: strawberry.ID = strawberry.field(
        description="Opaque id of (provider, model, effectiveFrom), for client caches."
    )
    provider: str = strawberry.field(description="The provider, as usage events name it.")
    model: str = strawberry.field(description="The model, as usage events name it.")
    effective_from: datetime = strawberry.field(description="In force from this time on.")
    input_per_million: Decimal = strawberry.field(description="Uncached input tokens.")
    output_per_million: Decimal = strawberry.field(description="Output tokens.")
    cache_read_per_million: Decimal | None = strawberry.field(
        description="Cached input reads; null: the input rate."
    )
    cache_write_per_million: Decimal | None = strawberry.field(
        description="Cache writes; null: the input rate."
    )
    reasoning_per_million: Decimal | None = strawberry.field(
        description="Reasoning tokens; null: the output rate."
    )

    @classmethod
    def from_price(cls, price: Price) -> ModelPrice:
        parts = (price.provider, price.model, price.effective_from.isoformat())
        return copy_fields(cls, price, id=opaque_id("ModelPrice", *parts))


@strawberry.type(description="The answer to setModelPrice: the price as stored.")
class SetModelPricePayload:
    model_price: ModelPrice = strawberry.field(description="The price, rates as stored.")
