"""Shared resolver steps for cohort figures: build the loader key, load, let the domain compute.

Workflow.costPerOutcome and Client.costPerOutcome are the same figure with different scopes, so
both go through here (and through the same DataLoader, so they batch together).
"""

from __future__ import annotations

import uuid

from app.services.costs import figures as costs
from app.services.costs.scope import CostScope
from graphql_schema.context import Info
from graphql_schema.costs.enums import CostBasis
from graphql_schema.costs.inputs import TimeRangeInput
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.costs.types import CostPerOutcome, FailureCostShare, RunCostStats
from graphql_schema.loaders import loaders


def cohort_key(
    workflow_id: uuid.UUID,
    time_range: TimeRangeInput,
    scope: CostScope,
    basis: CostBasis | None = CostBasis.RACK_RATE,
) -> CohortKey:
    chosen = basis if basis is not None else CostBasis.RACK_RATE
    return CohortKey(workflow_id, time_range.to_range(), scope, chosen)


async def cost_per_outcome(info: Info, key: CohortKey) -> CostPerOutcome:
    figures = await loaders(info).cohort.load(key)
    return CostPerOutcome.from_figures(costs.cost_per_outcome_of(figures))


async def failure_cost_share(info: Info, key: CohortKey) -> FailureCostShare:
    figures = await loaders(info).cohort.load(key)
    return FailureCostShare.from_figures(costs.failure_cost_share_of(figures))


async def run_cost_stats(info: Info, key: CohortKey) -> RunCostStats:
    run_costs = await loaders(info).cohort_run_costs.load(key)
    return RunCostStats.from_figures(costs.run_cost_stats_of(run_costs))
