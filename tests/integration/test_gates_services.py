"""Gate services against real PostgreSQL (RLS on): windows, versions, promotion, evaluations."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from app.db.tables import AutonomyEvent, GateEvaluation
from app.domain.gates import CheckStatus
from app.services.costs.cohorts import CohortQuestion, cohort_figures
from app.services.costs.scope import TimeRange
from app.services.gates.autonomy import autonomy_history, demote, promote
from app.services.gates.definitions import WorkflowNotFound, gate_history, gates_in_force, set_gate
from app.services.gates.evaluations import evaluate_tenant, recent_evaluations, tenant_ids
from app.services.gates.readiness import readiness_of
from app.services.gates.windows import WHOLE_COHORT, gate_window, window_figures
from app.services.ingest.errors import FieldError
from tests.gate_specs import gate_spec as spec
from tests.integration.gates_factories import (
    EXPENSIVE,
    GREEN,
    Day,
    day_start,
    gate_row,
    now_utc,
    seed_workflow,
)
from tests.integration.reads_factories import client, insert, run, usage, workflow


async def test_window_buckets_add_up_to_the_cohort_totals(make_tenant, sessions) -> None:
    # Given runs on days 0, 3 and 29 of a 30-day window (the 30 complete UTC days before today),
    # one run started before the window, one started today (after it), an acceptance still in
    # its 24 h hold, and workflow-level spend on day 3, before the window and today
    tenant = await make_tenant()
    t, now = tenant.tenant_id, now_utc()
    wf = workflow(t, "support", hold_hours=24)
    start = day_start(now, 30, 0)
    today = start + timedelta(days=30)
    held_at = now - timedelta(minutes=1)
    rows = [
        wf,
        run(t, wf, "a", started_at=start + timedelta(hours=2), status="ACCEPTED"),
        run(t, wf, "b", started_at=start + timedelta(days=3, hours=1), status="REJECTED"),
        run(t, wf, "c", started_at=start + timedelta(days=3, hours=5), status="ACCEPTED"),
        # day 29 (yesterday, 23:00), accepted a minute ago: held, so pending
        run(t, wf, "pending", started_at=today - timedelta(hours=1), status="ACCEPTED",
            status_at=held_at),
        run(t, wf, "old", started_at=start - timedelta(hours=1), status="ACCEPTED"),
        run(t, wf, "today", started_at=today, status="REJECTED", status_at=now),
        usage(t, wf, "1.50", correlation_id="a", occurred_at=start + timedelta(hours=2)),
        usage(t, wf, "2.25", correlation_id="b", occurred_at=start + timedelta(days=3, hours=1)),
        # a late event of run c, booked weeks later: still day 3's cohort
        usage(t, wf, "0.75", correlation_id="c", occurred_at=now - timedelta(minutes=1)),
        usage(t, wf, "9.00", correlation_id="pending", occurred_at=held_at),
        usage(t, wf, "100", correlation_id="old", occurred_at=start - timedelta(minutes=30)),
        usage(t, wf, "7.00", correlation_id="today", occurred_at=now),
        usage(t, wf, "0.40", occurred_at=start + timedelta(days=3, hours=9)),  # workflow-level
        usage(t, wf, "50", occurred_at=start - timedelta(hours=2)),  # before the window
        usage(t, wf, "0.60", occurred_at=today),  # today: after the window
    ]  # fmt: skip
    await insert(sessions, t, *rows)

    # When the window's figures are loaded, through the daily rollup and all live
    async with sessions(t) as session:
        found = await window_figures(
            session=session, tenant_id=t, workflow_ids=[wf.workflow_id], window_days=30, now=now
        )
        live = await window_figures(
            session=session,
            tenant_id=t,
            workflow_ids=[wf.workflow_id],
            window_days=30,
            now=now,
            use_rollup=False,
        )
        cohort = await cohort_figures(
            session=session,
            question=CohortQuestion(t, [wf.workflow_id], gate_window(now, 30), WHOLE_COHORT, now),
        )
    figures = found[wf.workflow_id]

    # Then the totals are those of the cohort SQL, and the buckets add up to them (re-derived
    # for UTC days by hand): day 0: run a (1.50, accepted); day 3: b (2.25) + c (0.75,
    # accepted) + 0.40 level = 3.40; day 29: the held run (9.00, not an outcome yet); the
    # runs "old" and "today" and the 50 and 0.60 of workflow-level spend are outside.
    # 1.50 + 3.40 + 9.00 = 13.90.
    assert gate_window(now, 30) == TimeRange(start, today)
    assert (figures.accepted, figures.finished) == (2, 3)  # a, c accepted; b rejected
    assert figures.total_cost == cohort[wf.workflow_id].total_cost == Decimal("13.9000000000")
    assert [(d.day, d.attempts, d.accepted, d.cost) for d in figures.days] == [
        (0, 1, 1, Decimal("1.5000000000")),
        (3, 2, 1, Decimal("3.4000000000")),
        (29, 1, 0, Decimal("9.0000000000")),
    ]
    assert sum(d.cost for d in figures.days) == figures.total_cost
    assert sum(d.accepted for d in figures.days) == cohort[wf.workflow_id].accepted
    assert live == found
    assert {type(v) for d in figures.days for v in (d.attempts, d.accepted)} == {int}


async def test_the_window_is_whole_utc_days_and_still_within_a_day(make_tenant, sessions) -> None:
    # Given a fixed clock: runs of several workflows (holds 0, 24 and 72 h) and clients spread
    # hourly over 12 days, some near midnight, every status, with run and workflow-level usage
    rng = random.Random(8)
    tenant = await make_tenant()
    t = tenant.tenant_id
    midnight = datetime(2026, 3, 10, tzinfo=UTC)
    workflows = [workflow(t, f"wf{h}", hold_hours=h) for h in (0, 24, 72)]
    acme, globex = client(t, "Acme"), client(t, "Globex")
    clients = [None, acme.client_id, globex.client_id]
    statuses = ["ACCEPTED", "ACCEPTED", "REJECTED", "FAILED", "RUNNING"]
    rows: list = [*workflows, acme, globex]
    for i in range(240):
        wf = workflows[i % 3]
        started = midnight - timedelta(days=10) + timedelta(minutes=rng.randrange(0, 12 * 1440))
        status = statuses[rng.randrange(len(statuses))]
        cid = f"r{i}"
        labelled = started + timedelta(minutes=rng.randrange(1, 3000))
        if started < midnight:  # labelled by the first instant: no data arrives during that day
            labelled = min(labelled, midnight - timedelta(seconds=1))
        status_at = labelled if status != "RUNNING" else None
        rows.append(run(t, wf, cid, started_at=started, status=status, status_at=status_at,
                        client_id=clients[i % 3]))  # fmt: skip
        cost = f"{rng.randrange(1, 900)}.{rng.randrange(100):02d}"
        rows.append(usage(t, wf, cost, correlation_id=cid, occurred_at=started))
        if i % 7 == 0:
            rows.append(usage(t, wf, "0.33", occurred_at=started))  # workflow-level
    await insert(sessions, t, *rows)
    ids = [w.workflow_id for w in workflows]

    # When windows of 1, 7 and 30 days are loaded at several instants of two days
    instants = [midnight + timedelta(hours=h) for h in (0, 1, 13, 23.99, 24, 30)]
    async with sessions(t) as session:
        by_instant = {}
        for now in instants:
            for days in (1, 7, 30):
                both = [
                    await window_figures(
                        session=session,
                        tenant_id=t,
                        workflow_ids=ids,
                        window_days=days,
                        now=now,
                        use_rollup=use_rollup,
                    )
                    for use_rollup in (True, False)
                ]
                # Then the rollup path equals the all-live reference
                assert both[0] == both[1], (now, days)
                by_instant[(now, days)] = both[0]
                # and the totals (the sums of the days) are those of the cohort SQL
                cohort = await cohort_figures(
                    session=session,
                    question=CohortQuestion(t, ids, gate_window(now, days), WHOLE_COHORT, now),
                )
                for wid in ids:
                    totals = (cohort[wid].accepted, cohort[wid].finished, cohort[wid].total_cost)
                    window = both[0][wid]
                    assert (window.accepted, window.finished, window.total_cost) == totals
                    assert str(window.total_cost) == str(cohort[wid].total_cost)

    # and the window of an instant is the complete UTC days before its day
    assert gate_window(instants[2], 7) == TimeRange(midnight - timedelta(days=7), midnight)
    assert gate_window(instants[0], 1) == TimeRange(midnight - timedelta(days=1), midnight)
    # and with no hold, the figures do not move within a day; the next day they do
    hold0 = workflows[0].workflow_id
    for days in (1, 7, 30):
        same_day = {repr(by_instant[(now, days)][hold0]) for now in instants[:4]}
        assert len(same_day) == 1, days
    assert by_instant[(instants[4], 7)][hold0] != by_instant[(instants[0], 7)][hold0]


async def test_setting_a_gate_adds_a_version_and_keeps_the_history(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    t, now = tenant.tenant_id, now_utc()
    wf = await seed_workflow(sessions, t, [], now=now)

    async with sessions(t) as session:
        first = await set_gate(
            session=session, tenant_id=t, workflow_key="support", spec=spec(), actor="ann", now=now
        )
        second = await set_gate(
            session=session,
            tenant_id=t,
            workflow_key="support",
            spec=spec(max_cost_per_outcome=Decimal("4.50")),
            actor="bob",
            now=now + timedelta(seconds=1),
        )
        await set_gate(
            session=session,
            tenant_id=t,
            workflow_key="support",
            spec=spec(target_level=2),
            actor="ann",
            now=now + timedelta(seconds=2),
        )
    async with sessions(t) as session:
        in_force = await gates_in_force(session=session, tenant_id=t, workflow_ids=[wf.workflow_id])
        history = await gate_history(session=session, tenant_id=t, workflow_ids=[wf.workflow_id])

    assert (first.version, second.version) == (1, 2)
    assert sorted(in_force[wf.workflow_id]) == [1, 2]
    assert in_force[wf.workflow_id][1].max_cost_per_outcome == Decimal("4.5000000000")
    assert in_force[wf.workflow_id][1].set_by == "bob"
    assert [(g.target_level, g.version) for g in history[wf.workflow_id]] == [
        (2, 1),
        (1, 2),
        (1, 1),
    ]


async def test_unknown_workflows_are_named(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    with pytest.raises(WorkflowNotFound) as raised:
        async with sessions(tenant.tenant_id) as session:
            await set_gate(
                session=session,
                tenant_id=tenant.tenant_id,
                workflow_key="nope",
                spec=spec(),
                actor="ann",
                now=now_utc(),
            )
    assert raised.value.field == "workflowKey"


async def test_promotion_is_refused_then_granted_with_an_audit_trail(make_tenant, sessions) -> None:
    # Given an expensive workflow (6.00 per outcome, budget 5.00) with a level-1 gate
    tenant = await make_tenant()
    t, now = tenant.tenant_id, now_utc()
    wf = await seed_workflow(sessions, t, EXPENSIVE, now=now)
    await insert(sessions, t, gate_row(t, wf))

    # When promotion is asked: refused, with the reasons
    async with sessions(t) as session:
        refused = await promote(
            session=session, tenant_id=t, workflow_key="support", to_level=1, actor="ann", now=now
        )
    assert (refused.promoted, refused.level) == (False, 0)
    assert refused.readiness.cost.status is CheckStatus.FAIL
    assert refused.readiness.blockers == (refused.readiness.cost.detail,)

    # When the budget is raised (a new gate version), the same request passes
    async with sessions(t) as session:
        await set_gate(
            session=session,
            tenant_id=t,
            workflow_key="support",
            spec=spec(max_cost_per_outcome=Decimal("6.50")),
            actor="cfo",
            now=now,
        )
        later = now + timedelta(seconds=1)
        granted = await promote(
            session=session, tenant_id=t, workflow_key="support", to_level=1, actor="ann", now=later
        )
    assert (granted.promoted, granted.level) == (True, 1)

    # Then both decisions are on record, newest first, with their numbers
    async with sessions(t) as session:
        events = (
            await autonomy_history(
                session=session, tenant_id=t, workflow_ids=[wf.workflow_id], first=10
            )
        )[wf.workflow_id]
    assert [(e.kind, e.from_level, e.requested_level, e.level_after) for e in events] == [
        ("PROMOTED", 0, 1, 1),
        ("REFUSED", 0, 1, 0),
    ]
    assert {e.actor for e in events} == {"ann"}
    assert events[1].readiness is not None and events[1].readiness["cost"]["status"] == "FAIL"
    assert events[0].readiness is not None and events[0].readiness["ready"] is True


async def test_only_one_level_at_a_time_and_bad_requests_record_nothing(
    make_tenant, sessions
) -> None:
    tenant = await make_tenant()
    t, now = tenant.tenant_id, now_utc()
    wf = await seed_workflow(sessions, t, GREEN, now=now)
    for to_level in (2, 0):
        with pytest.raises(FieldError) as raised:
            async with sessions(t) as session:
                await promote(
                    session=session,
                    tenant_id=t,
                    workflow_key="support",
                    to_level=to_level,
                    actor="ann",
                    now=now,
                )
        assert raised.value.field == "toLevel"
    with pytest.raises(FieldError):
        async with sessions(t) as session:
            await demote(
                session=session, tenant_id=t, workflow_key="support", to_level=0, actor="a", now=now
            )
    async with sessions(t) as session:
        events = await session.execute(
            select(AutonomyEvent).where(AutonomyEvent.workflow_id == wf.workflow_id)
        )
        assert events.scalars().all() == []


async def test_readiness_without_a_gate_names_the_missing_level(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    t, now = tenant.tenant_id, now_utc()
    wf = await seed_workflow(sessions, t, GREEN, now=now, level=1)
    await insert(sessions, t, gate_row(t, wf, target_level=1))  # the level it already has
    async with sessions(t) as session:
        found = await readiness_of(session=session, tenant_id=t, workflows=[wf], now=now)
    readiness = found[wf.workflow_id]
    assert (readiness.ready, readiness.target_level) == (False, None)
    assert readiness.blockers == ("no gate defined for level 2",)


async def test_evaluations_are_stored_and_k_fails_demote(make_tenant, sessions) -> None:
    # Given a level-2 workflow whose level-2 gate auto-demotes after 2 FAILs, and which is
    # too expensive for it; plus a gate for level 3 (evaluated too, never demoting)
    tenant = await make_tenant()
    t, now = tenant.tenant_id, now_utc()
    wf = await seed_workflow(sessions, t, EXPENSIVE, now=now, level=2)
    await insert(
        sessions,
        t,
        gate_row(t, wf, target_level=2, auto_demote_after=2),
        gate_row(t, wf, target_level=3),
    )

    # When the tenant is evaluated once: two evaluations stored, no demotion yet
    async with sessions(t) as session:
        first = await evaluate_tenant(session=session, tenant_id=t, now=now)
    assert (first.evaluated, first.demoted) == (2, [])

    # When evaluated a second time: the second consecutive FAIL demotes to level 1
    async with sessions(t) as session:
        second = await evaluate_tenant(session=session, tenant_id=t, now=now + timedelta(minutes=1))
    assert second.demoted == ["support"]

    async with sessions(t) as session:
        stored = (
            await recent_evaluations(
                session=session, tenant_id=t, workflow_ids=[wf.workflow_id], first=10
            )
        )[wf.workflow_id]
        events = (
            await autonomy_history(
                session=session, tenant_id=t, workflow_ids=[wf.workflow_id], first=10
            )
        )[wf.workflow_id]
        level = (await session.execute(text("SELECT autonomy_level FROM workflows"))).scalar_one()
    assert [(e.target_level, e.workflow_level, e.status) for e in stored] == [
        (2, 2, "FAIL"),
        (3, 2, "FAIL"),
        (2, 2, "FAIL"),
        (3, 2, "FAIL"),
    ]
    assert stored[0].readiness["cost"]["status"] == "FAIL"
    assert level == 1
    assert [(e.kind, e.actor, e.from_level, e.level_after) for e in events] == [
        ("AUTO_DEMOTED", "system:auto-demotion", 2, 1)
    ]
    assert events[0].reason == "2 consecutive FAIL evaluations of the level-2 gate"

    # And a third evaluation (now at level 1, with no auto-demoting gate for it) demotes nothing
    async with sessions(t) as session:
        third = await evaluate_tenant(session=session, tenant_id=t, now=now + timedelta(minutes=2))
    assert third.demoted == []


async def test_a_pass_or_missing_data_breaks_the_streak(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    t, now = tenant.tenant_id, now_utc()
    # 3 days only: cost and drift are INSUFFICIENT_DATA, never FAIL
    wf = await seed_workflow(sessions, t, [Day(accepted=4)] * 3, now=now, level=1)
    await insert(sessions, t, gate_row(t, wf, target_level=1, auto_demote_after=1))
    async with sessions(t) as session:
        summary = await evaluate_tenant(session=session, tenant_id=t, now=now)
        rows = (await session.execute(select(GateEvaluation.status))).scalars().all()
    assert summary.demoted == []
    assert rows == ["INSUFFICIENT_DATA"]


async def test_the_tenant_registry_lists_ids_and_nothing_else(app, make_tenant) -> None:
    a, b = await make_tenant(), await make_tenant()
    async with app.state.engine.connect() as connection:
        ids = await tenant_ids(connection)
        # the application role still sees no tenant row without a tenant set
        visible = (await connection.execute(text("SELECT count(*) FROM tenants"))).scalar_one()
    assert {a.tenant_id, b.tenant_id} <= set(ids)
    assert visible == 0
