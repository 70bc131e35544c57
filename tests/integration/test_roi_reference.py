"""The workers' SQL and the pure reference (`app.domain.roi_cohorts`) agree, window for window,
on random tenants — and no cent of revenue is created or lost on the way."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.db.sessions import TenantSessions, raw_connection
from app.domain.attribution import RevenueEvent as DomainEvent
from app.domain.enums import RunStatus
from app.domain.roi import Baseline, WindowTotals, window_status
from app.domain.roi_cohorts import CohortRun, UsageCost, compute_windows
from app.services.costs.scope import TimeRange
from app.services.roi.dirty import mark_ingest
from app.services.roi.reads import list_windows, unattributed_revenue
from app.services.roi.recompute import drain
from tests.integration.properties import database_settings
from tests.integration.reads_factories import T0, client, insert, run, usage, workflow
from tests.integration.roi_helpers import baseline, rebuild, revenue

runs_st = st.lists(
    st.tuples(
        st.integers(0, 4 * 24),  # started, hours after T0
        st.sampled_from([0, 1, 0, None]),  # client
        st.integers(0, 1),  # workflow (0: no hold, 1: a 24-hour hold)
        st.sampled_from(["RUNNING", "ACCEPTED", "ACCEPTED", "REJECTED"]),
        st.one_of(st.integers(0, 6), st.integers(0, 60)),  # hours from start to the label
        st.sampled_from([None, "s1", "s2"]),  # subject
    ),
    min_size=1,
    max_size=12,
)
usage_st = st.lists(
    st.tuples(
        st.integers(-2, 11),  # a run's index; -1 no correlation id; -2 an unknown one
        st.integers(0, 50_000),  # cost in hundredths of a cent
        st.integers(0, 5 * 24),  # occurred, hours after T0
        st.sampled_from([0, 1, None]),  # the event's own client
        st.integers(0, 1),  # workflow
    ),
    max_size=10,
)
revenue_st = st.lists(
    st.tuples(
        st.integers(0, 1),  # client
        st.integers(-5_000, 50_000),  # cents
        # occurred, minutes after T0: mostly while runs can claim it, sometimes long after
        st.one_of(st.integers(0, 8 * 24 * 60), st.integers(0, 40 * 24 * 60)),
        st.sampled_from(["none", "none", "workflow", "subject", "run"]),
        st.integers(0, 11),  # which workflow / run it names
    ),
    min_size=1,
    max_size=8,
)
# A whole world as the property tests draw it: runs, usage, revenue, the clock, baselines or not.
world_st = {
    "run_specs": runs_st,
    "usage_specs": usage_st,
    "revenue_specs": revenue_st,
    "now_days": st.sampled_from([3, 10, 60]),
    "with_baselines": st.booleans(),
}


@dataclass
class World:
    """The same data as database rows and as the reference's plain values."""

    wfs: list
    clients: list
    rows: list = field(default_factory=list)
    cohort: list[CohortRun] = field(default_factory=list)
    costs: list[UsageCost] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    baselines: dict = field(default_factory=dict)


def build(t, run_specs, usage_specs, revenue_specs, with_baselines) -> World:
    world = World(
        wfs=[workflow(t, "outreach"), workflow(t, "support", hold_hours=24)],
        clients=[client(t, "Acme"), client(t, "Globex")],
    )
    wfs, clients = world.wfs, world.clients
    world.rows += [*wfs, *clients]
    for i, (start, who, w, status, after, subject) in enumerate(run_specs):
        started = T0 + timedelta(hours=start)
        labelled = started + timedelta(hours=after) if status != "RUNNING" else None
        client_id = clients[who].client_id if who is not None else None
        dims = {"status": status, "status_at": labelled, "client_id": client_id}
        world.rows.append(run(t, wfs[w], f"r{i}", started_at=started, subject=subject, **dims))
        world.cohort.append(
            CohortRun(
                correlation_id=f"r{i}",
                workflow_id=wfs[w].workflow_id,
                client_id=client_id,
                started_at=started,
                status=RunStatus(status),
                status_at=labelled,
                ended_at=labelled,
                subject=subject,
                hold_hours=wfs[w].acceptance_hold_hours,
            )
        )
    for target, cost, at, who, w in usage_specs:
        cid = f"r{target}" if 0 <= target < len(run_specs) else ("ghost" if target == -2 else None)
        occurred = T0 + timedelta(hours=at)
        amount = Decimal(cost).scaleb(-4)
        event = usage(t, wfs[w], amount, correlation_id=cid, occurred_at=occurred)
        event.client_id = clients[who].client_id if who is not None else None
        world.rows.append(event)
        world.costs.append(UsageCost(wfs[w].workflow_id, event.client_id, cid, occurred, amount))
    for spec in revenue_specs:
        add_revenue(t, world, spec)
    if with_baselines:
        world.rows += [
            baseline(t, wfs[0], "7.50", "2.25"),
            baseline(t, wfs[0], "11", client=clients[1]),
        ]
        world.baselines = {
            (wfs[0].workflow_id, None): Baseline(Decimal("7.50"), Decimal("2.25")),
            (wfs[0].workflow_id, clients[1].client_id): Baseline(Decimal("11")),
        }
    return world


