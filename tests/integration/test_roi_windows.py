"""ROI windows computed by the services in PostgreSQL (RLS on), held to hand-computed numbers
and to the pure reference (`app.domain.roi_cohorts`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from app.db.sessions import raw_connection
from app.domain.roi import roi_figures
from app.services.costs.scope import TimeRange
from app.services.roi.dirty import mark_revenue, mark_runs
from app.services.roi.reads import list_windows, unattributed_revenue
from app.services.roi.recompute import drain
from tests.integration.reads_factories import T0, client, day, insert, run, usage, workflow
from tests.integration.roi_helpers import (
    LATER,
    acme_outreach,
    allocation_rows,
    baseline,
    fetch,
    rebuild,
    revenue,
    window_rows,
)

D = Decimal
MARCH = TimeRange(T0, T0 + timedelta(days=31))


async def stored(sessions, tenant_id, wf):
    async with sessions(tenant_id) as session:
        found = await list_windows(
            session=session, tenant_id=tenant_id, workflow_ids=[wf.workflow_id]
        )
    return found[wf.workflow_id]


async def test_the_issue_example_has_roi_about_eleven_point_four(sessions, make_tenant):
    # Given 12 runs of one day: 10 accepted successes costing 4.20 each, 2 rejected and free;
    # each success earned 68.00 (linked by correlation id) against a baseline of 20.00.
    t = (await make_tenant()).tenant_id
    wf, acme = workflow(t), client(t)
    rows = [wf, acme, baseline(t, wf, "20.00", "35.00")]
    mine = {"client_id": acme.client_id}
    for i in range(10):
        rows += [
            run(t, wf, f"ok-{i}", started_at=day(0, i), status="ACCEPTED", **mine),
            usage(t, wf, "4.20", correlation_id=f"ok-{i}", occurred_at=day(0, i)),
            revenue(t, acme, "68.00", day(2, i), correlation_id=f"ok-{i}"),
        ]
    rows += [
        run(t, wf, f"no-{i}", started_at=day(0, 12), status="REJECTED", client_id=acme.client_id)
        for i in range(2)
    ]
    await insert(sessions, t, *rows)

    await rebuild(sessions, t)

    [window] = await stored(sessions, t, wf)
    figures = roi_figures(window.totals)
    assert (window.cohort_day, window.client_id, window.status.value) == (
        T0.date(),
        acme.client_id,
        "FINAL",
    )
    assert (window.totals.runs, figures.successes) == (12, 10)
    assert figures.cost == D("42.00")  # 10 × 4.20
    assert figures.cost_per_success == D("4.20")
    assert figures.attributed_revenue == D("680.00")  # 10 × 68.00
    assert figures.baseline_revenue == D("200.00")  # 10 × 20.00
    assert figures.lift == D("480.00")  # 48.00 more than the baseline per success
    assert figures.roi == pytest.approx(11.4286, abs=1e-4)  # 480 / 42 = 48 / 4.20
    assert figures.cost_vs_labor == pytest.approx(0.12)  # 4.20 / 35.00


async def test_revenue_at_exactly_thirty_days_is_claimed_one_microsecond_later_is_not(
    sessions, make_tenant
):
    t, wf, acme = await acme_outreach(make_tenant, sessions)
    ended = day(0, 1)  # the factory accepts a run one hour after it starts
    await insert(
        sessions,
        t,
        run(t, wf, "r1", started_at=day(0), status="ACCEPTED", client_id=acme.client_id),
        revenue(t, acme, "10.00", ended + timedelta(days=30), event_id="inside"),
        revenue(t, acme, "5.00", ended + timedelta(days=30, microseconds=1), event_id="outside"),
    )

    await rebuild(sessions, t)

    [window] = await stored(sessions, t, wf)
    assert window.totals.attributed_revenue == D("10.00")
    async with sessions(t) as session:
        left = await unattributed_revenue(
            session=session, tenant_id=t, time_range=TimeRange(T0, day(40))
        )
    assert left == {(acme.client_id, None): D("5.00")}


async def test_an_even_split_gives_the_remainder_cent_to_the_earliest_finished_run(
    sessions, make_tenant
):
    t, wf, acme = await acme_outreach(make_tenant, sessions)
    accepted = {"client_id": acme.client_id, "status": "ACCEPTED"}
    await insert(
        sessions,
        t,
        # One run per day, so that each window shows one run's share.
        run(t, wf, "r-b", started_at=day(1, 1), status_at=day(1, 3), **accepted),
        run(t, wf, "r-a", started_at=day(0, 2), status_at=day(1, 3), **accepted),
        run(t, wf, "r-c", started_at=day(2, 0), status_at=day(2, 1), **accepted),
        revenue(t, acme, "100.00", day(3), event_id="deal"),
    )

    await rebuild(sessions, t)

    # 10000 cents / 3 = 3333 rest 1: the earliest end takes the extra cent. r-a and r-b tie
    # (day 1 + 3h), r-a sorts first by correlation id; r-c ended last.
    assert await allocation_rows(sessions, t) == [
        {"event_id": "deal", "cohort_day": day(0).date(), "amount": D("33.34"), "runs": 1},
        {"event_id": "deal", "cohort_day": day(1).date(), "amount": D("33.33"), "runs": 1},
        {"event_id": "deal", "cohort_day": day(2).date(), "amount": D("33.33"), "runs": 1},
    ]
    windows = await stored(sessions, t, wf)
    assert [w.totals.attributed_revenue for w in windows] == [D("33.34"), D("33.33"), D("33.33")]


async def test_late_revenue_revises_a_final_window_and_never_silently(sessions, make_tenant):
    t, wf, acme = await acme_outreach(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(t, wf, "r1", started_at=day(0), status="ACCEPTED", client_id=acme.client_id),
        revenue(t, acme, "40.00", day(3), event_id="early"),
    )
    await rebuild(sessions, t)
    [before] = await window_rows(sessions, t)
    assert (before["status"], before["revision"], before["attributed_revenue"]) == (
        "FINAL",
        0,
        D("40.00"),
    )

    # When revenue that occurred inside the window is recorded after the window became FINAL
    late = revenue(t, acme, "15.00", day(20), event_id="late")
    await insert(sessions, t, late)
    async with sessions(t) as session:
        marked = await mark_revenue(await raw_connection(session), t, ["late"])
    assert marked == [(wf.workflow_id, T0.date())]
    await drain(sessions=sessions, tenant_id=t, now=LATER + timedelta(hours=1))

    # Then the window is revised: new figures, revision 1, a new computedAt
    [after] = await window_rows(sessions, t)
    assert (after["status"], after["revision"], after["attributed_revenue"]) == (
        "FINAL",
        1,
        D("55.00"),
    )
    assert after["computed_at"] > before["computed_at"]
    # and recomputing again changes nothing
    await rebuild(sessions, t, now=LATER + timedelta(hours=2))
    assert await window_rows(sessions, t) == [after]


async def test_changes_inside_an_open_window_do_not_count_as_revisions(sessions, make_tenant):
    t, wf, acme = await acme_outreach(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(t, wf, "r1", started_at=day(0), status="ACCEPTED", client_id=acme.client_id),
    )
    await rebuild(sessions, t, now=day(5))
    await insert(sessions, t, revenue(t, acme, "9.99", day(4), event_id="e"))
    async with sessions(t) as session:
        await mark_revenue(await raw_connection(session), t, ["e"])
    await drain(sessions=sessions, tenant_id=t, now=day(6))

    [window] = await window_rows(sessions, t)
    assert (window["status"], window["revision"], window["attributed_revenue"]) == (
        "OPEN",
        0,
        D("9.99"),
    )
    # OPEN until day 0 + 1 + 30 = 2026-04-01, when the cron must look again.
    assert window["recheck_at"] == day(31)


async def test_recomputing_twice_leaves_identical_rows(sessions, make_tenant):
    t, wf, acme = await acme_outreach(make_tenant, sessions)
    await insert(
        sessions,
        t,
        baseline(t, wf, "3.00"),
        *[
            run(t, wf, f"r{i}", started_at=day(i % 3), status="ACCEPTED", client_id=acme.client_id)
            for i in range(7)
        ],
        usage(t, wf, "0.70", correlation_id="r1"),
        usage(t, wf, "1.30", occurred_at=day(1)),
        revenue(t, acme, "12.34", day(2, 12)),
    )
    first = await rebuild(sessions, t)
    windows, allocations = await window_rows(sessions, t), await allocation_rows(sessions, t)

    second = await rebuild(sessions, t, now=LATER + timedelta(days=1))

    # days 0, 1, 2 of Acme, and day 1 of no client (the workflow-level 1.30)
    assert first.changed == len(windows) == 4 and second.changed == 0
    assert await window_rows(sessions, t) == windows  # computed_at included
    assert await allocation_rows(sessions, t) == allocations


async def test_a_pending_acceptance_claims_nothing_until_its_hold_passes(sessions, make_tenant):
    t, wf, acme = await acme_outreach(make_tenant, sessions, hold_hours=48)
    await insert(
        sessions,
        t,
        run(t, wf, "held", started_at=day(0), status="ACCEPTED", client_id=acme.client_id),
        revenue(t, acme, "25.00", day(1)),
    )
    await rebuild(sessions, t, now=day(1, 2))
    [pending] = await window_rows(sessions, t)
    assert (pending["successes"], pending["attributed_revenue"]) == (0, 0)
    assert pending["recheck_at"] == day(0, 1) + timedelta(hours=48)  # the hold's end

    # When the cron's catch-up runs after the hold ended (no new data at all)
    report = await drain(sessions=sessions, tenant_id=t, now=day(3), include_due=True)

    [counted] = await window_rows(sessions, t)
    assert report.markers == 1
    assert (counted["successes"], counted["attributed_revenue"]) == (1, D("25.00"))
    assert counted["recheck_at"] == day(31)  # now only the window's own end remains


async def test_a_newly_accepted_run_moves_shares_of_revenue_out_of_other_windows(
    sessions, make_tenant
):
    t, wf, acme = await acme_outreach(make_tenant, sessions)
    mine = {"client_id": acme.client_id}
    await insert(
        sessions,
        t,
        run(t, wf, "a", started_at=day(0), status="ACCEPTED", **mine),
        run(t, wf, "b", started_at=day(1), status="ACCEPTED", **mine),
        run(t, wf, "c", started_at=day(2), **mine),  # still running
        revenue(t, acme, "100.00", day(4), event_id="retainer"),
    )
    await rebuild(sessions, t)
    assert [w["attributed_revenue"] for w in await window_rows(sessions, t)] == [
        D("50.00"),
        D("50.00"),
        D(0),
    ]

    # When run c is accepted (on day 2) and only its own window is marked
    async with sessions(t) as session:
        conn = await raw_connection(session)
        await conn.execute(
            "UPDATE runs SET status = 'ACCEPTED', status_at = $2, ended_at = $2 "
            "WHERE tenant_id = $1 AND correlation_id = 'c'",
            t,
            day(2, 5),
        )
        assert await mark_runs(conn, t, ["c"]) == [(wf.workflow_id, day(2).date())]
    report = await drain(sessions=sessions, tenant_id=t, now=LATER)

    # Then the split over a, b, c reaches the windows of days 0 and 1 as well (a cascade)
    assert report.batches[0].cascaded == 2
    rows = await window_rows(sessions, t)
    assert [w["attributed_revenue"] for w in rows] == [D("33.34"), D("33.33"), D("33.33")]
    assert [w["revision"] for w in rows] == [1, 1, 1]  # all FINAL at LATER: revised, visibly
    assert sum(w["attributed_revenue"] for w in rows) == D("100.00")


async def test_usage_that_arrived_before_its_run_moves_to_the_runs_window(sessions, make_tenant):
    t = (await make_tenant()).tenant_id
    wf = workflow(t)
    await insert(sessions, t, wf, usage(t, wf, "3.00", correlation_id="later", occurred_at=day(0)))
    await rebuild(sessions, t)
    [orphan] = await window_rows(sessions, t)
    assert (orphan["cohort_day"], orphan["runs"], orphan["cost"]) == (day(0).date(), 0, D(3))

    await insert(sessions, t, run(t, wf, "later", started_at=day(1)))
    async with sessions(t) as session:
        marked = await mark_runs(await raw_connection(session), t, ["later"])
    assert sorted(marked) == [(wf.workflow_id, day(0).date()), (wf.workflow_id, day(1).date())]
    await drain(sessions=sessions, tenant_id=t, now=LATER)

    emptied, owner = await window_rows(sessions, t)
    assert (emptied["runs"], emptied["cost"], emptied["revision"]) == (0, D(0), 1)
    assert (owner["cohort_day"], owner["runs"], owner["cost"]) == (day(1).date(), 1, D(3))


async def test_dirty_tenants_are_listed_across_tenants_without_their_rows(
    app, sessions, make_tenant
):
    from sqlalchemy import text

    a, b = (await make_tenant()).tenant_id, (await make_tenant()).tenant_id
    wf_a, wf_b = workflow(a), workflow(b)
    await insert(sessions, a, wf_a, run(a, wf_a, "r"))
    await insert(sessions, b, wf_b, run(b, wf_b, "r1"), run(b, wf_b, "r2", started_at=day(1)))
    for tenant in (a, b):
        async with sessions(tenant) as session:
            await mark_runs(await raw_connection(session), tenant, ["r", "r1", "r2"])

    async with app.state.engine.connect() as conn:  # the application role, no tenant set
        listed = (await conn.execute(text("SELECT * FROM ledger_dirty_tenants(now())"))).all()
        visible = (await conn.execute(text("SELECT count(*) FROM roi_dirty"))).scalar_one()

    counts = {row.tenant_id: (row.dirty, row.due) for row in listed}
    assert counts[a] == (1, 0) and counts[b] == (2, 0)
    assert visible == 0  # RLS: the role itself still sees no tenant's markers


async def test_markers_are_private_to_their_tenant(sessions, make_tenant):
    a, b = (await make_tenant()).tenant_id, (await make_tenant()).tenant_id
    wf = workflow(a)
    await insert(sessions, a, wf, run(a, wf, "r"))
    async with sessions(a) as session:
        await mark_runs(await raw_connection(session), a, ["r"])

    assert await fetch(sessions, b, "SELECT * FROM roi_dirty") == []
    assert len(await fetch(sessions, a, "SELECT * FROM roi_dirty")) == 1
