"""Revenue attribution: the 30-day forward window, links, the even split and conservation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.attribution import (
    ATTRIBUTION_WINDOW,
    AcceptedRun,
    Allocation,
    RevenueEvent,
    attribute,
    attribute_grouped,
    claimants,
    covers,
    split_evenly,
)

T = datetime(2026, 3, 1, 12, tzinfo=UTC)
ACME, GLOBEX = uuid.UUID(int=1), uuid.UUID(int=2)
OUTREACH, SUPPORT = uuid.UUID(int=10), uuid.UUID(int=11)
D = Decimal


def run(cid: str, ended_at: datetime = T, *, client=ACME, workflow=OUTREACH, subject=None):
    return AcceptedRun(cid, workflow, client, subject, ended_at)


def event(amount: str, at: datetime, *, eid: str = "e1", client=ACME, **links) -> RevenueEvent:
    return RevenueEvent(eid, client, D(amount), at, **links)


# -- the window edge ----------------------------------------------------------------------------


def test_window_is_open_after_the_end_and_closed_at_thirty_days() -> None:
    assert not covers(T, T)  # revenue at the very instant the run ended: not yet produced
    assert covers(T, T + timedelta(microseconds=1))
    assert covers(T, T + ATTRIBUTION_WINDOW)  # t + 30 days exactly: inside
    assert not covers(T, T + ATTRIBUTION_WINDOW + timedelta(microseconds=1))  # one µs later: out
    assert not covers(T, T - timedelta(days=1))  # revenue before the run finished


def test_edge_events_are_attributed_or_not_exactly_at_the_boundary() -> None:
    inside = event("10.00", T + timedelta(days=30), eid="in")
    outside = event("10.00", T + timedelta(days=30, microseconds=1), eid="out")

    result = attribute([inside, outside], [run("r1")])

    assert result.allocations == [Allocation("in", "r1", D("10.00"))]
    assert result.unattributed == [outside]


# -- the even split ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "n", "expected"),
    [
        # 10000 cents / 3 = 3333 r 1: the first share takes the remaining cent.
        ("100.00", 3, ["33.34", "33.33", "33.33"]),
        # 2 cents / 3 = 0 r 2: two shares of one cent, one of nothing.
        ("0.02", 3, ["0.01", "0.01", "0.00"]),
        # -10000 cents: the same split with the sign of the amount (a refund).
        ("-100.00", 3, ["-33.34", "-33.33", "-33.33"]),
        # 1000 cents / 4 = 250 r 0: no remainder.
        ("10.00", 4, ["2.50", "2.50", "2.50", "2.50"]),
        ("7.00", 1, ["7.00"]),
        ("0", 2, ["0.00", "0.00"]),
        # Trailing zeros of a NUMERIC(20, 10) value are fine: 1250 cents / 2 = 625.
        ("12.5000000000", 2, ["6.25", "6.25"]),
    ],
)
def test_split_evenly_in_cents_remainder_to_the_first(amount, n, expected) -> None:
    assert split_evenly(D(amount), n) == [D(x) for x in expected]


@pytest.mark.parametrize("amount", ["0.001", "NaN", "Infinity"])
def test_split_refuses_sub_cent_and_non_finite_amounts(amount) -> None:
    with pytest.raises(ValueError):
        split_evenly(D(amount), 2)


@pytest.mark.parametrize("n", [0, -1, True])
def test_split_refuses_no_claimants(n) -> None:
    with pytest.raises(ValueError):
        split_evenly(D("1.00"), n)


def test_remainder_goes_in_ended_at_then_correlation_id_order() -> None:
    # r-b and r-a end together; r-c ended first. Order: r-c (earliest), then r-a, r-b by id.
    runs = [run("r-b", T), run("r-a", T), run("r-c", T - timedelta(hours=1))]

    result = attribute([event("100.00", T + timedelta(days=1))], runs)

    assert [(a.correlation_id, a.amount) for a in result.allocations] == [
        ("r-c", D("33.34")),
        ("r-a", D("33.33")),
        ("r-b", D("33.33")),
    ]


# -- links ------------------------------------------------------------------------------------


def test_unlinked_event_is_split_over_the_clients_covering_runs_of_every_workflow() -> None:
    runs = [
        run("out-1"),
        run("sup-1", workflow=SUPPORT),
        run("other-client", client=GLOBEX),
        run("no-client", client=None),
        run("too-old", T - timedelta(days=31)),
    ]

    result = attribute([event("90.00", T + timedelta(hours=1))], runs)

    # 9000 cents over out-1 and sup-1: 4500 each.
    assert {a.correlation_id: a.amount for a in result.allocations} == {
        "out-1": D("45.00"),
        "sup-1": D("45.00"),
    }


def test_workflow_link_keeps_the_split_inside_that_workflow() -> None:
    runs = [run("out-1"), run("out-2"), run("sup-1", workflow=SUPPORT)]
    linked = event("10.00", T + timedelta(days=2), workflow_id=OUTREACH)

    assert [r.correlation_id for r in claimants(linked, runs)] == ["out-1", "out-2"]


def test_subject_link_goes_to_the_runs_of_that_subject_only() -> None:
    runs = [run("a", subject="lead-7"), run("b", subject="lead-7"), run("c", subject="lead-8")]
    linked = event("1.00", T + timedelta(days=2), subject="lead-7")

    result = attribute([linked], runs)

    # 100 cents / 2 = 50 each.
    assert [(a.correlation_id, a.amount) for a in result.allocations] == [
        ("a", D("0.50")),
        ("b", D("0.50")),
    ]


def test_correlation_link_goes_to_that_run_and_needs_its_window_and_client() -> None:
    runs = [run("r1"), run("r2")]
    named = event("25.00", T + timedelta(days=3), eid="named", correlation_id="r2")
    late = event("25.00", T + timedelta(days=31), eid="late", correlation_id="r2")
    wrong_client = event("5.00", T + timedelta(days=1), eid="x", client=GLOBEX, correlation_id="r1")
    unknown = event("5.00", T + timedelta(days=1), eid="y", correlation_id="nope")

    result = attribute([named, late, wrong_client, unknown], runs)

    assert result.allocations == [Allocation("named", "r2", D("25.00"))]
    assert [e.event_id for e in result.unattributed] == ["late", "x", "y"]


def test_every_named_link_must_hold() -> None:
    runs = [run("r1", subject="lead-1"), run("r2", subject="lead-1", workflow=SUPPORT)]
    both = event("3.00", T + timedelta(days=1), subject="lead-1", workflow_id=SUPPORT)

    assert [r.correlation_id for r in claimants(both, runs)] == ["r2"]


def test_nothing_to_claim_leaves_the_event_unattributed() -> None:
    lonely = event("12.34", T)

    result = attribute([lonely], [])

    assert result.allocations == []
    assert result.unattributed_total == D("12.34")


def test_sub_cent_amounts_are_refused_even_when_unclaimed() -> None:
    with pytest.raises(ValueError, match="whole cents"):
        attribute([event("1.005", T)], [])


def test_duplicate_runs_are_refused() -> None:
    with pytest.raises(ValueError, match="given twice"):
        attribute([], [run("r1"), run("r1")])


# -- properties -------------------------------------------------------------------------------

cents = st.integers(min_value=-(10**12), max_value=10**12).map(lambda c: D(c).scaleb(-2))
offsets = st.integers(min_value=-5 * 24 * 60, max_value=40 * 24 * 60).map(
    lambda m: T + timedelta(minutes=m)
)
runs_strategy = st.lists(
    st.builds(
        AcceptedRun,
        correlation_id=st.text("abcdef", min_size=1, max_size=4),
        workflow_id=st.sampled_from([OUTREACH, SUPPORT]),
        client_id=st.sampled_from([ACME, GLOBEX, None]),
        subject=st.sampled_from([None, "s1", "s2"]),
        ended_at=offsets,
    ),
    max_size=25,
    unique_by=lambda r: r.correlation_id,
)
events_strategy = st.lists(
    st.builds(
        RevenueEvent,
        event_id=st.text("0123456789", min_size=1, max_size=4),
        client_id=st.sampled_from([ACME, GLOBEX]),
        amount=cents,
        occurred_at=offsets,
        workflow_id=st.sampled_from([None, OUTREACH, SUPPORT]),
        subject=st.sampled_from([None, "s1", "s2"]),
        correlation_id=st.sampled_from([None, "a", "b", "abc"]),
    ),
    max_size=25,
    unique_by=lambda e: e.event_id,
)


@settings(max_examples=300, deadline=None)
@given(amount=cents, n=st.integers(min_value=1, max_value=500))
def test_split_conserves_the_amount_and_shares_differ_by_at_most_a_cent(amount, n) -> None:
    shares = split_evenly(amount, n)

    assert len(shares) == n
    assert sum(shares, D(0)) == amount
    assert max(shares) - min(shares) <= D("0.01")
    assert all(s == s.quantize(D("0.01")) for s in shares)
    assert shares == sorted(shares, key=abs, reverse=True)  # the remainder went to the first


@settings(max_examples=300, deadline=None)
@given(events=events_strategy, runs=runs_strategy)
def test_attribution_conserves_money_to_the_cent(events, runs) -> None:
    result = attribute(events, runs)

    recorded = sum((e.amount for e in events), D(0))
    assert result.attributed_total + result.unattributed_total == recorded
    per_event: dict[str, D] = {}
    for a in result.allocations:
        per_event[a.event_id] = per_event.get(a.event_id, D(0)) + a.amount
    by_id = {e.event_id: e for e in events}
    assert all(per_event[eid] == by_id[eid].amount for eid in per_event)
    assert not set(per_event) & {e.event_id for e in result.unattributed}


@settings(max_examples=200, deadline=None)
@given(events=events_strategy, runs=runs_strategy, data=st.data())
def test_attribution_matches_the_plain_rule_and_ignores_input_order(events, runs, data) -> None:
    result = attribute(events, runs)
    shuffled = attribute(data.draw(st.permutations(events)), data.draw(st.permutations(runs)))

    assert shuffled == result
    expected = []
    for e in sorted(events, key=lambda e: e.event_id):
        found = claimants(e, runs)  # the plain filter, without the bisection index
        if found:
            shares = split_evenly(e.amount, len(found))
            pairs = zip(found, shares, strict=True)
            expected += [Allocation(e.event_id, r.correlation_id, s) for r, s in pairs]
    assert result.allocations == expected


@settings(max_examples=200, deadline=None)
@given(events=events_strategy, runs=runs_strategy)
def test_grouped_attribution_sums_the_same_split_per_group(events, runs) -> None:
    by_run = {r.correlation_id: r for r in runs}
    expected: dict[str, dict[object, tuple[D, int]]] = {}
    for a in attribute(events, runs).allocations:
        key = (by_run[a.correlation_id].workflow_id, by_run[a.correlation_id].subject)
        amount, count = expected.setdefault(a.event_id, {}).get(key, (D(0), 0))
        expected[a.event_id][key] = (amount + a.amount, count + 1)

    grouped = attribute_grouped(events, runs, lambda r: (r.workflow_id, r.subject))

    assert grouped == expected


def test_grouped_attribution_example() -> None:
    # 10000 cents over 3 runs: 3334, 3333, 3333; r1 and r3 share a group: 3334 + 3333 = 6667.
    runs = [run("r1", T), run("r2", T + timedelta(hours=1)), run("r3", T + timedelta(hours=2))]
    groups = {"r1": "day-0", "r2": "day-1", "r3": "day-0"}

    grouped = attribute_grouped(
        [event("100.00", T + timedelta(days=1))], runs, lambda r: groups[r.correlation_id]
    )

    assert grouped == {"e1": {"day-0": (D("66.67"), 2), "day-1": (D("33.33"), 1)}}
