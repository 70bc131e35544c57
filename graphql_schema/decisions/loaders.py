"""Loaders of the decision figures, keyed like the cohort loaders (one statement per group)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.services.costs.model_mix import SliceTotals, effort_slices
from graphql_schema.costs.loaders import CohortKey, _grouped_loader

if TYPE_CHECKING:
    from graphql_schema.context import Context


@dataclass
class DecisionLoaders:
    by_effort: DataLoader[CohortKey, list[SliceTotals]]


def build(context: Context) -> DecisionLoaders:
    return DecisionLoaders(by_effort=_grouped_loader(context, effort_slices))
