"""CachingView and SliceCost: shapes of figures computed by `app.domain`."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain.caching import CachingView as CachingFigures
from app.domain.cost_per_outcome import cost_per_outcome
from app.services.costs.model_mix import SliceTotals
from graphql_schema.shaping import copy_fields


@strawberry.type(
    description="The prompt cache's effect on a cohort (the runs started in range, all their "
    "usage, plus workflow-level usage in range — the same events as costPerOutcome)."
)
class CachingView:
    cache_read_tokens: int = strawberry.field(description="Input tokens read from the cache.")
    input_tokens: int = strawberry.field(description="Uncached input tokens.")
    cache_hit_share: float | None = strawberry.field(
        description="cacheReadTokens / (cacheReadTokens + inputTokens); null when both are 0."
    )
    savings: Decimal = strawberry.field(
        description="Σ over priced events of (input − cacheRead price per million, of the price "
        "version that priced the event) × cacheReadTokens / 1e6. Reported-cost events carry no "
        "price and save 0."
    )
    total_cost: Decimal = strawberry.field(description="Same as costPerOutcome.totalCost.")
    cost_per_outcome: Decimal | None = strawberry.field(
        description="totalCost / acceptedOutcomes; null when none."
    )
    cost_per_outcome_without_cache: Decimal | None = strawberry.field(
        description="(totalCost + savings) / acceptedOutcomes: what an outcome would cost had "
        "every cache read been paid at the input price; null when no accepted outcome."
    )

    @classmethod
    def from_figures(cls, figures: CachingFigures) -> CachingView:
        return copy_fields(cls, figures)


@strawberry.type(
    description="One slice of a cohort (a variant, or a dominant model) with its unit economics. "
    "Workflow-level costs belong to no run, hence to no slice."
)
class SliceCost:
    value: str | None = strawberry.field(
        description="The variant or model; null for runs without one (no variant / no LLM usage)."
    )
    attempts: int = strawberry.field(description="Runs of the slice started in range.")
    accepted_outcomes: int = strawberry.field(description="Of those, runs counted ACCEPTED.")
    total_cost: Decimal = strawberry.field(description="All usage of the slice's runs.")
    cost_per_outcome: Decimal | None = strawberry.field(
        description="totalCost / acceptedOutcomes; null when none."
    )
    success_rate: float | None = strawberry.field(
        description="acceptedOutcomes / finished attempts; null when none finished."
    )

    @classmethod
    def from_totals(cls, sliced: SliceTotals) -> SliceCost:
        return copy_fields(cls, cost_per_outcome(sliced.totals), value=sliced.value)
