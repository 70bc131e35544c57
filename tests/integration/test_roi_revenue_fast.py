"""The fast path for new revenue (`app.services.roi.revenue_batch`) against the general drain: two
tenants with the same data get the same new revenue events; one drains them as ingest would
(fast path where it applies), the other with the fast path switched off. Their windows — figures,
status, revision, computed_at, recheck time, fingerprint — and allocations must be identical,
and a full rebuild must then find nothing to change."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.db.sessions import raw_connection
from app.services.roi import recompute as roi_recompute
from app.services.roi.dirty import mark_ingest
from app.services.roi.rebuild import rebuild_tenant
from app.services.roi.recompute import drain
from app.services.roi.revenue_batch import revenue_batch
from tests.integration.properties import database_settings
from tests.integration.reads_factories import T0, client, insert, run, workflow
from tests.integration.roi_helpers import STORED_ALLOCATIONS, STORED_WINDOWS, fetch, revenue
from tests.integration.test_roi_reference import (
    add_revenue,
    assert_matches_reference,
    revenue_st,
    runs_st,
    stored_world,
    usage_st,
)

SETTINGS = database_settings(30)


async def rows(sessions, t, world) -> tuple[list[Any], list[Any]]:
    """Windows and allocations with workflow and client ids replaced by their index."""
    ids: dict[Any, Any] = {w.workflow_id: f"wf{i}" for i, w in enumerate(world.wfs)}
    ids |= {c.client_id: f"client{i}" for i, c in enumerate(world.clients)}

    def plain(row: dict) -> tuple:
        return tuple(ids.get(v, v) for v in row.values())

    windows = sorted((plain(r) for r in await fetch(sessions, t, STORED_WINDOWS, t)), key=repr)
    allocations = sorted(
        (plain(r) for r in await fetch(sessions, t, STORED_ALLOCATIONS, t)), key=repr
    )
    return windows, allocations


async def pending(sessions, t) -> int:
    found = await fetch(sessions, t, "SELECT count(*) AS n FROM roi_dirty WHERE tenant_id = $1", t)
    return int(found[0]["n"])


async def assert_same(sessions, fast, slow) -> None:
    """The two tenants' rows are equal; on failure, only the rows that differ are shown."""
    (fast_windows, fast_shares), (slow_windows, slow_shares) = [
        await rows(sessions, t, world) for t, world in (fast, slow)
    ]
    only_fast = [w for w in fast_windows if w not in slow_windows]
    only_slow = [w for w in slow_windows if w not in fast_windows]
    assert only_fast == only_slow
    assert fast_shares == slow_shares


@SETTINGS
@given(
    run_specs=runs_st,
    usage_specs=usage_st,
    revenue_specs=revenue_st,
    new_specs=revenue_st,
    now_days=st.sampled_from([2, 10, 60]),
    later_hours=st.sampled_from([0, 0, 30, 24 * 40]),
    batch=st.sampled_from([1, 200]),
)
async def test_new_revenue_fast_path_equals_the_general_drain(
    sessions,
    make_tenant,
    monkeypatch,
    run_specs,
    usage_specs,
    revenue_specs,
    new_specs,
    now_days,
    later_hours,
    batch,
):
    now = T0 + timedelta(days=now_days)
    later = now + timedelta(hours=later_hours)  # some windows may be due for a recheck by then
    tenants = []
    for _ in range(2):
        t, world = await stored_world(
            make_tenant, sessions, run_specs, usage_specs, revenue_specs, True
        )
        await rebuild_tenant(sessions=sessions, tenant_id=t, now=now)
        new = [add_revenue(t, world, spec) for spec in new_specs]
        await insert(sessions, t, *new)
        async with sessions(t) as session:
            await mark_ingest(await raw_connection(session), t, revenue=[r.event_id for r in new])
        tenants.append((t, world))

    (fast_t, fast_world), (slow_t, slow_world) = tenants
    await drain(sessions=sessions, tenant_id=fast_t, now=later, batch_size=batch)
    with monkeypatch.context() as patch:

        async def general_only(*args: Any) -> None:
            return None

        patch.setattr(roi_recompute, "revenue_batch", general_only)
        await drain(sessions=sessions, tenant_id=slow_t, now=later, batch_size=batch)

    assert await pending(sessions, fast_t) == 0
    if batch > 1:
        # One batch each (a revenue batch takes up to ten times `batch_size` markers: with
        # batch_size 1 the general path writes a FINAL window once per batch, so its revision
        # counts differ by design), the rows are identical.
        await assert_same(sessions, (fast_t, fast_world), (slow_t, slow_world))
    # Then the clock's own changes (windows turning FINAL, holds ending), and the reference.
    for t in (fast_t, slow_t):
        await drain(sessions=sessions, tenant_id=t, now=later, include_due=True)
    if batch > 1:
        await assert_same(sessions, (fast_t, fast_world), (slow_t, slow_world))
    await assert_matches_reference(sessions, fast_t, fast_world, later)
    before = await rows(sessions, fast_t, fast_world)
    report = await rebuild_tenant(sessions=sessions, tenant_id=fast_t, now=later)
    assert (report.changed, report.allocations) == (0, 0)
    assert await rows(sessions, fast_t, fast_world) == before


