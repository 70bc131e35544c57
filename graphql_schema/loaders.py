"""Per-request DataLoaders, built fresh for every request (never shared across requests).

Each batch function opens its own tenant-bound session: sibling resolvers run concurrently and
one AsyncSession cannot serve concurrent operations.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from app.db.tables import Workflow as WorkflowRow
from graphql_schema.costs import loaders as costs
from graphql_schema.decisions import loaders as decisions
from graphql_schema.errors import NotFound, field_errors
from graphql_schema.gates import loaders as gates
from graphql_schema.ladders import loaders as ladders
from graphql_schema.mix import loaders as mix
from graphql_schema.roi import loaders as roi
from graphql_schema.runs import loaders as runs
from graphql_schema.workflows import loaders as workflows

if TYPE_CHECKING:
    from graphql_schema.context import Context, Info


@dataclass
class Loaders:
    workflow_by_key: workflows.WorkflowByKey
    workflow_by_id: workflows.WorkflowById
    ladder: workflows.LadderOf
    cohort: costs.CohortLoader
    cohort_run_costs: costs.RunCostsLoader
    rung_counts: ladders.RungCountsLoader
    slices: ladders.SlicesLoader
    run_cost: runs.RunCost
    run_usage: runs.RunUsage
    gates: gates.GateLoaders
    mix: mix.MixLoaders
    roi_windows: roi.RoiWindowsLoader
    roi_totals: roi.RoiTotalsLoader
    decisions: decisions.DecisionLoaders


def build_loaders(context: Context) -> Loaders:
    return Loaders(
        workflow_by_key=workflows.workflow_by_key(context),
        workflow_by_id=workflows.workflow_by_id(context),
        ladder=workflows.ladder_of(context),
        cohort=costs.cohort(context),
        cohort_run_costs=costs.cohort_run_cost_list(context),
        rung_counts=ladders.rung_counts(context),
        slices=ladders.slices(context),
        run_cost=runs.run_cost(context),
        run_usage=runs.run_usage(context),
        gates=gates.build(context),
        mix=mix.build(context),
        roi_windows=roi.roi_windows(context),
        roi_totals=roi.roi_totals(context),
        decisions=decisions.build(context),
    )


def loaders(info: Info) -> Loaders:
    """The request's loaders, typed (the context holds them untyped to avoid an import cycle)."""
    return cast(Loaders, info.context.loaders)


async def require_workflow(info: Info, key: str, *, field: str = "workflowKey") -> WorkflowRow:
    """The workflow with `key`; NOT_FOUND naming `field` when the tenant has none."""
    workflow = await loaders(info).workflow_by_key.load(key)
    if workflow is None:
        raise NotFound(f"No workflow with key {key!r}.", field=field)
    return workflow


async def optional_workflow_id(info: Info, key: str | None) -> uuid.UUID | None:
    """The id of the workflow an optional `workflowKey` filter names (NOT_FOUND when the tenant
    has none); None without a key, meaning every workflow."""
    return None if key is None else (await require_workflow(info, key)).workflow_id


@asynccontextmanager
async def workflow_write(info: Info, key: str) -> AsyncIterator[WorkflowRow]:
    """A mutation writing rows of the workflow `key`: NOT_FOUND when the tenant has none (like
    every field taking one), checked before the block; inside it, a service's FieldError is
    BAD_USER_INPUT, except one on workflowKey (the workflow deleted meanwhile): NOT_FOUND."""
    workflow = await require_workflow(info, key)
    with field_errors(not_found="workflowKey"):
        yield workflow
