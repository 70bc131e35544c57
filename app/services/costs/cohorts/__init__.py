"""The cohort rule in SQL: set-based totals per workflow for one (range, scope).

The cohort of a workflow for [from, to) is its runs *started* in the range that match the scope
(client, campaign, channel, variant and team of the run). Its spend is

- every usage event whose correlation id is a cohort run, whenever the event occurred, plus
- the workflow-level costs: usage of the workflow that occurred in [from, to) whose correlation
  id is NULL or names no stored run. They carry only a client and a team, so they are filtered
  by those, and left out altogether when the scope filters campaign, channel or variant.

A run counts as an accepted outcome when its status is ACCEPTED and `status_at + hold <= now`
(`app.domain.acceptance`); an ACCEPTED run still inside its workflow's acceptance hold is
*pending*: not an outcome yet, not a failure either. `finished` = neither RUNNING nor pending.

On the rack-rate basis, when the scope filters at most the client, the whole UTC days of the
range are read from the daily rollup `cohort_days` (runs and exact cost per workflow, start day,
client and status; migration 0009) and only the partial days at the ends from the runs — or,
when the rest of such a day is shorter, the whole day from the rollup minus that rest read from
the runs (`cover_with_days`: from 04:00 takes back 00:00–04:00, not 04:00–24:00); the
ACCEPTED runs of the whole days still inside their hold are counted live (pending, not
accepted) from the runs by status time. The figures are the same as the all-live statement's.

One statement per (range, scope) answers any number of workflows (GROUP BY workflow_id), so a
list of workflows with their figures costs a bounded number of queries. The arithmetic that turns
these totals into figures lives in `app.domain`; this module only counts and sums.

The package, by idea: `live` (the all-live statement and its pieces), `rollup` (the rollup path),
`statements` (the rollup path's statement cache), `rows` (result rows as `CohortFigures`); the
acceptance-hold SQL comes from `app.services.costs.rules`.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sessions import NO_JIT
from app.services.costs.basis import CostBasis, factors_for
from app.services.costs.cohorts.live import (
    CohortQuestion,
    cohort_counts,
    cohort_runs,
    totals_statement,
    with_runs,
    workflow_level_costs,
)
from app.services.costs.cohorts.rollup import hold_bounds
from app.services.costs.cohorts.rows import ZERO, CohortFigures, figures_from_rows
from app.services.costs.cohorts.statements import Span, rollup_statement
from app.services.costs.scope import cover_with_days


async def cohort_figures(
    *,
    session: AsyncSession,
    question: CohortQuestion,
    basis: CostBasis = CostBasis.RACK_RATE,
    use_rollup: bool = True,
) -> dict[uuid.UUID, CohortFigures]:
    """Cohort totals of each of the question's workflows (zeros for an empty cohort), one query.

    `use_rollup=False` forces the all-live statement (the reference the tests compare with).
    """
    factors = factors_for(basis, question.tenant_id)
    cover = cover_with_days(question.time_range)
    await session.execute(NO_JIT)  # estimated above the JIT thresholds, read in a few ms
    if cover is not None and factors is None and question.scope.client_only and use_rollup:
        statement, params = rollup_statement(question, cover)
        result = await session.execute(statement, params)
        return figures_from_rows(result, question.workflow_ids)
    cohort = cohort_runs(question, factors=factors)
    workflow_level = workflow_level_costs(question, factors=factors)
    statement = totals_statement(cohort, workflow_level)
    return figures_from_rows(await session.execute(statement), question.workflow_ids)


async def cohort_run_costs(
    *,
    session: AsyncSession,
    question: CohortQuestion,
    basis: CostBasis = CostBasis.RACK_RATE,
) -> dict[uuid.UUID, list[Decimal]]:
    """Each workflow's per-run costs over its cohort, ascending (sorted by PostgreSQL).

    The whole list travels to Python for the quantiles: fine up to ~100k runs per workflow and
    range; beyond that, percentile_disc in SQL would be the next step.
    """
    cohort = cohort_runs(question, factors=factors_for(basis, question.tenant_id))
    result = await session.execute(
        select(cohort.c.workflow_id, cohort.c.cost).order_by(cohort.c.workflow_id, cohort.c.cost)
    )
    found: dict[uuid.UUID, list[Decimal]] = {wid: [] for wid in question.workflow_ids}
    for workflow_id, cost in result:
        found[workflow_id].append(cost)
    return found


__all__ = [
    "ZERO",
    "CohortFigures",
    "CohortQuestion",
    "Span",
    "cohort_counts",
    "cohort_figures",
    "cohort_run_costs",
    "cohort_runs",
    "hold_bounds",
    "with_runs",
]
