"""Cost figures as GraphQL types. Money is Decimal (a JSON string); rates and shares are Float.

The numbers are computed by `app.domain` from totals that SQL aggregated; these types only
shape them.
"""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.domain.breakdown import Bucket
from app.domain.cost_per_outcome import CostPerOutcome as CostPerOutcomeFigures
from app.domain.failure_share import FailureCostShare as FailureCostShareFigures
from app.domain.run_cost_stats import RunCostStats as RunCostStatsFigures
from graphql_schema.costs.enums import RunStatus
from graphql_schema.shaping import copy_fields


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


@strawberry.type(
    description="What one accepted outcome of a workflow really costs, for one cohort."
)
class CostPerOutcome:
    attempts: int = strawberry.field(description="Runs started in range (every status).")
    accepted_outcomes: int = strawberry.field(
        description="Of those, runs counted ACCEPTED (acceptance hold passed)."
    )
    pending_outcomes: int = strawberry.field(
        description="ACCEPTED but still inside the acceptance hold: not an outcome yet."
    )
    total_cost: Decimal = strawberry.field(
        description="Fully loaded: all usage of those runs + workflow-level costs in range."
    )
    cost_per_attempt: Decimal | None = strawberry.field(
        description="totalCost / attempts; null when attempts = 0."
    )
    cost_per_outcome: Decimal | None = strawberry.field(
        description="totalCost / acceptedOutcomes; null when acceptedOutcomes = 0."
    )
    success_rate: float | None = strawberry.field(
        description="acceptedOutcomes / finished attempts; null when none finished."
    )
    failure_cost_share: float | None = strawberry.field(
        description="Cost of runs in a failure status / totalCost; null when totalCost = 0."
    )

    @classmethod
    def from_figures(cls, figures: CostPerOutcomeFigures) -> CostPerOutcome:
        return copy_fields(
            cls,
            figures,
            success_rate=_float(figures.success_rate),
            failure_cost_share=_float(figures.failure_cost_share),
        )


@strawberry.type(description="The spend of the cohort's runs that ended in one failure status.")
class StatusCost:
    status: RunStatus = strawberry.field(description="The failure status.")
    runs: int = strawberry.field(description="The cohort's runs that ended in it.")
    cost: Decimal = strawberry.field(description="Their spend (USD).")
    share: float = strawberry.field(description="cost / totalCost (0 when totalCost = 0).")


@strawberry.type(
    description="The share of spend that produced no accepted outcome, by failure status."
)
class FailureCostShare:
    total_cost: Decimal = strawberry.field(description="The cohort's fully loaded spend (USD).")
    failed_cost: Decimal = strawberry.field(
        description="Spend on runs that ended in a failure status (USD)."
    )
    share: float | None = strawberry.field(description="failedCost / totalCost; null when 0.")
    by_status: list[StatusCost] = strawberry.field(
        description="Every failure status, always in the same order."
    )

    @classmethod
    def from_figures(cls, figures: FailureCostShareFigures) -> FailureCostShare:
        return copy_fields(
            cls,
            figures,
            share=_float(figures.share),
            by_status=[
                copy_fields(
                    StatusCost, item, status=RunStatus(item.status), share=_float(item.share) or 0.0
                )
                for item in figures.by_status
            ],
        )


@strawberry.type(description="The distribution of per-run cost over a cohort (nearest-rank).")
class RunCostStats:
    runs: int = strawberry.field(description="Runs in the cohort.")
    p50: Decimal | None = strawberry.field(description="Median per-run cost; null without runs.")
    p90: Decimal | None = strawberry.field(description="90th percentile; null without runs.")
    p99: Decimal | None = strawberry.field(description="99th percentile; null without runs.")
    max: Decimal | None = strawberry.field(description="The most one run cost; null without runs.")
    median_ci95_low: Decimal | None = strawberry.field(
        description="Distribution-free 95% interval for the median (order statistics); "
        "null when there are too few runs."
    )
    median_ci95_high: Decimal | None = strawberry.field(
        description="Upper end of the median's 95% interval; null when there are too few runs."
    )

    @classmethod
    def from_figures(cls, figures: RunCostStatsFigures) -> RunCostStats:
        return copy_fields(cls, figures)


@strawberry.type(description="Spend of one combination of dimension values.")
class CostBucket:
    key: list[str] = strawberry.field(description="One value per groupBy dimension, in order.")
    cost: Decimal = strawberry.field(
        description="Spend of the combination (USD); the buckets add up to the total."
    )
    events: int = strawberry.field(description="Usage events in it.")
    input_tokens: int = strawberry.field(description="Uncached input tokens.")
    output_tokens: int = strawberry.field(description="Output tokens, reasoning excluded.")
    cache_read_tokens: int = strawberry.field(description="Cached input tokens read.")
    reasoning_tokens: int = strawberry.field(
        description="Reasoning (thinking) tokens, priced at the reasoning rate (else output); "
        "not included in outputTokens."
    )
    cache_write_tokens: int = strawberry.field(
        description="Input tokens written to the provider's prompt cache, priced at the "
        "cache-write rate (else input); not included in inputTokens."
    )

    @classmethod
    def from_bucket(cls, bucket: Bucket) -> CostBucket:
        return copy_fields(cls, bucket, key=list(bucket.key))
