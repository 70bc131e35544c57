"""Ingest marks the ROI windows of a batch's usage from the batch itself (`usage_ref_pairs`:
its correlation ids, workflows and days, one run lookup per correlation id) — the same pairs as
reading every stored event back by id (`usage_pairs`), for usage of a stored run, usage before
its run, workflow-level usage without a correlation id, and usage near UTC midnight."""

from __future__ import annotations

from datetime import UTC, timedelta

from sqlalchemy import text

from app.db.sessions import raw_connection
from app.services.roi.dirty import usage_pairs, usage_ref_pairs
from tests.integration.test_ingest_events import post
from tests.integration.test_rollups import START, run, setup, usage

DAY = 24 * 60


async def test_batch_refs_mark_the_same_windows_as_the_stored_events(
    make_tenant, sessions, http
) -> None:
    # Given runs on two days and usage of every kind, some of it before its run exists
    t, workflow_id, key = await setup(make_tenant, sessions)
    assert (await post(http, key, [run("a", 10), run("b", DAY + 5)])).status_code == 200
    batch = [
        usage("a1", "a", "0.5", 2 * DAY + 30),  # a's day, whenever it occurred
        usage("b1", "b", minutes=DAY + 6),
        usage("early", "later", "1.5", DAY - 1),  # no run yet: the day it occurred
        usage("wl", None, "0.25", 3 * DAY - 1),  # workflow-level, 23:59 UTC
    ]
    assert (await post(http, key, batch)).status_code == 200

    async with sessions(t) as session:
        conn = await raw_connection(session)
        rows = await conn.fetch(
            "SELECT event_id, correlation_id, workflow_id, occurred_at FROM usage_events"
        )
        refs = [
            (r["correlation_id"], r["workflow_id"], r["occurred_at"].astimezone(UTC).date())
            for r in rows
        ]
        # When both lookups run
        by_id = await usage_pairs(conn, t, [r["event_id"] for r in rows])
        by_ref = await usage_ref_pairs(conn, t, refs)
        marked = (await session.execute(text("SELECT count(*) FROM roi_dirty"))).scalar_one()

    # Then they agree, pair for pair, and ingest marked windows
    day = START.date()
    assert (
        sorted(by_ref)
        == sorted(by_id)
        == [
            (workflow_id, day),
            (workflow_id, day + timedelta(days=1)),
            (workflow_id, day + timedelta(days=2)),
        ]
    )
    assert marked >= 1
