"""Results of write mutations: counts plus errors as data (Saleor style), and promotion."""

from __future__ import annotations

import strawberry

from app.services.ingest import IngestOutcome
from graphql_schema.readiness.types import AutonomyReadiness


@strawberry.type(description="One problem with one record; nothing of the batch was written.")
class IngestError:
    index: int = strawberry.field(description="0-based position of the record in the batch.")
    field: str = strawberry.field(description='The offending input field, e.g. "inputTokens".')
    message: str


@strawberry.type(
    description="What a batch did. With errors, nothing was written and both counts are 0."
)
class IngestResult:
    accepted: int = strawberry.field(description="Records newly stored.")
    duplicates: int = strawberry.field(
        description="Records already stored, or repeated inside the batch (idempotent replay)."
    )
    errors: list[IngestError]

    @classmethod
    def from_outcome(cls, outcome: IngestOutcome) -> IngestResult:
        return cls(
            accepted=outcome.accepted,
            duplicates=outcome.duplicates,
            errors=[
                IngestError(index=e.index, field=e.field, message=e.message) for e in outcome.errors
            ],
        )


@strawberry.type(description="The answer to promoteAutonomy: refused promotions say why.")
class PromotionResult:
    promoted: bool
    level: int
    readiness: AutonomyReadiness
