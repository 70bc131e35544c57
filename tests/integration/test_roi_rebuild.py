"""The set-based full rebuild (`app.services.roi.rebuild`) against its references: the SQL split
equals `app.domain.attribution.attribute_grouped` event for event, and the rebuild leaves exactly
the rows of the batched drain (`drain(..., force=True)`), which agrees with the pure reference."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.db.sessions import raw_connection
from app.domain.attribution import AcceptedRun, attribute_grouped
from app.domain.enums import RunStatus
from app.services.roi.dirty import mark_ingest
from app.services.roi.rebuild import SPLIT_QUERY, rebuild_tenant
from app.services.roi.recompute import drain
from tests.integration.properties import database_settings
from tests.integration.reads_factories import T0
from tests.integration.roi_helpers import STORED_ALLOCATIONS, STORED_WINDOWS, rebuild
from tests.integration.test_roi_reference import (
    assert_matches_reference,
    revenue_st,
    runs_st,
    stored_world,
    world_st,
)

SETTINGS = database_settings(8)


async def snapshot(sessions, t) -> tuple[list[Any], list[Any]]:
    async with sessions(t) as session:
        conn = await raw_connection(session)
        windows = [tuple(r) for r in await conn.fetch(STORED_WINDOWS, t)]
        allocations = [tuple(r) for r in await conn.fetch(STORED_ALLOCATIONS, t)]
    return windows, allocations


async def unseen(sessions, t) -> int:
    async with sessions(t) as session:
        return int(
            await (await raw_connection(session)).fetchval(
                "SELECT count(*) FROM revenue_events WHERE tenant_id = $1 AND processed_at IS NULL",
                t,
            )
        )


def accepted_runs(world, now) -> list[AcceptedRun]:
    return [
        AcceptedRun(r.correlation_id, r.workflow_id, r.client_id, r.subject, r.ended_at)
        for r in world.cohort
        if r.status is RunStatus.ACCEPTED
        and r.ended_at is not None
        and r.status_at is not None
        and r.status_at + timedelta(hours=r.hold_hours) <= now
    ]


@SETTINGS
@given(
    run_specs=runs_st,
    revenue_specs=revenue_st,
    now_days=st.sampled_from([1, 3, 10, 60]),
)
async def test_the_sql_split_equals_the_domain_split(
    sessions, make_tenant, run_specs, revenue_specs, now_days
):
    t, world = await stored_world(make_tenant, sessions, run_specs, [], revenue_specs, False)
    now = T0 + timedelta(days=now_days)
    window_of = {r.correlation_id: (r.workflow_id, r.started_at.date()) for r in world.cohort}
    expected = attribute_grouped(
        world.events, accepted_runs(world, now), lambda run: window_of[run.correlation_id]
    )
    async with sessions(t) as session:
        rows = await (await raw_connection(session)).fetch(SPLIT_QUERY, t, now, None)
    found: dict[str, dict] = {}
    for row in rows:
        found.setdefault(row["event_id"], {})[(row["workflow_id"], row["cohort_day"])] = (
            row["amount"],
            row["runs"],
        )
    assert found == expected


async def test_the_split_gives_remainder_cents_in_end_then_id_order(sessions, make_tenant):
    """$100.01 over three runs: 3,333 cents each and 2 remainder cents, to the earliest end (r1,
    1 h) and then, of the two runs ending at 2 h, to "R9" before "r0" — code point order, which a
    linguistic collation would reverse ("r0" < "R9" there)."""
    t, world = await stored_world(
        make_tenant,
        sessions,
        [(0, 0, 0, "ACCEPTED", 2, None), (0, 0, 0, "ACCEPTED", 1, None)],
        [],
        [(0, 10_001, 5 * 60, "none", 0)],
        False,
    )
    now = T0 + timedelta(days=40)
    other = world.wfs[1].workflow_id
    async with sessions(t) as session:
        conn = await raw_connection(session)
        await conn.execute(
            "INSERT INTO runs (tenant_id, correlation_id, workflow_id, client_id, started_at, "
            "status, status_at, ended_at) SELECT tenant_id, 'R9', $2, client_id, "
            "started_at, status, status_at - interval '25 hours', ended_at FROM runs "
            "WHERE tenant_id = $1 AND correlation_id = 'r0'",
            t,
            other,
        )
        rows = await conn.fetch(SPLIT_QUERY, t, now, None)
    found = {r["workflow_id"]: (str(r["amount"]), r["runs"]) for r in rows}
    # R9 (the other workflow) gets 33.34; r1 33.34 + r0 33.33 = 66.67.
    assert found == {other: ("33.34", 1), world.wfs[0].workflow_id: ("66.67", 2)}
    r0 = next(r for r in accepted_runs(world, now) if r.correlation_id == "r0")
    runs = [*accepted_runs(world, now), AcceptedRun("R9", other, r0.client_id, None, r0.ended_at)]
    grouped = attribute_grouped(world.events, runs, lambda run: run.workflow_id)
    assert {k: (str(a), n) for k, (a, n) in grouped["e0"].items()} == found


@SETTINGS
@given(**world_st, drain_first=st.booleans())
async def test_the_set_based_rebuild_equals_the_batched_drain(
    sessions,
    make_tenant,
    run_specs,
    usage_specs,
    revenue_specs,
    now_days,
    with_baselines,
    drain_first,
):
    t, world = await stored_world(
        make_tenant, sessions, run_specs, usage_specs, revenue_specs, with_baselines
    )
    now = T0 + timedelta(days=now_days)
    async with sessions(t) as session:
        await mark_ingest(
            await raw_connection(session), t, runs=[r.correlation_id for r in world.cohort]
        )
    if drain_first:
        await rebuild(sessions, t, now=now)
        before = await snapshot(sessions, t)
        report = await rebuild_tenant(sessions=sessions, tenant_id=t, now=now)
        assert (report.changed, report.allocations) == (0, 0)
        assert await snapshot(sessions, t) == before
    else:
        report = await rebuild_tenant(sessions=sessions, tenant_id=t, now=now)
        assert report.markers > 0
        before = await snapshot(sessions, t)
        assert await unseen(sessions, t) == 0  # every event seen
        await assert_matches_reference(sessions, t, world, now)
        assert (await rebuild(sessions, t, now=now)).changed == 0
        assert await snapshot(sessions, t) == before
        again = await rebuild_tenant(sessions=sessions, tenant_id=t, now=now)
        assert (again.changed, again.allocations) == (0, 0)


async def test_revenue_marks_only_its_clients_windows_and_other_marks_widen_them(
    sessions, make_tenant
):
    """A revenue event marks its claimants' (workflow, day) with its own client (migration
    0008); the drain recomputes that client's windows only — another client's stale window of
    the same day stays as it was until a mark covering every client (a run) reaches it."""
    t, world = await stored_world(
        make_tenant,
        sessions,
        [(0, 0, 0, "ACCEPTED", 1, None), (1, 1, 0, "ACCEPTED", 1, None)],
        [],
        [(0, 1_000, 3 * 60, "none", 0)],
        False,
    )
    now = T0 + timedelta(days=40)
    await rebuild_tenant(sessions=sessions, tenant_id=t, now=now)
    acme, globex = (c.client_id for c in world.clients)
    wf = world.wfs[0].workflow_id

    async def windows() -> dict:
        async with sessions(t) as session:
            rows = await (await raw_connection(session)).fetch(
                "SELECT client_id, successes, attributed_revenue FROM roi_windows "
                "WHERE tenant_id = $1",
                t,
            )
        return {r["client_id"]: (r["successes"], r["attributed_revenue"]) for r in rows}

    async with sessions(t) as session:
        conn = await raw_connection(session)
        # Globex's run of the same day is relabelled without marking anything (a stale window),
        await conn.execute(
            "UPDATE runs SET status = 'REJECTED' WHERE tenant_id = $1 AND correlation_id = 'r1'", t
        )
        # then Acme records revenue: its pair is marked for Acme only.
        await conn.execute(
            "INSERT INTO revenue_events (tenant_id, event_id, client_id, amount, occurred_at) "
            "VALUES ($1, 'more', $2, 5.00, $3)",
            t,
            acme,
            T0 + timedelta(hours=5),
        )
        assert await mark_ingest(conn, t, revenue=["more"]) == [(wf, T0.date())]
        marker = await conn.fetchrow("SELECT clients FROM roi_dirty WHERE tenant_id = $1", t)
        assert marker["clients"] == [acme]
    report = await drain(sessions=sessions, tenant_id=t, now=now)
    assert report.windows == 1  # Acme's window only
    found = await windows()
    assert found[acme] == (1, Decimal("15.00"))  # 10.00 + 5.00
    assert found[globex] == (1, 0)  # untouched: its relabel was never marked

    async with sessions(t) as session:
        conn = await raw_connection(session)
        await mark_ingest(conn, t, revenue=["more"])
        await mark_ingest(conn, t, runs=["r1"])  # every client of the pair: NULL wins
        marker = await conn.fetchrow("SELECT clients FROM roi_dirty WHERE tenant_id = $1", t)
        assert marker["clients"] is None
    await drain(sessions=sessions, tenant_id=t, now=now)
    assert (await windows())[globex] == (0, 0)
