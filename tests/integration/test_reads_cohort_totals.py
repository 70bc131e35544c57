"""The SQL cohort totals equal the domain's `summarize_cohort` on the same rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from app.domain.cost_per_outcome import RunCost, summarize_cohort
from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.services.costs.cohorts import CohortQuestion, cohort_figures
from app.services.costs.figures import cohort_totals
from app.services.costs.scope import CostScope, TimeRange
from tests.integration.properties import database_settings
from tests.integration.reads_factories import day, insert, run, usage, workflow

HOLD_HOURS = 48
NOW = day(10)  # the cohort is read as of 2026-03-11, so some acceptances are still held
RANGE = TimeRange(day(0), day(10))


@dataclass
class RunCase:
    started_day: int  # -2 .. 11: some outside the range
    status: RunStatus
    status_hours: int  # status set this many hours after the start
    costs: list[Decimal]
    channel: str


run_cases = st.lists(
    st.builds(
        RunCase,
        started_day=st.integers(-2, 11),
        status=st.sampled_from(list(RunStatus)),
        status_hours=st.integers(0, 96),
        costs=st.lists(st.decimals(min_value=0, max_value=500, places=10), max_size=3),
        channel=st.sampled_from(["email", "sms"]),
    ),
    max_size=15,
)
workflow_level = st.lists(
    st.tuples(st.integers(-1, 11), st.decimals(min_value=0, max_value=500, places=10)),
    max_size=3,
)


@database_settings(20)
@given(cases=run_cases, overhead=workflow_level, scope=st.sampled_from([None, "sms"]))
async def test_sql_cohort_totals_equal_summarize_cohort(
    make_tenant, sessions, cases, overhead, scope
):
    tenant = await make_tenant()  # one tenant per example
    t = tenant.tenant_id
    wf = workflow(t, hold_hours=HOLD_HOURS)
    rows: list = [wf]
    reference: list[RunCost] = []
    failures: dict[RunStatus, tuple[int, Decimal]] = defaultdict(lambda: (0, Decimal(0)))
    for i, case in enumerate(cases):
        started = day(case.started_day)
        status_at = (
            None
            if case.status is RunStatus.RUNNING
            else (started + timedelta(hours=case.status_hours))
        )
        rows.append(
            run(
                t,
                wf,
                f"r{i}",
                started_at=started,
                status=case.status.value,
                status_at=status_at,
                channel=case.channel,
            )
        )
        rows += [
            usage(t, wf, cost, correlation_id=f"r{i}", occurred_at=started + timedelta(days=j))
            for j, cost in enumerate(case.costs)
        ]
        if RANGE.start <= started < RANGE.end and scope in (None, case.channel):
            cost = sum(case.costs, Decimal(0))
            reference.append(RunCost(case.status, status_at, cost))
            if case.status in FAILURE_STATUSES:
                runs, so_far = failures[case.status]
                failures[case.status] = (runs + 1, so_far + cost)
    rows += [usage(t, wf, cost, occurred_at=day(d)) for d, cost in overhead]
    await insert(sessions, t, *rows)
    # workflow-level costs carry no channel: a channel scope leaves them out
    booked = [cost for d, cost in overhead if scope is None and 0 <= d < 10]

    async with sessions(t) as session:
        figures = (
            await cohort_figures(
                session=session,
                question=CohortQuestion(t, [wf.workflow_id], RANGE, CostScope(channel=scope), NOW),
            )
        )[wf.workflow_id]

    expected = summarize_cohort(
        reference, workflow_level_cost=sum(booked, Decimal(0)), hold_hours=HOLD_HOURS, now=NOW
    )
    assert cohort_totals(figures) == expected
    assert {s: figures.by_status[s] for s in FAILURE_STATUSES} == {
        s: failures[s] for s in FAILURE_STATUSES
    }
