"""Loaders of the decision figures, keyed like the cohort loaders (one statement per group)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from app.domain.failure_reasons import ReasonRuns
from app.services.costs.model_mix import SliceTotals, effort_slices
from app.services.decisions.dimensions import declared_dimensions
from app.services.decisions.failure_reasons import reason_runs
from app.services.decisions.reason_codes import declared_codes
from app.services.decisions.roadmap import RunOutcome, run_outcomes
from graphql_schema.batching import once_per_request
from graphql_schema.costs.loaders import CohortKey, _grouped_loader

if TYPE_CHECKING:
    from graphql_schema.context import Context


@dataclass
class DecisionLoaders:
    by_effort: DataLoader[CohortKey, list[SliceTotals]]
    by_reason: DataLoader[CohortKey, list[ReasonRuns]]
    reason_codes: DataLoader[None, dict[str, str]]
    run_outcomes: DataLoader[CohortKey, list[RunOutcome]]
    dimension_keys: DataLoader[None, frozenset[str]]


def _dimension_keys(context: Context) -> DataLoader[None, frozenset[str]]:
    """The keys of the tenant's declared run dimensions (retired too), once per request."""

    async def declared_keys() -> frozenset[str]:
        return frozenset(d.key for d in await context.call(declared_dimensions))

    return once_per_request(declared_keys)


def build(context: Context) -> DecisionLoaders:
    return DecisionLoaders(
        by_effort=_grouped_loader(context, effort_slices),
        by_reason=_grouped_loader(context, reason_runs),
        # The tenant's declared codes, read once per request whatever the number of workflows.
        reason_codes=once_per_request(partial(context.call, declared_codes)),
        run_outcomes=_grouped_loader(context, run_outcomes),
        dimension_keys=_dimension_keys(context),
    )
