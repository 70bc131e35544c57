"""Outcome-ladder figures as GraphQL types: cost per rung, its series, rising slices.

The numbers come from `app.domain.ladder` (via `app.services.ladders.figures`); these types only
shape them. Money is Decimal (a JSON string); conversions and percentages are Float.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from app.domain.ladder import RungCost
from app.services.ladders import figures as ladders
from graphql_schema.costs.enums import CostDimension, dimension_fields, dimension_key_field
from graphql_schema.shaping import copy_fields


@strawberry.type(
    description="One rung of the ladder for a cohort: how many reached it, at what cost."
)
class LadderCost:
    rung: str = strawberry.field(description="The rung's key.")
    position: int = strawberry.field(description="The rung's place in the ladder.")
    count: int = strawberry.field(
        description="Distinct subjects (runs when there is no subject) of the cohort that "
        "reached this rung, whenever they reached it."
    )
    total_cost: Decimal = strawberry.field(
        description="The cohort's fully loaded spend (the same for every rung, and the same as "
        "costPerOutcome.totalCost)."
    )
    cost_per_rung: Decimal | None = strawberry.field(
        description="totalCost / count (10 dp, half-even); null when count = 0."
    )
    conversion_from_previous: float | None = strawberry.field(
        description="count / the previous rung's count; null for the first rung or when the "
        "previous count is 0. Rungs are counted independently, so it may exceed 1."
    )

    @classmethod
    def from_figures(cls, figures: RungCost) -> LadderCost:
        return copy_fields(cls, figures)


@strawberry.type(description="One bucket [start, end) of a rung's series: a cohort of its own.")
class SeriesPoint:
    start: datetime = strawberry.field(description="Bucket start, inclusive.")
    end: datetime = strawberry.field(
        description="Bucket end, exclusive (the last one clipped to range.to)."
    )
    count: int = strawberry.field(
        description="Distinct subjects of the bucket's cohort that reached the rung."
    )
    total_cost: Decimal = strawberry.field(
        description="The bucket cohort's fully loaded spend (USD)."
    )
    cost_per_rung: Decimal | None = strawberry.field(
        description="totalCost / count; null when count = 0."
    )

    @classmethod
    def from_point(cls, point: ladders.SeriesPoint) -> SeriesPoint:
        return copy_fields(cls, point)


@strawberry.type(
    description="A slice whose cost per rung rose more than minRisePct against the previous "
    "window of the same length."
)
class RisingSlice:
    dimension: CostDimension = strawberry.field(description="The dimension sliced.")
    dimension_key: str | None = dimension_key_field()
    value: str = strawberry.field(
        description="The slice: a campaign, channel, variant, team or run dimension value, or a "
        'client id; "(none)" for runs without one.'
    )
    previous_cost_per_rung: Decimal = strawberry.field(
        description="Cost per rung in the previous window of the same length."
    )
    current_cost_per_rung: Decimal | None = strawberry.field(
        description="null: money was spent in the window and nobody reached the rung."
    )
    rise_pct: float | None = strawberry.field(
        description="(current - previous) / previous * 100; null when the rise is unbounded "
        "(no outcome now, or from a cost of 0)."
    )

    @classmethod
    def from_slice(cls, found: ladders.RisingSlice) -> RisingSlice:
        return copy_fields(cls, found, **dimension_fields(found.dimension))
