"""The ROI roadmap: workflows ranked by ROI, with per-run medians and the ranking without cache.

Per workflow, for the runs started in a range:

- ``roi`` and ``lift``, ``cost``: the workflow's ROI summary (the stored day-cohort windows,
  `app.domain.roi`), the same figure as ``Workflow.roi``;
- ``roi_without_cache = lift ÷ (cost + cache savings)``: the ROI had every cache read been paid
  at the input price (the savings of `app.domain.caching`);
- the **median per-run cost** and the **median ROI per run**, each with the distribution-free
  95 % interval of `app.domain.run_cost_stats` (order statistics; ``None`` below 6 runs). A
  run's ROI is :func:`run_roi`.

``rank`` orders by ROI (descending; workflows without an ROI last, then by key);
``rank_without_cache`` does the same with ``roi_without_cache``. Money is Decimal; ROI values are
floats (dimensionless).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from app.domain.money import share, sum_money
from app.domain.run_cost_stats import median_interval_ranks

T = TypeVar("T", Decimal, float)


@dataclass(frozen=True)
class Median:
    """The median (nearest rank) of ``n`` values and its 95 % interval (``None`` bounds when
    ``n`` is too small for one; ``None`` median when ``n`` is 0)."""

    n: int
    median: Decimal | float | None
    low: Decimal | float | None
    high: Decimal | float | None


def median_interval(values: Sequence[T]) -> Median:
    """Median of ``values`` (the ⌈n/2⌉-th smallest) with the order-statistic 95 % interval."""
    ordered = sorted(values)
    ranks = median_interval_ranks(len(ordered), 0.95)
    return Median(
        n=len(ordered),
        # nearest rank: the ceil(n/2)-th smallest (as app.domain.run_cost_stats.nearest_rank)
        median=ordered[max(1, math.ceil(len(ordered) / 2)) - 1] if ordered else None,
        low=None if ranks is None else ordered[ranks[0] - 1],
        high=None if ranks is None else ordered[ranks[1] - 1],
    )


def run_roi(
    *, cost: Decimal, attributed: Decimal, accepted: bool, revenue_per_success: Decimal | None
) -> float | None:
    """One finished run's ROI: ``(attributed − baseline) ÷ cost``, where the baseline is the
    revenue per success of the baseline in force when the run was counted accepted (0 for a
    failed run, or without a baseline). ``None`` when the run cost nothing (no ratio)."""
    baseline = revenue_per_success if accepted and revenue_per_success is not None else Decimal(0)
    return share(attributed - baseline, cost)


@dataclass(frozen=True)
class WorkflowEconomics:
    """What the roadmap knows of one workflow (inputs of :func:`roadmap`)."""

    key: str
    roi: float | None
    lift: Decimal
    cost: Decimal
    cache_savings: Decimal
    run_costs: Sequence[Decimal]
    run_rois: Sequence[float]


@dataclass(frozen=True)
class RoadmapRow:
    """One workflow of the roadmap (see the module docstring)."""

    key: str
    rank: int
    rank_without_cache: int
    roi: float | None
    roi_without_cache: float | None
    lift: Decimal
    cost: Decimal
    cache_savings: Decimal
    run_cost: Median
    run_roi: Median


def _ranks(keys_and_values: Sequence[tuple[str, float | None]]) -> dict[str, int]:
    ordered = sorted(keys_and_values, key=lambda kv: (kv[1] is None, -(kv[1] or 0.0), kv[0]))
    return {key: position for position, (key, _) in enumerate(ordered, start=1)}


def roadmap(workflows: Sequence[WorkflowEconomics]) -> list[RoadmapRow]:
    """Rank ``workflows`` by ROI, and again by ROI without the cache; rows in ``rank`` order."""
    without = {w.key: share(w.lift, sum_money([w.cost, w.cache_savings])) for w in workflows}
    rank = _ranks([(w.key, w.roi) for w in workflows])
    rank_without = _ranks([(w.key, without[w.key]) for w in workflows])
    rows = [
        RoadmapRow(
            key=w.key,
            rank=rank[w.key],
            rank_without_cache=rank_without[w.key],
            roi=w.roi,
            roi_without_cache=without[w.key],
            lift=w.lift,
            cost=w.cost,
            cache_savings=w.cache_savings,
            run_cost=median_interval(list(w.run_costs)),
            run_roi=median_interval(list(w.run_rois)),
        )
        for w in workflows
    ]
    return sorted(rows, key=lambda r: r.rank)
