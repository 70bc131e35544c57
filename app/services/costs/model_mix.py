"""Cost per outcome and success rate per slice of a cohort: per variant, per dominant model.

The cohort is `app.services.costs.cohorts.cohort_runs` (runs started in range matching the scope,
each with its full usage cost); this module only groups it, in one GROUP BY statement per request
group, and `app.domain.cost_per_outcome` turns each slice's totals into figures. So a cheaper
configuration that fails more often shows its true, higher cost per accepted outcome.

- **variant**: the run's own `variant` (NULL when the run has none).
- **model**: the run's *dominant* model: the model with the largest LLM usage cost in the run
  (ties: the alphabetically first model). A run without LLM usage has value NULL.
- **effort**: the run's *dominant* reasoning effort, the same way: the effort code (trimmed,
  lower-cased `reasoning_effort`) with the largest LLM usage cost in the run (ties: the
  alphabetically first). LLM calls without an effort are left out; a run with none has NULL.

Workflow-level costs (usage with no stored run) belong to no run, hence to no slice: the slices'
totalCost add up to the cohort's run cost, not to costPerOutcome.totalCost when the workflow has
such costs.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import CTE, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.cost_per_outcome import CohortTotals
from app.domain.enums import UsageKind
from app.records import copy_columns
from app.services.costs.cohorts import CohortQuestion, cohort_counts, cohort_runs, with_runs
from app.services.costs.rules import failed
from app.services.costs.scope import RUNS, USAGE


class SliceBy(enum.StrEnum):
    VARIANT = "VARIANT"
    MODEL = "MODEL"
    EFFORT = "EFFORT"


@dataclass(frozen=True)
class SliceTotals:
    """One slice of a workflow's cohort: its value (None: runs without one) and its totals."""

    value: str | None
    totals: CohortTotals


def _variant_of(cohort: CTE, tenant_id: uuid.UUID) -> tuple[Any, Any]:
    """FROM clause and value column: each cohort run's own variant."""
    run = RUNS.alias("sliced_run")
    return with_runs(cohort, tenant_id, run), run.c.variant


def _dominant_of(cohort: CTE, tenant_id: uuid.UUID, value: Any, name: str) -> tuple[Any, Any]:
    """FROM clause and value column: each cohort run's `value` with the largest LLM usage cost
    in the run (ties: the smallest value; NULL when the run has no LLM usage with a value).

    A LATERAL probe per run (the (tenant_id, correlation_id) index, a handful of rows each):
    linear in the cohort whatever the planner estimates for the CTE, where a join with a
    DISTINCT ON subquery over the whole cohort's usage went quadratic (nested loop rescans)."""
    dominant = (
        select(value.label("value"))
        .where(
            USAGE.c.tenant_id == tenant_id,
            USAGE.c.correlation_id == cohort.c.correlation_id,
            USAGE.c.kind == UsageKind.LLM.value,
            value.is_not(None),
        )
        .group_by(value)
        .order_by(func.sum(USAGE.c.cost).desc(), value)
        .limit(1)
        .lateral(name)
    )
    return cohort.outerjoin(dominant, true()), dominant.c.value


def _dominant_model_of(cohort: CTE, tenant_id: uuid.UUID) -> tuple[Any, Any]:
    """FROM clause and value column: each cohort run's dominant model (see module docstring)."""
    return _dominant_of(cohort, tenant_id, USAGE.c.model, "dominant_model")


EFFORT_CODE = func.nullif(func.lower(func.btrim(USAGE.c.reasoning_effort)), "")
"""`app.domain.effort.normalize_effort` in SQL (a blank effort is no effort)."""


def _dominant_effort_of(cohort: CTE, tenant_id: uuid.UUID) -> tuple[Any, Any]:
    """FROM clause and value column: each cohort run's dominant effort (module docstring)."""
    return _dominant_of(cohort, tenant_id, EFFORT_CODE, "dominant_effort")


SLICERS = {
    SliceBy.VARIANT: _variant_of,
    SliceBy.MODEL: _dominant_model_of,
    SliceBy.EFFORT: _dominant_effort_of,
}


async def slice_totals(
    *,
    session: AsyncSession,
    question: CohortQuestion,
    by: SliceBy,
) -> dict[uuid.UUID, list[SliceTotals]]:
    """Each workflow's slices (by value, NULL last); an empty list for an empty cohort."""
    cohort = cohort_runs(question)
    source, value = SLICERS[by](cohort, question.tenant_id)
    statement = (
        select(
            cohort.c.workflow_id,
            value.label("value"),
            *cohort_counts(cohort),
            func.coalesce(func.sum(cohort.c.cost), 0).label("cost"),
            func.coalesce(func.sum(cohort.c.cost).filter(failed(cohort.c.status)), 0).label(
                "failed_cost"
            ),
        )
        .select_from(source)
        .group_by(cohort.c.workflow_id, value)
        .order_by(cohort.c.workflow_id, value.asc().nulls_last())
    )
    found: dict[uuid.UUID, list[SliceTotals]] = {wid: [] for wid in question.workflow_ids}
    for row in (await session.execute(statement)).mappings():
        totals = copy_columns(CohortTotals, row, total_cost=row["cost"])
        found[row["workflow_id"]].append(SliceTotals(row["value"], totals))
    return found


# `slice_totals` by the run's variant, dominant model and dominant reasoning effort.
variant_slices = partial(slice_totals, by=SliceBy.VARIANT)
model_slices = partial(slice_totals, by=SliceBy.MODEL)
effort_slices = partial(slice_totals, by=SliceBy.EFFORT)
