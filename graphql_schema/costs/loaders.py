"""Loaders of cohort figures, keyed by (workflow, range, scope, basis).

A batch groups its keys by (range, scope, basis) and runs ONE aggregate statement per group for
all the workflows of that group (GROUP BY workflow_id), in one session. So a list of any number of
workflows, each asking costPerOutcome and failureCostShare over the same range, costs a
constant number of queries.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from strawberry.dataloader import DataLoader

from app.services.costs.cohorts import (
    CohortFigures,
    CohortQuestion,
    cohort_figures,
    cohort_run_costs,
)
from app.services.costs.figures import CostBasis
from app.services.costs.scope import CostScope, TimeRange

if TYPE_CHECKING:
    from graphql_schema.context import Context

T = TypeVar("T")


@dataclass(frozen=True)
class CohortKey:
    workflow_id: uuid.UUID
    time_range: TimeRange
    scope: CostScope
    basis: CostBasis = CostBasis.RACK_RATE


# (*, session, question[, basis]) -> result per workflow
GroupQuery = Callable[..., Awaitable[dict[uuid.UUID, T]]]
Group = tuple[TimeRange, CostScope, CostBasis | None]


def _grouped_loader(
    context: Context, query: GroupQuery[T], *, by_basis: bool = False
) -> DataLoader[CohortKey, T]:
    """by_basis: the figures depend on the cost basis, which is passed on to `query`; otherwise
    keys that differ only in basis share one answer (e.g. the ladder's rung counts)."""

    def group_of(key: CohortKey) -> Group:
        return (key.time_range, key.scope, key.basis if by_basis else None)

    async def load(keys: list[CohortKey]) -> list[T]:
        groups: dict[Group, list[uuid.UUID]] = defaultdict(list)
        for key in keys:
            ids = groups[group_of(key)]
            if key.workflow_id not in ids:
                ids.append(key.workflow_id)
        found: dict[tuple[uuid.UUID, Group], T] = {}
        async with context.session() as session:
            for group, workflow_ids in groups.items():
                time_range, scope, basis = group
                question = CohortQuestion(
                    context.principal.tenant_id, workflow_ids, time_range, scope, context.now
                )
                result = await query(
                    session=session,
                    question=question,
                    **({"basis": basis} if by_basis else {}),
                )
                for workflow_id, value in result.items():
                    found[(workflow_id, group)] = value
        return [found[(k.workflow_id, group_of(k))] for k in keys]

    return DataLoader(load_fn=load)


CohortLoader = DataLoader[CohortKey, CohortFigures]
RunCostsLoader = DataLoader[CohortKey, list[Decimal]]


def cohort(context: Context) -> CohortLoader:
    return _grouped_loader(context, cohort_figures, by_basis=True)


def cohort_run_cost_list(context: Context) -> RunCostsLoader:
    return _grouped_loader(context, cohort_run_costs, by_basis=True)
