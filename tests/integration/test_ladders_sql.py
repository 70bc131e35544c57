"""The ladder SQL equals the pure reference, and its slices and buckets add up.

- `rung_counts` (SQL) equals `app.domain.ladder.rung_counts` on the same rows (hypothesis);
- the buckets of a series partition the range: their spend adds up to the ladder's total, and
  each bucket's figures are the ladder's figures for that bucket's range;
- a slice's figures are the ladder's figures with that slice as scope.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.ladder import CohortRun, Outcome
from app.domain.ladder import rung_counts as reference_counts
from app.services.costs.cohorts import CohortQuestion
from app.services.costs.scope import CostScope, TimeRange
from app.services.costs.slices import NONE_VALUE, by_dimension
from app.services.ladders.cohorts import rung_counts, slice_figures
from app.services.ladders.figures import ladder_costs, ladder_series
from tests.integration.ladder_factories import outcome, outreach
from tests.integration.reads_factories import client, day, insert, run, usage

HOLD_HOURS = 48
NOW = day(10)
RANGE = TimeRange(day(0), day(10))
SUBJECTS = st.none() | st.sampled_from(["lead-a", "lead-b", "lead-c", "lead-d"])


@dataclass
class RunCase:
    started_day: int  # -2 .. 11: some runs fall outside the range
    subject: str | None
    status: str
    status_hours: int  # some acceptances are still inside the 48 h hold at NOW


@dataclass
class OutcomeCase:
    rung: str
    subject: str | None
    run: int | None  # index into the runs, or None; -1 names a run that was never stored
    other_workflow: bool


run_cases = st.lists(
    st.builds(
        RunCase,
        started_day=st.integers(-2, 11),
        subject=SUBJECTS,
        status=st.sampled_from(["ACCEPTED", "REJECTED", "RUNNING"]),
        status_hours=st.integers(0, 96),
    ),
    max_size=10,
)


def stored_rows(
    t: Any, wf: Any, other: Any, runs: list, outcomes: list, started: Callable[[Any], datetime]
) -> tuple[list, list]:
    """The runs (the i-th run's correlation id is f"r{i}", started at `started(case)`) and the
    outcome events of the cases; an event naming no stored run and no subject is left out."""
    stored = []
    for i, case in enumerate(runs):
        at = started(case)
        status_at = at + timedelta(hours=case.status_hours)
        row = run(t, wf, f"r{i}", started_at=at, status=case.status, status_at=status_at)
        row.subject = case.subject
        stored.append(row)
    events = []
    for case in outcomes:
        corr = None
        if case.run == -1:
            corr = "never-stored"
        elif case.run is not None and case.run < len(stored):
            corr = stored[case.run].correlation_id
        if corr is None and case.subject is None:
            continue
        target = other if case.other_workflow else wf
        events.append(outcome(t, target, case.rung, subject=case.subject, correlation_id=corr))
    return stored, events


def outcomes_of(subjects: st.SearchStrategy[str | None], runs: int) -> st.SearchStrategy[list]:
    """Outcome events naming a subject and/or one of `runs` runs (-1: a run never stored)."""
    return st.lists(
        st.builds(
            OutcomeCase,
            rung=st.sampled_from(["reply", "deal"]),
            subject=subjects,
            run=st.none() | st.integers(-1, runs - 1),
            other_workflow=st.booleans(),
        ).filter(lambda o: o.subject is not None or o.run is not None),
        max_size=12,
    )


outcome_cases = outcomes_of(SUBJECTS, 10)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(runs=run_cases, outcomes=outcome_cases)
async def test_sql_rung_counts_equal_the_reference(make_tenant, sessions, runs, outcomes):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, rungs = outreach(t, hold_hours=HOLD_HOURS)
    other, other_rungs = outreach(t, "support")
    rows: list = [wf, other, *rungs, *other_rungs]
    stored, events = stored_rows(t, wf, other, runs, outcomes, lambda c: day(c.started_day))
    await insert(sessions, t, *rows, *stored, *events)

    async with sessions(t) as session:
        question = CohortQuestion(t, [wf.workflow_id], RANGE, CostScope(), NOW)
        found = await rung_counts(session=session, question=question)

    cohort = [
        CohortRun(
            r.correlation_id,
            r.subject,
            r.status == "ACCEPTED" and r.status_at + timedelta(hours=HOLD_HOURS) <= NOW,
        )
        for r in stored
        if RANGE.start <= r.started_at < RANGE.end
    ]
    mine = [
        Outcome(e.rung_key, e.subject, e.correlation_id)
        for e in events
        if e.workflow_id == wf.workflow_id
    ]
    assert found[wf.workflow_id] == reference_counts(cohort, mine)


async def test_series_buckets_partition_the_ladder_figures(make_tenant, sessions):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, rungs = outreach(t)
    runs, spend, events = [], [], []
    for i in range(20):  # one run every 36 hours from day 0: days 0, 1.5, 3, … 28.5
        started = day(0, hours=36 * i)
        runs.append(run(t, wf, f"r{i}", started_at=started, status="ACCEPTED", subject=f"s{i}"))
        spend.append(usage(t, wf, f"{i + 1}.25", correlation_id=f"r{i}", occurred_at=started))
        if i % 3 == 0:  # replies arrive much later, and still count for their bucket
            events.append(outcome(t, wf, "reply", subject=f"s{i}", occurred_at=day(60)))
    overhead = [usage(t, wf, "7", occurred_at=day(d)) for d in (2, 9, 30)]  # day 30: outside
    await insert(sessions, t, wf, *rungs, *runs, *spend, *events, *overhead)
    month = TimeRange(day(0), day(30))

    async with sessions(t) as session:
        args = {"session": session, "tenant_id": t, "workflow_id": wf.workflow_id}
        whole = await ladder_costs(**args, time_range=month, scope=CostScope(), now=NOW)
        points = await ladder_series(
            **args, time_range=month, bucket="P7D", rung="reply", scope=CostScope(), now=NOW
        )
        per_bucket = [
            await ladder_costs(
                **args, time_range=TimeRange(p.start, p.end), scope=CostScope(), now=NOW
            )
            for p in points
        ]

    # runs r0..r19 cost 1.25 .. 20.25: sum = 20 * 1.25 + (0 + … + 19) = 25 + 190 = 215; plus
    # the overhead of days 2 and 9 (7 + 7): 229
    assert whole[0].total_cost == Decimal("229")
    assert len(points) == 5 and points[-1].end == day(30)  # 4 weeks and a 2-day bucket
    assert sum(p.total_cost for p in points) == whole[0].total_cost
    assert sum(p.count for p in points) == whole[1].count == 7  # r0, r3, … r18 replied
    for point, ladder in zip(points, per_bucket, strict=True):
        reply = ladder[1]
        assert (point.count, point.total_cost, point.cost_per_rung) == (
            reply.count,
            reply.total_cost,
            reply.cost_per_rung,
        )


async def test_a_slice_is_the_ladder_with_that_slice_as_scope(make_tenant, sessions):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, rungs = outreach(t)
    acme, globex = client(t, "Acme"), client(t, "Globex")
    rows = [
        run(t, wf, "a1", started_at=day(1), status="ACCEPTED", client_id=acme.client_id,
            channel="email", subject="lead-1"),
        run(t, wf, "a2", started_at=day(2), status="REJECTED", client_id=acme.client_id,
            channel="sms", subject="lead-2"),
        run(t, wf, "g1", started_at=day(3), status="ACCEPTED", client_id=globex.client_id,
            channel="email"),
        run(t, wf, "n1", started_at=day(4), status="ACCEPTED"),
        usage(t, wf, "3", correlation_id="a1", occurred_at=day(1)),
        usage(t, wf, "5", correlation_id="a2", occurred_at=day(2)),
        usage(t, wf, "11", correlation_id="g1", occurred_at=day(3)),
        usage(t, wf, "13", correlation_id="n1", occurred_at=day(4)),
        # workflow-level: Acme's data fee, and one for nobody
        usage(t, wf, "2", client_id=acme.client_id, kind="THIRD_PARTY", occurred_at=day(5)),
        usage(t, wf, "17", kind="INFRA", occurred_at=day(5)),
        outcome(t, wf, "reply", subject="lead-2"),
        outcome(t, wf, "reply", correlation_id="g1"),
    ]  # fmt: skip
    await insert(sessions, t, wf, *rungs, acme, globex, *rows)

    async with sessions(t) as session:
        args = {"session": session, "tenant_id": t, "workflow_id": wf.workflow_id}
        question = CohortQuestion(t, [wf.workflow_id], RANGE, CostScope(), NOW)
        common = {"session": session, "question": question, "rungs": ["accepted", "reply"]}
        clients = (await slice_figures(**common, grouping=by_dimension("CLIENT")))[wf.workflow_id]
        channels = (await slice_figures(**common, grouping=by_dimension("CHANNEL")))[wf.workflow_id]
        acme_ladder = await ladder_costs(
            **args, time_range=RANGE, scope=CostScope(client_id=acme.client_id), now=NOW
        )
        email_ladder = await ladder_costs(
            **args, time_range=RANGE, scope=CostScope(channel="email"), now=NOW
        )

    acme_slice = clients[str(acme.client_id)]
    # Acme: runs 3 + 5 and its own data fee 2 = 10; accepted a1 (lead-1); reply lead-2
    assert acme_slice.total_cost == acme_ladder[0].total_cost == Decimal(10)
    assert acme_slice.counts == {"accepted": 1, "reply": 1}
    assert [c.count for c in acme_ladder[:2]] == [1, 1]
    # no client: n1's 13 and the untagged 17 = 30; Globex: 11
    assert clients[NONE_VALUE].total_cost == Decimal(30)
    assert clients[str(globex.client_id)].total_cost == Decimal(11)
    # email: runs a1 and g1 only (3 + 11); workflow-level costs carry no channel
    assert channels["email"].total_cost == email_ladder[0].total_cost == Decimal(14)
    assert channels["email"].counts == {"accepted": 2, "reply": 1}
    assert channels[NONE_VALUE].total_cost == Decimal(13)  # n1 only
