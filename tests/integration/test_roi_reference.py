"""The workers' SQL and the pure reference (`app.domain.roi_cohorts`) agree, window for window,
on random tenants — and no cent of revenue is created or lost on the way."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.attribution import RevenueEvent as DomainEvent
from app.domain.enums import RunStatus
from app.domain.roi import Baseline, window_status
from app.domain.roi_cohorts import CohortRun, UsageCost, compute_windows
from app.services.roi_reads import list_windows, unattributed_revenue
from app.services.scope import TimeRange
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


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    run_specs=runs_st,
    usage_specs=usage_st,
    revenue_specs=revenue_st,
    now_days=st.sampled_from([3, 10, 60]),
    with_baselines=st.booleans(),
)
async def test_sql_windows_equal_the_reference_and_conserve_revenue(
    sessions, make_tenant, run_specs, usage_specs, revenue_specs, now_days, with_baselines
):
    t = (await make_tenant()).tenant_id
    wfs = [workflow(t, "outreach"), workflow(t, "support", hold_hours=24)]
    clients = [client(t, "Acme"), client(t, "Globex")]
    now = T0 + timedelta(days=now_days)
    rows: list = [*wfs, *clients]
    cohort: list[CohortRun] = []
    for i, (start, who, w, status, after, subject) in enumerate(run_specs):
        started = T0 + timedelta(hours=start)
        labelled = started + timedelta(hours=after) if status != "RUNNING" else None
        client_id = clients[who].client_id if who is not None else None
        dims = {"status": status, "status_at": labelled, "client_id": client_id}
        rows.append(run(t, wfs[w], f"r{i}", started_at=started, subject=subject, **dims))
        cohort.append(
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
    costs: list[UsageCost] = []
    for target, cost, at, who, w in usage_specs:
        cid = f"r{target}" if 0 <= target < len(run_specs) else ("ghost" if target == -2 else None)
        occurred, client_id = T0 + timedelta(hours=at), who if who is None else clients[who]
        amount = Decimal(cost).scaleb(-4)
        event = usage(t, wfs[w], amount, correlation_id=cid, occurred_at=occurred)
        event.client_id = client_id.client_id if client_id is not None else None
        rows.append(event)
        costs.append(UsageCost(wfs[w].workflow_id, event.client_id, cid, occurred, amount))
    events: list[DomainEvent] = []
    for i, (who, cents, minutes, link, target) in enumerate(revenue_specs):
        links: dict = {}
        if link == "workflow":
            links["workflow"] = wfs[target % 2]
        elif link == "subject":
            links["subject"] = f"s{target % 2 + 1}"
        elif link == "run":
            links["correlation_id"] = f"r{target}"
        at = T0 + timedelta(minutes=minutes)
        amount = str(Decimal(cents).scaleb(-2))
        row = revenue(t, clients[who], amount, at, event_id=f"e{i}", **links)
        rows.append(row)
        events.append(
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
    baselines = {}
    if with_baselines:
        rows += [baseline(t, wfs[0], "7.50", "2.25"), baseline(t, wfs[0], "11", client=clients[1])]
        baselines = {
            (wfs[0].workflow_id, None): Baseline(Decimal("7.50"), Decimal("2.25")),
            (wfs[0].workflow_id, clients[1].client_id): Baseline(Decimal("11")),
        }
    await insert(sessions, t, *rows)

    await rebuild(sessions, t, now=now)

    expected, attribution = compute_windows(
        runs=cohort, usage=costs, events=events, baselines=baselines, now=now
    )
    async with sessions(t) as session:
        found = await list_windows(
            session=session, tenant_id=t, workflow_ids=[w.workflow_id for w in wfs]
        )
        left = await unattributed_revenue(
            session=session, tenant_id=t, time_range=TimeRange(T0, T0 + timedelta(days=365))
        )
    stored = {(w.workflow_id, w.client_id, w.cohort_day): w for ws in found.values() for w in ws}
    assert {key: w.totals for key, w in stored.items()} == expected
    assert all(w.status is window_status(w.cohort_day, now) for w in stored.values())
    # Conservation, to the cent: attributed (in windows) + unattributed = recorded.
    attributed = sum((w.totals.attributed_revenue for w in stored.values()), Decimal(0))
    recorded = sum((e.amount for e in events), Decimal(0))
    assert attributed + sum(left.values(), Decimal(0)) == recorded
    assert sum(left.values(), Decimal(0)) == attribution.unattributed_total
