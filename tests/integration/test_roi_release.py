"""Releasing drained markers (`roi_recompute.RELEASE`): only the markers read, unchanged since,
are deleted — by row address after locking them in key order — and a worker connection that
drains retainer after retainer (past PostgreSQL's switch to generic plans after five
executions of a prepared statement) releases every marker and stores what a rebuild stores."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from app.db.sessions import raw_connection
from app.services.roi.dirty import mark_revenue, mark_runs
from app.services.roi.rebuild import rebuild_tenant
from app.services.roi.recompute import CLAIM, RELEASE, drain
from tests.integration.reads_factories import client, day, insert, run, workflow
from tests.integration.roi_helpers import LATER, fetch, revenue, window_rows

PENDING = "SELECT workflow_id, cohort_day FROM roi_dirty WHERE tenant_id = $1"


async def test_release_keeps_a_marker_marked_again_since_it_was_read(sessions, make_tenant):
    t = (await make_tenant()).tenant_id
    wf = workflow(t)
    await insert(sessions, t, wf, *[run(t, wf, f"r{i}", started_at=day(i)) for i in range(4)])
    async with sessions(t) as session:
        conn = await raw_connection(session)
        await mark_runs(conn, t, [f"r{i}" for i in range(4)])
        markers = await conn.fetch(CLAIM, t, None, None, 10)
        await mark_runs(conn, t, ["r2"])  # a new marked_at: a change since the read
        status = await conn.execute(
            RELEASE,
            t,
            [m["workflow_id"] for m in markers],
            [m["cohort_day"] for m in markers],
            [m["marked_at"] for m in markers],
        )

    assert len(markers) == 4 and status == "DELETE 3"
    assert await fetch(sessions, t, PENDING, t) == [
        {"workflow_id": wf.workflow_id, "cohort_day": day(2).date()}
    ]


async def test_draining_retainer_after_retainer_releases_every_marker(sessions, make_tenant):
    t = (await make_tenant()).tenant_id
    wf, acme = workflow(t), client(t)
    runs = [
        run(t, wf, f"r{i}", started_at=day(i), status="ACCEPTED", client_id=acme.client_id)
        for i in range(12)
    ]
    await insert(sessions, t, wf, acme, *runs)
    await rebuild_tenant(sessions=sessions, tenant_id=t, now=LATER)

    for i in range(8):  # more than the five custom plans of a prepared statement
        event = revenue(t, acme, f"{100 + i}.01", day(13, i), event_id=f"retainer-{i}")
        await insert(sessions, t, event)
        async with sessions(t) as session:
            pairs = await mark_revenue(await raw_connection(session), t, [event.event_id])
        report = await drain(sessions=sessions, tenant_id=t, now=LATER, pairs=pairs)

        assert len(pairs) == 12 and report.markers == 12
        assert await fetch(sessions, t, PENDING, t) == []

    total = sum(Decimal(f"{100 + i}.01") for i in range(8))
    windows = await window_rows(sessions, t)
    assert sum(w["attributed_revenue"] for w in windows) == total
    report = await rebuild_tenant(sessions=sessions, tenant_id=t, now=LATER + timedelta(hours=1))
    assert (report.changed, report.allocations) == (0, 0)
    assert await window_rows(sessions, t) == windows
