"""Per-run revenue of workflows' cohorts, attributed at read time with the pure rule.

The ROI windows the workers store sum revenue per (workflow, client, day); the roadmap needs it
per run, to take a median. So for the finished runs of the cohorts (runs started in range, no
filter) this module loads

1. the cohort runs with cost (`cohort_runs`), status, client, subject and end;
2. the revenue events their counted-ACCEPTED runs may claim: the same clients, occurred in
   (earliest end, latest end + 30 days];
3. every run that may claim those events — counted ACCEPTED (hold passed at `now`), same
   clients, any workflow, ended in [earliest event − 30 days, latest event) —

and lets `app.domain.attribution.attribute` split each event exactly as the workers do. A
cohort run's revenue is the sum of its allocations. Baselines come from `roi_baselines` (the
client's own, else the workflow-wide one).

Reads are bounded by the range's runs and their clients' revenue; a range of a whole busy month
at the 1M-run scale reads every accepted run of those clients in that span (see docs/decisions.md).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import RevenueEvent as RevenueRow
from app.db.tables import RoiBaseline
from app.db.tables.roi import NO_CLIENT
from app.domain.attribution import ATTRIBUTION_WINDOW, AcceptedRun, RevenueEvent, attribute
from app.services.costs.cohorts import CohortQuestion, cohort_runs, with_runs
from app.services.costs.rules import ACCEPTED, finished
from app.services.costs.scope import RUNS, cohort_source
from app.services.tenancy.catalog import WORKFLOWS

EVENTS = RevenueRow.__table__  # type: ignore[attr-defined]
BASELINES = RoiBaseline.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RunOutcome:
    """One finished cohort run: its cost, the revenue it claims, whether it counts as accepted,
    and the revenue per success of the baseline in force for it (None: no baseline)."""

    correlation_id: str
    cost: Decimal
    attributed: Decimal
    accepted: bool
    revenue_per_success: Decimal | None


async def _baselines(
    session: AsyncSession, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID]
) -> dict[tuple[uuid.UUID, uuid.UUID], Decimal]:
    rows = await session.execute(
        select(
            BASELINES.c.workflow_id, BASELINES.c.client_id, BASELINES.c.revenue_per_success
        ).where(BASELINES.c.tenant_id == tenant_id, BASELINES.c.workflow_id.in_(workflow_ids))
    )
    return {(r.workflow_id, r.client_id): r.revenue_per_success for r in rows}


async def _claimants(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    clients: Sequence[uuid.UUID],
    ended_from: datetime,
    ended_to: datetime,
    now: datetime,
) -> list[AcceptedRun]:
    hold = func.make_interval(0, 0, 0, 0, WORKFLOWS.c.acceptance_hold_hours)
    rows = await session.execute(
        select(
            RUNS.c.correlation_id,
            RUNS.c.workflow_id,
            RUNS.c.client_id,
            RUNS.c.subject,
            RUNS.c.ended_at,
        )
        .select_from(cohort_source(WORKFLOWS))
        .where(
            RUNS.c.tenant_id == tenant_id,
            RUNS.c.client_id.in_(clients),
            RUNS.c.status == ACCEPTED,
            RUNS.c.status_at + hold <= now,
            RUNS.c.ended_at >= ended_from,
            RUNS.c.ended_at < ended_to,
        )
    )
    return [
        AcceptedRun(r.correlation_id, r.workflow_id, r.client_id, r.subject, r.ended_at)
        for r in rows
    ]


async def _events(
    session: AsyncSession,
    tenant_id: uuid.UUID,
    clients: Sequence[uuid.UUID],
    after: datetime,
    until: datetime,
) -> list[RevenueEvent]:
    rows = await session.execute(
        select(EVENTS).where(
            EVENTS.c.tenant_id == tenant_id,
            EVENTS.c.client_id.in_(clients),
            EVENTS.c.occurred_at > after,
            EVENTS.c.occurred_at <= until,
        )
    )
    return [RevenueEvent.from_row(row) for row in rows.mappings()]


async def run_outcomes(
    *,
    session: AsyncSession,
    question: CohortQuestion,
) -> dict[uuid.UUID, list[RunOutcome]]:
    """Per workflow, its cohort's finished runs (failed, or counted ACCEPTED) with revenue."""
    tenant_id, workflow_ids, now = question.tenant_id, question.workflow_ids, question.now
    cohort = cohort_runs(question)
    rows = (
        await session.execute(
            select(
                cohort.c.workflow_id,
                cohort.c.correlation_id,
                cohort.c.status,
                cohort.c.cost,
                RUNS.c.client_id,
                RUNS.c.subject,
                RUNS.c.ended_at,
            )
            .select_from(with_runs(cohort, tenant_id))
            .where(finished(cohort.c.status, cohort.c.pending))
        )
    ).all()
    accepted = [
        AcceptedRun(r.correlation_id, r.workflow_id, r.client_id, r.subject, r.ended_at)
        for r in rows
        if r.status == ACCEPTED and r.client_id is not None and r.ended_at is not None
    ]
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    if accepted:
        clients = sorted({r.client_id for r in accepted if r.client_id is not None})
        first_end = min(r.ended_at for r in accepted)
        last_end = max(r.ended_at for r in accepted)
        events = await _events(
            session, tenant_id, clients, first_end, last_end + ATTRIBUTION_WINDOW
        )
        if events:
            pool = await _claimants(
                session,
                tenant_id,
                clients,
                min(e.occurred_at for e in events) - ATTRIBUTION_WINDOW,
                max(e.occurred_at for e in events),
                now,
            )
            for allocation in attribute(events, pool).allocations:
                revenue[allocation.correlation_id] += allocation.amount
    baselines = await _baselines(session, tenant_id, workflow_ids)
    found: dict[uuid.UUID, list[RunOutcome]] = {wid: [] for wid in workflow_ids}
    for r in rows:
        client = r.client_id if r.client_id is not None else NO_CLIENT
        rps = baselines.get((r.workflow_id, client), baselines.get((r.workflow_id, NO_CLIENT)))
        found[r.workflow_id].append(
            RunOutcome(
                correlation_id=r.correlation_id,
                cost=r.cost,
                attributed=revenue.get(r.correlation_id, Decimal(0)),
                accepted=r.status == ACCEPTED,
                revenue_per_success=rps,
            )
        )
    return found
