"""The `ladder_reach` rollup (migration 0010) counts exactly what the live statement counts.

- `rung_counts` through the rollup equals `rung_counts(use_rollup=False)` (the live statement,
  itself checked against the pure reference in test_ladders_sql) for random runs, outcome
  events, status changes and deletes, over ranges with and without whole UTC days and at
  several `now` (acceptance holds still running or passed) — before any drain (every reacher
  computed live from its markers), after a partial drain (stored and live reachers mixed) and
  after a full drain (stored rows only);
- after a full drain the stored rows equal `ladder_reach_recomputed()` (raw rows), the day
  buckets equal the rows counted per bucket, and no marker is left;
- writes of two transactions that link to each other (a run and an event naming it by
  correlation id, another by subject) committed concurrently leave markers from which the
  drain computes the right rows.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from app.services.costs.cohorts import CohortQuestion
from app.services.costs.scope import CostScope, TimeRange
from app.services.ladders import reach as ladder_reach
from app.services.ladders.cohorts import rung_counts
from app.services.ladders.reach import drain
from tests.integration.ladder_factories import outcome, outreach
from tests.integration.properties import database_settings
from tests.integration.reads_factories import day, insert, run
from tests.integration.test_gates_worker import run_worker
from tests.integration.test_ladders_sql import outcomes_of, stored_rows

HOLD_HOURS = 48
SUBJECTS = st.none() | st.sampled_from(["lead-a", "lead-b", "lead-c", "lead-d", "lead-e"])
RANGES = [
    TimeRange(day(0), day(10)),  # whole days only
    TimeRange(day(0) + timedelta(hours=7), day(9) + timedelta(hours=5)),  # partial ends
    TimeRange(day(3) + timedelta(hours=2), day(3) + timedelta(hours=20)),  # no whole day
    TimeRange(day(-3), day(12)),  # everything
]
NOWS = [day(10), day(8) + timedelta(hours=6), day(20)]

STORED_DIFF = """
WITH recomputed AS (SELECT * FROM ladder_reach_recomputed()),
stored AS (SELECT tenant_id, workflow_id, who, rung_key, correlation_id, started_at, status_at,
                  prev_at, next_at FROM ladder_reach)
(SELECT 'stored' AS side, * FROM stored EXCEPT SELECT 'stored', * FROM recomputed)
UNION ALL
(SELECT 'recomputed', * FROM recomputed EXCEPT SELECT 'recomputed', * FROM stored)
"""
DAYS_DIFF = """
WITH counted AS (
    SELECT tenant_id, workflow_id, rung_key, (started_at AT TIME ZONE 'UTC')::date AS day,
           coalesce((prev_at AT TIME ZONE 'UTC')::date, '-infinity'::date) AS prev_day,
           count(*) AS n
    FROM ladder_reach GROUP BY 1, 2, 3, 4, 5),