async def stored_world(
    make_tenant: Any, sessions: TenantSessions, *specs: Any
) -> tuple[uuid.UUID, World]:
    """A fresh tenant holding the world `build` makes of `specs`, inserted: its id and the world."""
    t = (await make_tenant()).tenant_id
    world = build(t, *specs)
    await insert(sessions, t, *world.rows)
    return t, world


def add_revenue(t, world: World, spec) -> Any:
    who, cents, minutes, link, target = spec
    links: dict = {}
    if link == "workflow":
        links["workflow"] = world.wfs[target % 2]
    elif link == "subject":
        links["subject"] = f"s{target % 2 + 1}"
    elif link == "run":
        links["correlation_id"] = f"r{target}"
    at = T0 + timedelta(minutes=minutes)
    amount = str(Decimal(cents).scaleb(-2))
    row = revenue(t, world.clients[who], amount, at, event_id=f"e{len(world.events)}", **links)
    world.rows.append(row)
    world.events.append(
        DomainEvent(
            row.event_id,
            row.client_id,
            row.amount,
            at,
            row.workflow_id,
            row.subject,
            row.correlation_id,
        )
    )
    return row


async def assert_matches_reference(sessions, t, world: World, now) -> None:
    expected, attribution = compute_windows(
        runs=world.cohort,
        usage=world.costs,
        events=world.events,
        baselines=world.baselines,
        now=now,
    )
    async with sessions(t) as session:
        found = await list_windows(
            session=session, tenant_id=t, workflow_ids=[w.workflow_id for w in world.wfs]
        )
        left = await unattributed_revenue(
            session=session, tenant_id=t, time_range=TimeRange(T0, T0 + timedelta(days=365))
        )
    stored = {(w.workflow_id, w.client_id, w.cohort_day): w for ws in found.values() for w in ws}
    # Windows kept with zero figures (they lost their last run or cost) are not in the reference.
    empty = WindowTotals(0, 0, Decimal(0), Decimal(0), Decimal(0), None)
    totals = {key: w.totals for key, w in stored.items() if key in expected or w.totals != empty}
    assert totals == expected
    assert all(w.status is window_status(w.cohort_day, now) for w in stored.values())
    # Conservation, to the cent: attributed (in windows) + unattributed = recorded.
    attributed = sum((w.totals.attributed_revenue for w in stored.values()), Decimal(0))
    recorded = sum((e.amount for e in world.events), Decimal(0))
    assert attributed + sum(left.values(), Decimal(0)) == recorded
    assert sum(left.values(), Decimal(0)) == attribution.unattributed_total


SETTINGS = database_settings(12)


@SETTINGS
@given(**world_st)
async def test_sql_windows_equal_the_reference_and_conserve_revenue(
    sessions, make_tenant, run_specs, usage_specs, revenue_specs, now_days, with_baselines
):
    t, world = await stored_world(
        make_tenant, sessions, run_specs, usage_specs, revenue_specs, with_baselines
    )
    now = T0 + timedelta(days=now_days)

    await rebuild(sessions, t, now=now)

    await assert_matches_reference(sessions, t, world, now)


changes_st = st.lists(
    st.one_of(
        st.tuples(
            st.just("label"),
            st.integers(0, 11),  # which run (modulo the number of runs)
            st.sampled_from(["ACCEPTED", "ACCEPTED", "REJECTED"]),
            st.integers(1, 72),  # when, hours after the run started
        ),
        st.tuples(st.just("revenue"), revenue_st.map(lambda specs: specs[0])),
    ),
    min_size=1,
    max_size=6,
)


@SETTINGS
@given(
    run_specs=runs_st, revenue_specs=revenue_st, changes=changes_st, batch=st.sampled_from([1, 3])
)
async def test_incremental_recomputes_equal_the_reference_and_a_full_rebuild(
    sessions, make_tenant, run_specs, revenue_specs, changes, batch
):
    """Labels and revenue arrive after a first computation; each change is marked the way ingest
    marks it and drained without forcing: the windows must equal the reference on the final data,
    and a forced full rebuild must then find nothing to change."""
    t, world = await stored_world(make_tenant, sessions, run_specs, [], revenue_specs, False)
    now = T0 + timedelta(days=70)
    await rebuild(sessions, t, now=now)

    for change in changes:
        async with sessions(t) as session:
            conn = await raw_connection(session)
            if change[0] == "label":
                _, index, status, hours = change
                index %= len(world.cohort)
                at = world.cohort[index].started_at + timedelta(hours=hours)
                cid = world.cohort[index].correlation_id
                await conn.execute(
                    "UPDATE runs SET status = $3, status_at = $4, ended_at = $4 "
                    "WHERE tenant_id = $1 AND correlation_id = $2",
                    *(t, cid, status, at),
                )
                world.cohort[index] = replace(
                    world.cohort[index], status=RunStatus(status), status_at=at, ended_at=at
                )
                await mark_ingest(conn, t, runs=[cid])
            elif change[0] == "revenue":
                row = add_revenue(t, world, change[1])
                session.add(row)
                await session.flush()
                await mark_ingest(conn, t, revenue=[row.event_id])
        await drain(sessions=sessions, tenant_id=t, now=now, batch_size=batch)

    await assert_matches_reference(sessions, t, world, now)
    assert (await rebuild(sessions, t, now=now)).changed == 0
