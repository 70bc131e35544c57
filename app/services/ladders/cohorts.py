"""The cohort rule for outcome ladders, in SQL: who reached each rung, and spend per slice.

A cohort is the runs of a workflow *started* in a range that match a scope (as for cost per
outcome). An outcome event counts for the cohort when its correlation id is a cohort run's, or
its subject is the subject of a cohort run, whenever it happened. Each rung counts distinct
reachers (`app.services.ladders.rules.reacher`: the subject, else the correlation id). The
`accepted` rung counts the cohort's counted-accepted runs the same way.
`app.domain.ladder.rung_counts` is the pure reference.

Spend per slice reuses the cohort's per-run costs (`app.services.costs.cohorts.cohort_runs`); the
workflow-level costs (usage with no stored run, booked in the range) are added to the slice of
their own client, team or time bucket, and left out of run-only slices (campaign, channel,
variant) — exactly as a scope on that value would. So the figures of a slice equal the
ladder's figures with the slice as scope, and buckets partition the range's total.

Every function answers with ONE statement, however many workflows, slices or buckets.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CTE,
    BigInteger,
    Numeric,
    String,
    and_,
    any_,
    cast,
    distinct,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import LadderRung, OutcomeEvent
from app.domain.ladder import ACCEPTED_RUNG
from app.services.costs.cohorts import CohortQuestion, cohort_runs, with_runs
from app.services.costs.rules import counted, held, hold_interval
from app.services.costs.scope import (
    RUNS,
    USAGE,
    CostScope,
    cohort_source,
    workflow_level_source,
)
from app.services.costs.slices import WHOLE, Grouping
from app.services.ladders.reach import backlogged, reach_counts
from app.services.ladders.rules import reacher, subject_key
from app.services.tenancy.catalog import WORKFLOWS

OUTCOMES = OutcomeEvent.__table__  # type: ignore[attr-defined]
RUNGS = LadderRung.__table__  # type: ignore[attr-defined]
ZERO = Decimal(0)


@dataclass
class SliceFigures:
    """A slice's cohort spend (USD, exact) and its distinct reachers per rung."""

    total_cost: Decimal = ZERO
    counts: dict[str, int] = field(default_factory=dict)


def _members(question: CohortQuestion, grouping: Grouping) -> CTE:
    """The cohort's runs with their slice and whether each counts as an accepted outcome (as in
    `cohort_runs`: ACCEPTED and not still inside the acceptance hold)."""
    pending = held(hold_interval(WORKFLOWS.c.acceptance_hold_hours), question.now)
    accepted = counted(RUNS.c.status, pending)
    return (
        select(
            RUNS.c.workflow_id,
            RUNS.c.correlation_id,
            RUNS.c.subject,
            accepted.label("accepted"),
            grouping.run_key.label("grp"),
        )
        .select_from(cohort_source(WORKFLOWS))
        .where(*question.run_filters())
        .cte("members")
        .prefix_with("MATERIALIZED")
    )


def _reached(
    members: CTE,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    rungs: Sequence[str] | None,
) -> Any:
    """(workflow_id, grp, rung, who) for every reacher of `rungs` — of every active rung when
    None — duplicates included. Events are matched on (tenant, workflow, rung, correlation id)
    and on (tenant, workflow, rung, subject): the keys of the two outcome_events indexes.
    """
    if rungs is None:
        # The active rung keys as one array, computed once (an InitPlan).
        keys: Any = (
            select(func.array_agg(RUNGS.c.key))
            .where(
                RUNGS.c.tenant_id == tenant_id,
                RUNGS.c.workflow_id.in_(workflow_ids),
                RUNGS.c.retired_at.is_(None),
                RUNGS.c.key != ACCEPTED_RUNG,
            )
            .scalar_subquery()
        )
        of_rungs = OUTCOMES.c.rung_key == any_(cast(keys, ARRAY(String)))
    else:
        of_rungs = OUTCOMES.c.rung_key.in_(rungs)

    def joined(on: Any) -> Any:
        return members.join(
            OUTCOMES,
            and_(
                OUTCOMES.c.tenant_id == tenant_id,
                OUTCOMES.c.workflow_id == members.c.workflow_id,
                of_rungs,
                on,
            ),
        )

    head = (members.c.workflow_id, members.c.grp)
    by_run = select(
        *head,
        OUTCOMES.c.rung_key.label("rung"),
        reacher(
            func.coalesce(OUTCOMES.c.subject, members.c.subject), OUTCOMES.c.correlation_id
        ).label("who"),
    ).select_from(joined(OUTCOMES.c.correlation_id == members.c.correlation_id))
    by_subject = select(*head, OUTCOMES.c.rung_key, subject_key(OUTCOMES.c.subject)).select_from(
        joined(OUTCOMES.c.subject == members.c.subject)
    )
    parts = [by_run, by_subject]
    if rungs is None or ACCEPTED_RUNG in rungs:
        who = reacher(members.c.subject, members.c.correlation_id)
        parts.append(
            select(*head, literal_column(f"'{ACCEPTED_RUNG}'"), who).where(members.c.accepted)
        )
    return union_all(*parts).subquery("reached")


