"""Resolver steps of Workflow.caching, costByVariant and costByModel (thin: load, compute)."""

from __future__ import annotations

from app.domain.caching import CachingTotals, caching_view
from graphql_schema.context import Info
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.loaders import loaders
from graphql_schema.mix.types import CachingView, SliceCost


async def caching(info: Info, key: CohortKey) -> CachingView:
    """Cache figures plus the cohort's totals (same loader as costPerOutcome: batched)."""
    tokens = await loaders(info).mix.cache_tokens.load(key)
    figures = await loaders(info).cohort.load(key)
    totals = CachingTotals(
        cache_read_tokens=tokens.cache_read_tokens,
        input_tokens=tokens.input_tokens,
        savings=tokens.savings,
        total_cost=figures.total_cost,
        accepted_outcomes=figures.accepted,
    )
    return CachingView.from_figures(caching_view(totals))


async def cost_by_variant(info: Info, key: CohortKey) -> list[SliceCost]:
    return [SliceCost.from_totals(s) for s in await loaders(info).mix.by_variant.load(key)]


async def cost_by_model(info: Info, key: CohortKey) -> list[SliceCost]:
    return [SliceCost.from_totals(s) for s in await loaders(info).mix.by_model.load(key)]
