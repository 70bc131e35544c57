"""The one ROI window upsert (`app.services.roi.rules.upsert_windows`), which both the batched
drain and the full rebuild write with: a NULL claimant fingerprint keeps the stored one, an
unchanged window is not written, a FINAL window whose figures change gets a new revision."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.db.sessions import raw_connection
from app.domain.roi import WindowStatus, WindowTotals
from app.services.roi.rebuild import WINDOWS
from app.services.roi.rules import upsert_windows
from app.services.roi.windows import UPSERT, ComputedWindow, store_windows
from tests.integration.reads_factories import T0, client, insert, workflow
from tests.integration.roi_helpers import LATER, window_rows

D = Decimal


def window(wf, acme, *, cost: str, claimants: str | None) -> ComputedWindow:
    return ComputedWindow(
        workflow_id=wf.workflow_id,
        cohort_day=T0.date(),
        client_id=acme.client_id,
        status=WindowStatus.FINAL,
        totals=WindowTotals(
            runs=2,
            successes=1,
            cost=D(cost),
            attributed_revenue=D("0"),
            baseline_revenue=D("0"),
            labor_cost=None,
        ),
        recheck_at=None,
        claimants=claimants,
    )


async def store(sessions, tenant_id, computed, now) -> int:
    async with sessions(tenant_id) as session:
        conn = await raw_connection(session)
        return await store_windows(conn, tenant_id, [computed], now)


async def test_a_window_stored_without_a_fingerprint_keeps_the_stored_one(sessions, make_tenant):
    # Given a FINAL window stored with the claimant fingerprint "abc"
    t = (await make_tenant()).tenant_id
    wf, acme = workflow(t), client(t)
    await insert(sessions, t, wf, acme)
    assert await store(sessions, t, window(wf, acme, cost="4.00", claimants="abc"), LATER) == 1

    # When the same figures are stored again without a fingerprint (a cascaded window)
    later = LATER + timedelta(hours=1)
    written = await store(sessions, t, window(wf, acme, cost="4.00", claimants=None), later)

    # Then nothing is written: not the fingerprint, not computed_at
    assert written == 0
    [row] = await window_rows(sessions, t)
    assert (row["claimants"], row["computed_at"], row["revision"]) == ("abc", LATER, 0)

    # When its figures change, still without a fingerprint
    written = await store(sessions, t, window(wf, acme, cost="5.00", claimants=None), later)

    # Then the figures move, the FINAL window gets a new revision, the fingerprint stays
    assert written == 1
    [row] = await window_rows(sessions, t)
    assert (row["cost"], row["claimants"], row["computed_at"], row["revision"]) == (
        D("5.00"),
        "abc",
        later,
        1,
    )

    # When a fingerprint is given, it replaces the stored one (figures unchanged: no revision)
    written = await store(sessions, t, window(wf, acme, cost="5.00", claimants="def"), later)
    assert written == 1
    [row] = await window_rows(sessions, t)
    assert (row["claimants"], row["revision"]) == ("def", 1)


def test_the_drain_and_the_rebuild_write_windows_with_the_same_upsert():
    # The rule's text appears in both writers (no second copy that could drift again).
    rule = upsert_windows("").split("ON CONFLICT", 1)[1].strip()
    assert rule in UPSERT
    assert rule in WINDOWS
