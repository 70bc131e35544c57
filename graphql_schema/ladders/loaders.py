"""Loaders of ladder figures, batched across workflows (no query per workflow in a list).

- `rung_counts`: distinct reachers per rung, keyed like the cohort figures (`CohortKey`), so a
  list of workflows asking `ladderCosts` over one range costs one counting statement next to
  the cohort-totals statement that `costPerOutcome` uses (and `ladderCosts` reuses).
- `slices`: spend and reachers of one rung per slice (time bucket or dimension value); the keys
  of a batch that share (range, scope, rung, slicing) are answered by one statement.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from app.services.costs.cohorts import CohortQuestion
from app.services.costs.scope import CostScope, TimeRange
from app.services.costs.slices import Grouping, by_bucket, by_dimension
from app.services.ladders.cohorts import SliceFigures, slice_figures
from app.services.ladders.cohorts import rung_counts as count_rungs
from graphql_schema.costs.loaders import CohortKey, _grouped_loader

if TYPE_CHECKING:
    from graphql_schema.context import Context

RungCountsLoader = DataLoader[CohortKey, dict[str, int]]


def rung_counts(context: Context) -> RungCountsLoader:
    return _grouped_loader(context, count_rungs)


@dataclass(frozen=True)
class SliceKey:
    """One workflow's slices of one rung: by buckets of `step` from the range's start, or by
    the values of `dimension` (exactly one of the two is set)."""

    workflow_id: uuid.UUID
    time_range: TimeRange
    scope: CostScope
    rung: str
    step: timedelta | None = None
    dimension: str | None = None

    @property
    def group(self) -> tuple[TimeRange, CostScope, str, timedelta | None, str | None]:
        return (self.time_range, self.scope, self.rung, self.step, self.dimension)

    def grouping(self) -> Grouping:
        if self.step is not None:
            return by_bucket(self.time_range.start, self.step)
        assert self.dimension is not None
        return by_dimension(self.dimension)


SlicesLoader = DataLoader[SliceKey, dict[Any, SliceFigures]]


def slices(context: Context) -> SlicesLoader:
    async def load(keys: list[SliceKey]) -> list[dict[Any, SliceFigures]]:
        groups: dict[Any, list[SliceKey]] = defaultdict(list)
        for key in keys:
            groups[key.group].append(key)
        found: dict[SliceKey, dict[Any, SliceFigures]] = {}
        async with context.session() as session:
            for members in groups.values():
                first = members[0]
                result = await slice_figures(
                    session=session,
                    question=CohortQuestion(
                        context.principal.tenant_id,
                        sorted({k.workflow_id for k in members}),
                        first.time_range,
                        first.scope,
                        context.now,
                    ),
                    grouping=first.grouping(),
                    rungs=[first.rung],
                )
                for key in members:
                    found[key] = result[key.workflow_id]
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)