stored AS (SELECT tenant_id, workflow_id, rung_key, day, prev_day, n FROM ladder_reach_days)
(SELECT 'stored' AS side, * FROM stored EXCEPT SELECT 'stored', * FROM counted)
UNION ALL
(SELECT 'counted', * FROM counted EXCEPT SELECT 'counted', * FROM stored)
"""


@dataclass
class RunCase:
    started_day: int
    started_hour: int
    subject: str | None
    status: str
    status_hours: int


run_cases = st.lists(
    st.builds(
        RunCase,
        started_day=st.integers(-2, 11),
        started_hour=st.sampled_from([0, 3, 12, 23]),
        subject=SUBJECTS,
        status=st.sampled_from(["ACCEPTED", "ACCEPTED", "REJECTED", "RUNNING"]),
        status_hours=st.integers(0, 96),
    ),
    max_size=12,
)
event_cases = outcomes_of(SUBJECTS, 12)


async def assert_same_counts(sessions, t: uuid.UUID, workflow_ids: list[uuid.UUID]) -> None:
    async with sessions(t) as session:
        for time_range in RANGES:
            for now in NOWS:
                both = [
                    await rung_counts(
                        session=session, use_rollup=use,
                        question=CohortQuestion(t, workflow_ids, time_range, CostScope(), now),
                    )
                    for use in (True, False)
                ]  # fmt: skip
                assert both[0] == both[1], (time_range, now)


async def assert_stored_exact(sessions, t: uuid.UUID) -> None:
    async with sessions(t) as session:
        assert [dict(r) for r in (await session.execute(text(STORED_DIFF))).mappings()] == []
        assert [dict(r) for r in (await session.execute(text(DAYS_DIFF))).mappings()] == []
        left = await session.execute(text("SELECT count(*) FROM ladder_reach_dirty"))
        assert left.scalar_one() == 0


async def drain_all(sessions, t: uuid.UUID, max_keys: int = 1000) -> None:
    while True:
        async with sessions(t) as session:
            if await drain(session, max_keys) == 0:
                return


@database_settings(20)
@given(
    runs=run_cases,
    events=event_cases,
    relabel=st.lists(st.integers(0, 11), max_size=4),
    drop=st.lists(st.integers(0, 11), max_size=3),
)
async def test_rollup_counts_equal_the_live_statement(
    make_tenant, sessions, runs, events, relabel, drop
):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, rungs = outreach(t, hold_hours=HOLD_HOURS)
    other, other_rungs = outreach(t, "support", hold_hours=2)
    stored, made = stored_rows(
        t, wf, other, runs, events, lambda c: day(c.started_day) + timedelta(hours=c.started_hour)
    )
    # Events first for half of them (before their runs exist), then the runs, then the rest.
    half = len(made) // 2
    await insert(sessions, t, wf, other, *rungs, *other_rungs, *made[:half])
    await insert(sessions, t, *stored[: len(stored) // 2])
    async with sessions(t) as session:  # a partial drain: stored and dirty reachers mixed
        await drain(session, 2)
    await insert(sessions, t, *stored[len(stored) // 2 :], *made[half:])
    async with sessions(t) as session:
        for i in relabel:  # labels move runs in and out of ACCEPTED
            if i < len(stored):
                # 30 hours later, through UTC timestamps: timestamptz + interval is STABLE, which
                # Citus refuses in an UPDATE with column references; this is IMMUTABLE, same value.
                await session.execute(
                    text(
                        "UPDATE runs SET status = CASE WHEN status = 'ACCEPTED' THEN 'REJECTED'"
                        " ELSE 'ACCEPTED' END, status_at ="
                        " ((status_at AT TIME ZONE 'UTC') + interval '30 hours') AT TIME ZONE 'UTC'"
                        " WHERE correlation_id = :c"
                    ),
                    {"c": stored[i].correlation_id},
                )
        for i in drop:
            if i < len(made):
                await session.execute(
                    text("DELETE FROM outcome_events WHERE event_id = :e"),
                    {"e": made[i].event_id},
                )
    ids = [wf.workflow_id, other.workflow_id]
    await assert_same_counts(sessions, t, ids)
    async with sessions(t) as session:
        await drain(session, 3)
    await assert_same_counts(sessions, t, ids)
    await drain_all(sessions, t)
    await assert_same_counts(sessions, t, ids)
    await assert_stored_exact(sessions, t)


async def test_linked_writes_committed_concurrently_are_drained_right(make_tenant, sessions):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, rungs = outreach(t)
    await insert(sessions, t, wf, *rungs)
    started = day(2)
    older = run(t, wf, "old", started_at=day(1), status="ACCEPTED", status_at=day(1))
    older.subject = "lead-x"
    await insert(sessions, t, older)
    await drain_all(sessions, t)

    # Transaction A stores run c-1 (subject lead-y); B, concurrently, an event naming c-1 with
    # subject lead-x, and an event naming lead-y by subject only. Neither sees the other's row.
    new_run = run(t, wf, "c-1", started_at=started, status="ACCEPTED", status_at=started)
    new_run.subject = "lead-y"
    by_run = outcome(t, wf, "reply", subject="lead-x", correlation_id="c-1")
    by_subject = outcome(t, wf, "deal", subject="lead-y")
    async with sessions(t) as a, sessions(t) as b:
        a.add(new_run)
        await a.flush()
        b.add_all([by_run, by_subject])
        await b.flush()
        await asyncio.gather(a.commit(), b.commit())

    await assert_same_counts(sessions, t, [wf.workflow_id])
    await drain_all(sessions, t)
    await assert_same_counts(sessions, t, [wf.workflow_id])
    await assert_stored_exact(sessions, t)
    async with sessions(t) as session:
        rows = await session.execute(
            text("SELECT who, rung_key, correlation_id FROM ladder_reach ORDER BY 1, 2, 3")
        )
        assert [tuple(r) for r in rows] == [
            ("s:lead-x", "accepted", "old"),
            ("s:lead-x", "reply", "c-1"),  # the event names c-1…
            ("s:lead-x", "reply", "old"),  # …and lead-x, whose earlier run is "old"
            ("s:lead-y", "accepted", "c-1"),
            ("s:lead-y", "deal", "c-1"),
        ]


async def test_a_reacher_first_seen_on_the_start_day_before_the_start(make_tenant, sessions):
    """The range starts at 07:00 on day 0. lead-a ran at 03:00 that day (outside) and again on
    day 2: it is in range once, through its day-2 run, whose previous run started before the
    start but on the start's own day — the case the day buckets cannot decide alone."""
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, rungs = outreach(t)
    time_range = TimeRange(day(0) + timedelta(hours=7), day(9) + timedelta(hours=5))
    early = run(t, wf, "early", started_at=day(0) + timedelta(hours=3), status="ACCEPTED")
    later = run(t, wf, "later", started_at=day(2), status="ACCEPTED")
    inside = run(t, wf, "inside", started_at=day(0) + timedelta(hours=9), status="ACCEPTED")
    again = run(t, wf, "again", started_at=day(4), status="ACCEPTED")
    early.subject = later.subject = "lead-a"  # counted once, via "later"
    inside.subject = again.subject = "lead-b"  # counted once, via "inside" (partial day)
    for r in (early, later, inside, again):
        r.status_at = r.started_at
    await insert(sessions, t, wf, *rungs, early, later, inside, again)
    await drain_all(sessions, t)
    async with sessions(t) as session:
        question = CohortQuestion(t, [wf.workflow_id], time_range, CostScope(), day(20))
        counts = await rung_counts(session=session, question=question)
    assert counts[wf.workflow_id] == {"accepted": 2}
    await assert_same_counts(sessions, t, [wf.workflow_id])


@pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")
async def test_the_drain_cron_recomputes_every_marked_reacher(migrated, make_tenant, sessions):
    # Given runs and outcome events written (markers appended, nothing drained)
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, rungs = outreach(t)
    runs = [
        run(t, wf, f"c{i}", started_at=day(i % 5), status="ACCEPTED", status_at=day(i % 5))
        for i in range(8)
    ]
    for i, r in enumerate(runs):
        r.subject = f"lead-{i % 3}"
    events = [outcome(t, wf, "reply", correlation_id=f"c{i}") for i in range(0, 8, 2)]
    await insert(sessions, t, wf, *rungs, *runs, *events)
    async with sessions(t) as session:
        marked = (await session.execute(text("SELECT count(*) FROM ladder_reach_dirty"))).scalar()
    assert marked > 0

    # When the cron runs in a real worker (one drain job per tenant)
    await run_worker(migrated, ("drain_ladder_reach",))

    # Then no marker is left and the stored rows are the recomputed ones
    await assert_stored_exact(sessions, t)
    await assert_same_counts(sessions, t, [wf.workflow_id])


async def test_a_backlog_of_markers_falls_back_to_the_live_statement(
    make_tenant, sessions, monkeypatch
):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf, rungs = outreach(t)
    runs = [run(t, wf, f"b{i}", started_at=day(i), status="ACCEPTED", status_at=day(i))
            for i in range(3)]  # fmt: skip
    await insert(sessions, t, wf, *rungs, *runs)
    monkeypatch.setattr(ladder_reach, "LIVE_BACKLOG", 2)
    async with sessions(t) as session:
        assert await ladder_reach.backlogged(session, t)  # 3 markers: the live statement
    await assert_same_counts(sessions, t, [wf.workflow_id])
    await drain_all(sessions, t)
    async with sessions(t) as session:
        assert not await ladder_reach.backlogged(session, t)  # drained: the rollup
    await assert_same_counts(sessions, t, [wf.workflow_id])