def _count_select(reached: Any) -> Any:
    return select(
        reached.c.workflow_id,
        reached.c.grp,
        reached.c.rung,
        cast(null(), Numeric).label("cost"),
        func.count(distinct(reached.c.who)).label("reached"),
    ).group_by(reached.c.workflow_id, reached.c.grp, reached.c.rung)


async def rung_counts(
    *,
    session: AsyncSession,
    question: CohortQuestion,
    use_rollup: bool = True,
) -> dict[uuid.UUID, dict[str, int]]:
    """Distinct reachers of every active rung of each workflow's cohort.

    One statement for all the workflows; a rung nobody reached is absent from its dict. An
    unscoped cohort is counted from the `ladder_reach` rollup (`app.services.ladders.reach`),
    unless the drain has fallen behind (`LIVE_BACKLOG` markers); `use_rollup=False` forces the
    live statement (the reference the tests compare with).
    """
    tenant_id, workflow_ids = question.tenant_id, question.workflow_ids
    if use_rollup and question.scope == CostScope() and not await backlogged(session, tenant_id):
        return await reach_counts(
            session=session,
            tenant_id=tenant_id,
            workflow_ids=workflow_ids,
            time_range=question.time_range,
            now=question.now,
        )
    reached = _reached(_members(question, WHOLE), tenant_id, workflow_ids, None)
    result = await session.execute(_count_select(reached))
    found: dict[uuid.UUID, dict[str, int]] = {wid: {} for wid in workflow_ids}
    for row in result.mappings():
        found[row["workflow_id"]][row["rung"]] = row["reached"]
    return found


async def slice_figures(
    *,
    session: AsyncSession,
    question: CohortQuestion,
    grouping: Grouping,
    rungs: Sequence[str],
) -> dict[uuid.UUID, dict[Any, SliceFigures]]:
    """Spend and reachers of `rungs` per slice of each workflow's cohort, in one statement.

    Slices with neither spend nor reachers (nor runs) are absent. Spend per slice: the cohort
    runs' usage (`cohort_runs`) plus the workflow-level costs of that slice booked in range.
    """
    tenant_id, ids = question.tenant_id, list(question.workflow_ids)
    cohort = cohort_runs(question)
    members = _members(question, grouping)
    per_run = (
        select(cohort.c.workflow_id, cohort.c.cost, grouping.run_key.label("grp"))
        .select_from(with_runs(cohort, tenant_id))
        .subquery("per_run")
    )
    run_costs = _sum_select(per_run)
    parts = [run_costs, _count_select(_reached(members, tenant_id, ids, rungs))]
    if grouping.usage_key is not None:
        parts.append(_workflow_level(question, grouping))
    result = await session.execute(union_all(*parts))
    found: dict[uuid.UUID, dict[Any, SliceFigures]] = {wid: {} for wid in ids}
    for row in result.mappings():
        figures = found[row["workflow_id"]].setdefault(row["grp"], SliceFigures())
        if row["rung"] is None:
            figures.total_cost += row["cost"] or ZERO
        else:
            figures.counts[row["rung"]] = row["reached"]
    return found


def _workflow_level(question: CohortQuestion, grouping: Grouping) -> Any:
    """Usage of the workflow booked in range with no stored run, summed per slice (the same
    anti-join and filters as the cohort totals' workflow-level costs)."""
    assert grouping.usage_key is not None
    per_event = (
        select(USAGE.c.workflow_id, USAGE.c.cost, grouping.usage_key.label("grp"))
        .select_from(workflow_level_source())
        .where(*question.workflow_level_filters())
        .subquery("workflow_level")
    )
    return _sum_select(per_event)


def _sum_select(rows: Any) -> Any:
    """Spend per (workflow, slice) of a subquery with workflow_id, cost and grp (grouping by the
    computed column, so a slice expression with parameters is evaluated once per row)."""
    return select(
        rows.c.workflow_id,
        rows.c.grp,
        cast(null(), String).label("rung"),
        func.sum(rows.c.cost).label("cost"),
        cast(null(), BigInteger).label("reached"),
    ).group_by(rows.c.workflow_id, rows.c.grp)
