"""Loaders of the caching and model-mix figures, keyed like the cohort loaders.

Each batch runs one statement per (range, scope) group for all the workflows of that group
(`graphql_schema.costs.loaders._grouped_loader`), so a list of workflows costs a bounded number
of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.services.costs.caching import CacheTokens, cache_tokens
from app.services.costs.model_mix import SliceTotals, model_slices, variant_slices
from graphql_schema.costs.loaders import CohortKey, _grouped_loader

if TYPE_CHECKING:
    from graphql_schema.context import Context


@dataclass
class MixLoaders:
    cache_tokens: DataLoader[CohortKey, CacheTokens]
    by_variant: DataLoader[CohortKey, list[SliceTotals]]
    by_model: DataLoader[CohortKey, list[SliceTotals]]


def build(context: Context) -> MixLoaders:
    return MixLoaders(
        cache_tokens=_grouped_loader(context, cache_tokens),
        by_variant=_grouped_loader(context, variant_slices),
        by_model=_grouped_loader(context, model_slices),
    )