@pytest.mark.parametrize("final", [True, False])
async def test_new_revenue_on_a_window_counts_a_revision_only_when_final(
    sessions, make_tenant, monkeypatch, final
):
    """Hand-computed: one accepted run of Acme ends at T0 + 1 h; its window holds $10.00. A new
    unlinked $2.50 of Acme at T0 + 3 h goes to it whole: $12.50, `revision + 1` only when the
    window is FINAL (now 40 days on) — not while it is OPEN (now 2 days on) — and computed_at
    moves to the recompute's `now`; the fast path (one batch, no marker left) did it."""
    t, world = await stored_world(
        make_tenant,
        sessions,
        [(0, 0, 0, "ACCEPTED", 1, None)],
        [],
        [(0, 1_000, 2 * 60, "none", 0)],
        False,
    )
    now = T0 + timedelta(days=40 if final else 2)
    await rebuild_tenant(sessions=sessions, tenant_id=t, now=now - timedelta(minutes=1))
    new = add_revenue(t, world, (0, 250, 3 * 60, "none", 0))
    await insert(sessions, t, new)
    async with sessions(t) as session:
        await mark_ingest(await raw_connection(session), t, revenue=[new.event_id])
    taken: list[Any] = []

    async def spy(*args: Any) -> Any:
        taken.append(await revenue_batch(*args))
        return taken[-1]

    monkeypatch.setattr(roi_recompute, "revenue_batch", spy)
    report = await drain(sessions=sessions, tenant_id=t, now=now)
    assert taken == [(1, 1, 0)]  # the fast path: 1 window, 1 written, none cascaded
    assert (len(report.batches), report.markers, report.windows, report.changed) == (1, 1, 1, 1)
    (window,) = await fetch(
        sessions, t, "SELECT status, attributed_revenue, revision, computed_at FROM roi_windows"
    )
    assert window["attributed_revenue"] == Decimal("12.50")
    assert window["status"] == ("FINAL" if final else "OPEN")
    assert window["revision"] == (1 if final else 0)
    assert window["computed_at"] == now
    (share,) = await fetch(sessions, t, "SELECT amount, runs FROM revenue_allocations "
                           "WHERE event_id = $1", new.event_id)  # fmt: skip
    assert (share["amount"], share["runs"]) == (Decimal("2.50"), 1)


@pytest.mark.parametrize("fresh_first", [True, False])
async def test_a_cascaded_window_whose_hold_ended_keeps_its_recheck_until_its_claimants_are_seen(
    sessions, make_tenant, fresh_first
):
    """Hand-computed (a shrunk failure of the property above). Acme's run A of "outreach" (no
    hold) ends at T0 + 1 h; its run B of "support" (24-hour hold) ends at T0 + 2 h, so it is
    counted ACCEPTED from T0 + 26 h. Unlinked revenue: $0.03 at T0 + 10 h, known at T0 + 20 h
    (A alone claims it); $0.01 at T0 + 12 h, new, drained at T0 + 30 h one marker per batch. Then
    both runs claim both events: $0.03 is 0.02 (A, earlier end) + 0.01 (B), $0.01 is 0.01 (A) +
    0.00 (B); A's window $0.03, B's $0.01 — whichever window's marker comes first (by workflow id).
    When "outreach" came first, the fast path recomputed B's window as a cascade (its recheck
    time had passed), moved its recheck time on without looking at its claimants, and B's own
    marker then took the fast path as if the window were fresh: $0.03 stayed with A, B's window
    showed $0.00, and a rebuild changed it."""
    t = (await make_tenant()).tenant_id
    outreach, support = workflow(t, "outreach"), workflow(t, "support", hold_hours=24)
    low, high = sorted([uuid.uuid4(), uuid.uuid4()])
    outreach.workflow_id, support.workflow_id = (low, high) if fresh_first else (high, low)
    acme = client(t)
    ran = {"started_at": T0, "status": "ACCEPTED", "client_id": acme.client_id}
    a = run(t, outreach, "a", status_at=T0 + timedelta(hours=1), **ran)
    b = run(t, support, "b", status_at=T0 + timedelta(hours=2), **ran)
    known = revenue(t, acme, "0.03", T0 + timedelta(hours=10), event_id="e-known")
    await insert(sessions, t, outreach, support, acme, a, b, known)
    await rebuild_tenant(sessions=sessions, tenant_id=t, now=T0 + timedelta(hours=20))
    new = revenue(t, acme, "0.01", T0 + timedelta(hours=12), event_id="e-new")
    await insert(sessions, t, new)
    async with sessions(t) as session:
        await mark_ingest(await raw_connection(session), t, revenue=[new.event_id])

    later = T0 + timedelta(hours=30)
    await drain(sessions=sessions, tenant_id=t, now=later, batch_size=1)

    assert await pending(sessions, t) == 0
    windows = await fetch(
        sessions, t, "SELECT workflow_id, attributed_revenue, successes, recheck_at "
        "FROM roi_windows ORDER BY attributed_revenue DESC",
    )  # fmt: skip
    window_end = T0 + timedelta(days=31)  # the March 1 cohort's window closes on April 1
    assert [tuple(w.values()) for w in windows] == [
        (outreach.workflow_id, Decimal("0.03"), 1, window_end),
        (support.workflow_id, Decimal("0.01"), 1, window_end),
    ]
    shares = await fetch(
        sessions, t, "SELECT event_id, workflow_id, amount FROM revenue_allocations "
        "ORDER BY event_id, amount DESC",
    )  # fmt: skip
    assert [tuple(s.values()) for s in shares] == [
        ("e-known", outreach.workflow_id, Decimal("0.02")),
        ("e-known", support.workflow_id, Decimal("0.01")),
        ("e-new", outreach.workflow_id, Decimal("0.01")),
        ("e-new", support.workflow_id, Decimal("0.00")),
    ]
    report = await rebuild_tenant(sessions=sessions, tenant_id=t, now=later)
    assert (report.changed, report.allocations) == (0, 0)
