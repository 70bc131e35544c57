"""`roiRoadmap`: which workflow to build next — workflows ranked by ROI, with per-run medians."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar, Generic, Self, TypeVar

import strawberry

from app.domain.roadmap import Median, RoadmapRow, WorkflowEconomics, roadmap, run_roi
from app.domain.roi import roi_figures
from app.services.costs.scope import CostScope
from app.services.tenancy import catalog
from graphql_schema.context import Info
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.decisions.args import RangeArg
from graphql_schema.loaders import loaders
from graphql_schema.permissions import CanRead
from graphql_schema.roi.loaders import TotalsKey
from graphql_schema.shaping import copy_fields

V = TypeVar("V", Decimal, float)


@strawberry.type
class MedianInterval(Generic[V]):
    """A median with its interval, in the value type `V` of a subclass (money or ratio), whose
    `value` converts a domain Median's numbers to it."""

    value: ClassVar[Callable[[Decimal | float], Any]]

    n: int = strawberry.field(description="How many values the median is taken over.")
    median: V | None = strawberry.field(description="The ⌈n/2⌉-th smallest value; null when n = 0.")
    low: V | None = strawberry.field(
        description="Lower bound of the 95% interval; null when n < 6 (no such interval)."
    )
    high: V | None = strawberry.field(description="Upper bound of the 95% interval.")

    @classmethod
    def of(cls, found: Median) -> Self:
        def convert(given: Decimal | float | None) -> Any:
            return None if given is None else cls.value(given)

        median, low, high = (convert(b) for b in (found.median, found.low, found.high))
        return cls(n=found.n, median=median, low=low, high=high)


@strawberry.type(
    description="A median money amount with its distribution-free 95% interval (order statistics)."
)
class MoneyMedian(MedianInterval[Decimal]):
    value = Decimal


@strawberry.type(
    description="A median ratio with its distribution-free 95% interval (order statistics)."
)
class RatioMedian(MedianInterval[float]):
    value = float


@strawberry.type(description="One workflow of the ROI roadmap.")
class RoadmapEntry:
    workflow_key: str = strawberry.field(description="The workflow.")
    workflow_name: str = strawberry.field(description="Its name.")
    rank: int = strawberry.field(description="1 = highest ROI; workflows without an ROI last.")
    roi: float | None = strawberry.field(
        description="lift / cost of the day-cohorts in range (the same figure as Workflow.roi)."
    )
    lift: Decimal = strawberry.field(description="Attributed revenue − baseline revenue.")
    cost: Decimal = strawberry.field(description="Fully loaded cost of those day-cohorts.")
    complete: bool = strawberry.field(description="False while a window in range is OPEN.")
    cache_savings: Decimal = strawberry.field(
        description="What the prompt cache saved the cohort (Workflow.caching.savings)."
    )
    roi_without_cache: float | None = strawberry.field(
        description="lift / (cost + cacheSavings): the ROI had every cache read been paid at "
        "the input price; null when that cost is 0."
    )
    rank_without_cache: int = strawberry.field(
        description="The rank by roiWithoutCache: where caching moves the workflow."
    )
    run_cost: MoneyMedian = strawberry.field(
        description="Median per-run cost over the cohort's runs (0 for a run without usage)."
    )
    run_roi: RatioMedian = strawberry.field(
        description="Median ROI per finished run: (revenue the run claims − the baseline's "
        "revenue per success when accepted) / the run's cost; runs costing 0 are left out."
    )


@strawberry.type(description="Workflows ranked by ROI: which one to build next.")
class RoiRoadmap:
    entries: list[RoadmapEntry] = strawberry.field(description="In rank order.")
    reorders_with_cache: bool = strawberry.field(
        description="True when the ranking without the cache differs from the ranking with it."
    )


def _entry(row: RoadmapRow, name: str, complete: bool) -> RoadmapEntry:
    return copy_fields(
        RoadmapEntry,
        row,
        workflow_key=row.key,
        workflow_name=name,
        complete=complete,
        run_cost=MoneyMedian.of(row.run_cost),
        run_roi=RatioMedian.of(row.run_roi),
    )


@strawberry.type
class RoadmapQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="Every workflow ranked by ROI over the runs started in range, with the "
        "median per-run cost and median ROI per run (each with a 95% interval), and the "
        "ranking without the prompt cache (docs/numbers.md, ROI roadmap).",
    )
    async def roi_roadmap(self, info: Info, time_range: RangeArg) -> RoiRoadmap:
        span = time_range.to_range()
        workflows = await info.context.call(catalog.list_workflows)
        found = loaders(info)
        cohort_keys = [CohortKey(w.workflow_id, span, CostScope()) for w in workflows]
        totals, savings, costs, outcomes = await asyncio.gather(
            found.roi_totals.load_many([TotalsKey(w.workflow_id, None, span) for w in workflows]),
            found.mix.cache_tokens.load_many(cohort_keys),
            found.cohort_run_costs.load_many(cohort_keys),
            found.decisions.run_outcomes.load_many(cohort_keys),
        )
        economics: list[WorkflowEconomics] = []
        for w, total, saved, run_costs, runs in zip(
            workflows, totals, savings, costs, outcomes, strict=True
        ):
            figures = roi_figures(total.totals)
            rois = [
                run_roi(
                    cost=r.cost,
                    attributed=r.attributed,
                    accepted=r.accepted,
                    revenue_per_success=r.revenue_per_success,
                )
                for r in runs
            ]
            economics.append(
                WorkflowEconomics(
                    key=w.key,
                    roi=figures.roi,
                    lift=figures.lift,
                    cost=figures.cost,
                    cache_savings=saved.savings,
                    run_costs=run_costs,
                    run_rois=[x for x in rois if x is not None],
                )
            )
        names = {w.key: w.name for w in workflows}
        done = {w.key: t.complete for w, t in zip(workflows, totals, strict=True)}
        rows = roadmap(economics)
        return RoiRoadmap(
            entries=[_entry(r, names[r.key], done[r.key]) for r in rows],
            reorders_with_cache=any(r.rank != r.rank_without_cache for r in rows),
        )
