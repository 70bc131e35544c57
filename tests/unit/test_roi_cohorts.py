"""The reference window computation: cohorts by start day, cohort cost, attribution, baselines."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.attribution import RevenueEvent
from app.domain.enums import RunStatus
from app.domain.roi import Baseline, WindowTotals
from app.domain.roi_cohorts import CohortRun, UsageCost, accepted_runs, compute_windows

D = Decimal
T0 = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 6, 1, tzinfo=UTC)
ACME, GLOBEX = uuid.UUID(int=1), uuid.UUID(int=2)
WF = uuid.UUID(int=10)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def accepted(cid: str, start: float, end: float, client=ACME, **kw) -> CohortRun:
    return CohortRun(cid, WF, client, at(start), RunStatus.ACCEPTED, at(end), at(end), **kw)


def test_windows_group_runs_by_client_and_start_day_with_cohort_cost_and_revenue() -> None:
    runs = [
        accepted("a1", 0.1, 0.2),
        accepted("a2", 0.5, 2.0),  # started on day 0, finished on day 2: still day 0's cohort
        CohortRun("a3", WF, ACME, at(0.7), RunStatus.REJECTED, at(0.8), at(0.8)),
        accepted("g1", 0.3, 0.4, client=GLOBEX),
        accepted("b1", 1.2, 1.3),
        # accepted on day 1.6 under a 24-hour hold: the hold passed long before NOW, so counted.
        accepted("held", 1.5, 1.6, hold_hours=24),
    ]
    usage = [
        UsageCost(WF, ACME, "a1", at(0.1), D("1.10")),
        UsageCost(WF, ACME, "a3", at(0.7), D("0.40")),
        UsageCost(WF, None, "a2", at(40), D("2.00")),  # late usage of a day-0 run: day 0's cost
        UsageCost(WF, ACME, None, at(0.9), D("0.25")),  # workflow-level, Acme, day 0
        UsageCost(WF, None, "ghost", at(1.1), D("0.05")),  # unknown run: workflow-level, no client
    ]
    events = [RevenueEvent("rev", ACME, D("100.00"), at(2.5))]  # a1, a2, b1, held cover it

    windows, attribution = compute_windows(
        runs=runs,
        usage=usage,
        events=events,
        baselines={(WF, None): Baseline(D("10")), (WF, GLOBEX): Baseline(D("4"), D("8"))},
        now=NOW,
    )

    # Split order by ended_at: a1 (0.2), b1 (1.3), held (1.6), a2 (2.0); 10000 cents / 4 = 2500.
    assert [(a.correlation_id, a.amount) for a in attribution.allocations] == [
        ("a1", D("25.00")),
        ("b1", D("25.00")),
        ("held", D("25.00")),
        ("a2", D("25.00")),
    ]
    day0, day1 = date(2026, 3, 1), date(2026, 3, 2)
    assert windows == {
        # a1 + a2 + a3: 3 runs, 2 successes; cost 1.10 + 0.40 + 2.00 + 0.25 = 3.75;
        # revenue 25 + 25 = 50; baseline 2 × 10 = 20 (workflow-wide); no human cost known.
        (WF, ACME, day0): WindowTotals(3, 2, D("3.75"), D("50.00"), D("20"), None),
        # Globex's own baseline: 1 × 4 = 4; labor 1 × 8 = 8.
        (WF, GLOBEX, day0): WindowTotals(1, 1, D(0), D(0), D("4"), D("8")),
        (WF, ACME, day1): WindowTotals(2, 2, D(0), D("50.00"), D("20"), None),
        (WF, None, day1): WindowTotals(0, 0, D("0.05"), D(0), D(0), None),
    }


def test_pending_acceptances_neither_count_nor_claim_revenue() -> None:
    run = accepted("p", 0, 1, hold_hours=48)  # accepted at day 1, hold until day 3
    events = [RevenueEvent("rev", ACME, D("5.00"), at(2))]

    during, attribution = compute_windows(
        runs=[run], usage=[], events=events, baselines={}, now=at(2)
    )
    after, later = compute_windows(runs=[run], usage=[], events=events, baselines={}, now=at(3))

    assert during[(WF, ACME, date(2026, 3, 1))].successes == 0
    assert attribution.unattributed_total == D("5.00")
    assert after[(WF, ACME, date(2026, 3, 1))] == WindowTotals(1, 1, D(0), D("5.00"), D(0), None)
    assert later.unattributed == []


def test_only_runs_counted_accepted_with_an_end_may_claim() -> None:
    runs = [
        accepted("ok", 0, 1),
        CohortRun("running", WF, ACME, at(0)),
        CohortRun("rejected", WF, ACME, at(0), RunStatus.REJECTED, at(1), at(1)),
    ]
    assert [r.correlation_id for r in accepted_runs(runs, NOW)] == ["ok"]


days = st.floats(min_value=0, max_value=5, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(
    starts=st.lists(
        st.tuples(days, st.floats(0, 3), st.sampled_from([ACME, GLOBEX, None])), max_size=12
    ),
    amounts=st.lists(st.tuples(st.integers(-(10**6), 10**6), days), max_size=8),
)
def test_every_cent_of_revenue_ends_in_a_window_or_unattributed(starts, amounts) -> None:
    runs = [
        accepted(f"r{i}", start, start + length, client=client)
        for i, (start, length, client) in enumerate(starts)
    ]
    events = [
        RevenueEvent(f"e{i}", ACME if i % 2 else GLOBEX, D(c).scaleb(-2), at(when))
        for i, (c, when) in enumerate(amounts)
    ]

    windows, attribution = compute_windows(
        runs=runs, usage=[], events=events, baselines={}, now=NOW
    )

    attributed = sum((w.attributed_revenue for w in windows.values()), D(0))
    assert attributed + attribution.unattributed_total == sum((e.amount for e in events), D(0))
    assert sum(w.runs for w in windows.values()) == len(runs)
