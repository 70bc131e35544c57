"""The daily rollup `cohort_days` (migration 0009): its buckets sum to their recomputation from
raw runs and usage after every write path (ingest, labels moving runs between statuses, usage
before its run, late usage, repricing, deletes), and `cohort_figures` read through it (whole
UTC days from the rollup, partial days and held runs live) equals the all-live statement for
ranges with partial days, client scopes and runs inside the acceptance hold; a hypothesis
property over random raw writes checks both."""

from __future__ import annotations

import asyncio
import importlib
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from app.db.citus import workers_from_env
from app.services.costs.cohorts import CohortQuestion, cohort_figures
from app.services.costs.scope import CostScope, TimeRange, split_whole_days
from app.services.tenancy.workflows import upsert_workflow
from tests.integration.properties import database_settings
from tests.integration.test_ingest_events import post
from tests.integration.test_rollups import label, run, setup, usage

START = datetime(2026, 3, 1, tzinfo=UTC)

# Buckets (summed over their append-only rows) that differ from the recomputation, both sides.
DIFF = """
WITH stored AS (
    SELECT tenant_id, workflow_id, day, client_id, status, all_clients,
           sum(runs) AS runs, sum(cost) AS cost
    FROM cohort_days GROUP BY 1, 2, 3, 4, 5, 6 HAVING sum(runs) <> 0 OR sum(cost) <> 0),
recomputed AS (
    SELECT tenant_id, workflow_id, day, client_id, status, all_clients, runs::numeric, cost
    FROM cohort_days_recomputed())
(SELECT 'stored' AS side, * FROM stored EXCEPT SELECT 'stored', * FROM recomputed)
UNION ALL
(SELECT 'recomputed', * FROM recomputed EXCEPT SELECT 'recomputed', * FROM stored)
"""


async def differences(sessions, tenant_id: uuid.UUID) -> list[dict]:
    async with sessions(tenant_id) as session:
        return [dict(r) for r in (await session.execute(text(DIFF))).mappings()]


async def same_figures(sessions, t, workflow_ids, ranges, scopes, nows) -> int:
    """The rollup path equals the all-live statement for every (range, scope, now); returns how
    many comparisons went through the rollup path (had a whole day)."""
    compared = 0
    async with sessions(t) as session:
        for time_range in ranges:
            for scope in scopes:
                for now in nows:
                    both = [
                        await cohort_figures(
                            session=session,
                            question=CohortQuestion(t, workflow_ids, time_range, scope, now),
                            use_rollup=use_rollup,
                        )
                        for use_rollup in (True, False)
                    ]
                    assert both[0] == both[1], (time_range, scope, now)
                    compared += split_whole_days(time_range)[0] is not None
    return compared


def test_split_whole_days_by_hand() -> None:
    at = datetime(2026, 3, 1, 6, tzinfo=UTC)
    days, pieces = split_whole_days(TimeRange(at, at + timedelta(days=2)))
    midnight = datetime(2026, 3, 2, tzinfo=UTC)
    assert days == TimeRange(midnight, midnight + timedelta(days=1))
    assert pieces == [
        TimeRange(at, midnight),
        TimeRange(midnight + timedelta(days=1), at + timedelta(days=2)),
    ]
    # Midnight to midnight: no pieces; within one day: no whole day.
    assert split_whole_days(TimeRange(midnight, midnight + timedelta(days=3))) == (
        TimeRange(midnight, midnight + timedelta(days=3)),
        [],
    )
    short = TimeRange(at, at + timedelta(hours=20))
    assert split_whole_days(short) == (None, [short])
    # Another offset: the UTC days count.
    plus2 = datetime(2026, 3, 2, 1, tzinfo=timezone(timedelta(hours=2)))  # 23:00 UTC
    days, pieces = split_whole_days(TimeRange(plus2, plus2 + timedelta(days=1, hours=1)))
    assert days == TimeRange(midnight, midnight + timedelta(days=1))
    assert pieces == [TimeRange(midnight - timedelta(hours=1), midnight)]


async def test_daily_rollup_equals_live_after_every_write_path(make_tenant, sessions, http):
    t, workflow_id, key = await setup(make_tenant, sessions)
    async with sessions(t) as session:
        held = await upsert_workflow(
            session=session, tenant_id=t, key="held", name="Held", acceptance_hold_hours=48
        )

    def held_run(cid: str, minutes: int) -> dict:
        return {**run(cid, minutes), "workflowKey": "held"}

    day = 24 * 60
    batch = [
        run("a", 30),
        run("b", day + 5),
        run("c", 2 * day + 600),
        held_run("h1", 10),
        held_run("h2", day + 10),
        usage("a1", "a", "0.1000000001", 40),
        usage("b1", "b", "0.25", day + 6),
        usage("early1", "late", "1.5", 3),  # usage before its run
        usage("wl1", None, "0.75", 50),
        {**usage("h11", "h1", "2", 11), "workflowKey": "held"},
        {**usage("h21", "h2", "3", day + 11), "workflowKey": "held"},
    ]
    assert (await post(http, key, batch)).status_code == 200
    assert await differences(sessions, t) == []
    # The late run arrives on day 3; labels move runs between statuses; late usage for a.
    assert (await post(http, key, [run("late", 3 * day + 1)])).status_code == 200
    labels = [
        label("a", "REJECTED", 100),
        label("a", "ACCEPTED", 200),
        label("b", "ABANDONED", day + 100),
        label("late", "REJECTED", 3 * day + 100),
        label("h1", "ACCEPTED", 2 * day),
        label("h2", "ACCEPTED", 3 * day),
    ]
    assert (await post(http, key, labels)).status_code == 200
    assert (await post(http, key, [usage("a2", "a", "7", 5 * day)])).status_code == 200
    assert await differences(sessions, t) == []

    workflows = [workflow_id, held.workflow_id]
    ranges = [
        TimeRange(START, START + timedelta(days=5)),
        TimeRange(START + timedelta(hours=1), START + timedelta(days=4, hours=3)),
        TimeRange(START - timedelta(days=1, hours=2), START + timedelta(days=1, minutes=8)),
        TimeRange(START + timedelta(minutes=20), START + timedelta(hours=23)),
        # From 20:00 to 21:00 three days later: the last day read whole, 21:00–24:00 taken back.
        TimeRange(START - timedelta(hours=4), START + timedelta(days=2, hours=21)),
    ]
    # Before, during and after the holds of h1 (accepted day 2) and h2 (accepted day 3).
    nows = [START + timedelta(days=d, hours=1) for d in (3, 4, 5, 6)]
    compared = await same_figures(sessions, t, workflows, ranges, [CostScope()], nows)
    assert compared == 16
    async with sessions(t) as session:
        figures = await cohort_figures(
            session=session,
            question=CohortQuestion(
                t, workflows, ranges[0], CostScope(), START + timedelta(days=4, hours=1)
            ),
        )
    # By hand: h1 accepted day 2 (hold ended day 4), h2 accepted day 3 (still held).
    assert (figures[held.workflow_id].accepted, figures[held.workflow_id].pending) == (1, 1)
    assert figures[held.workflow_id].run_cost == Decimal(5)
    # a: 0.1000000001 + 7, b: 0.25, c: 0, late: 1.5 (started day 3, usage before it).
    assert figures[workflow_id].run_cost == Decimal("8.8500000001")

    # Deleting usage and runs, compaction and rebuild keep the buckets exact.
    async with sessions(t) as session:
        await session.execute(text("DELETE FROM usage_events WHERE event_id = 'b1'"))
        await session.execute(text("DELETE FROM runs WHERE correlation_id = 'c'"))
        await session.execute(text("UPDATE usage_events SET cost = cost * 2 WHERE event_id = 'a2'"))
    assert await differences(sessions, t) == []
    async with sessions(t) as session:
        rows_before = (await session.execute(text("SELECT count(*) FROM cohort_days"))).scalar()
        await session.execute(text("SELECT compact_cohort_days()"))
        rows_after = (await session.execute(text("SELECT count(*) FROM cohort_days"))).scalar()
    assert rows_after < rows_before
    assert await differences(sessions, t) == []
    async with sessions(t) as session:
        await session.execute(text("UPDATE cohort_days SET cost = cost + 1"))
    assert await differences(sessions, t) != []
    async with sessions(t) as session:
        await session.execute(text("SELECT rebuild_cohort_days()"))
    assert await differences(sessions, t) == []
    await same_figures(sessions, t, workflows, ranges, [CostScope()], nows)


def migration(name: str) -> Any:
    """A revision module of migrations/versions (their file names start with digits)."""
    return importlib.import_module(f"migrations.versions.{name}")


# Trigger type bits of pg_trigger.tgtype (PostgreSQL's pg_trigger.h).
ROW, BEFORE, EVENTS = 1, 2, {"INSERT": 4, "DELETE": 8, "UPDATE": 16}

FIRING_ORDER = """
SELECT c.relname AS tab, t.tgname AS name, t.tgtype AS type
FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND c.relname = ANY(:tables)
ORDER BY c.relname, t.tgname COLLATE "C"
"""


async def test_each_daily_trigger_fires_after_the_run_costs_trigger_of_its_event(
    owner_engine,
) -> None:
    """The 0009 triggers read `run_costs` rows the 0007 trigger of the same statement has
    locked (migration 0009's docstring): PostgreSQL fires the AFTER STATEMENT triggers of one
    event on one table in name order (byte order), so each 0009 trigger must come after the 0007
    trigger of its table and event in the migrated database's own catalog."""
    rollups, daily = migration("0007_rollups").TRIGGERS, migration("0009_daily_rollups").TRIGGERS
    tables = sorted({table for _, table, *_ in daily})
    async with owner_engine.connect() as conn:
        rows = (await conn.execute(text(FIRING_ORDER), {"tables": tables})).mappings().all()

    def firing(table: str, event: str) -> list[str]:
        bit = EVENTS[event]
        return [
            r["name"]
            for r in rows
            if r["tab"] == table and r["type"] & bit and not r["type"] & (ROW | BEFORE)
        ]

    pairs = [
        (first[0], then[0], then[1], then[2])
        for then in daily
        for first in rollups
        if (first[1], first[2]) == (then[1], then[2])
    ]
    assert len(pairs) == 5  # runs INSERT/DELETE, usage INSERT/DELETE/UPDATE (0007: no runs UPDATE)
    for first, then, table, event in pairs:
        order = firing(table, event)
        assert first in order and then in order, (table, event, order)
        assert order.index(first) < order.index(then), f"{table} {event}: fires {order}"


# Raw writes: (operation, run index, day offset / status index, amount).
OPS = st.lists(
    st.tuples(
        st.sampled_from(["run", "run_client", "label", "usage", "delete_usage", "delete_run"]),
        st.integers(0, 4),
        st.integers(0, 3),
        st.integers(0, 1_000_000),
    ),
    max_size=14,
)
STATUSES = ["ACCEPTED", "REJECTED", "ACCEPTED", "RUNNING"]


@database_settings(20)
@given(ops=OPS, start_hour=st.integers(0, 23), hours=st.integers(1, 100))
async def test_daily_rollup_property(make_tenant, sessions, property_state, ops, start_hour, hours):
    """Random run arrivals (with and without a client, on several days), status changes,
    usage before and after its run, deletes: the buckets equal their recomputation and the
    rollup path's figures equal the live ones, for a random range, with and without a client
    scope, before and after the acceptance hold."""
    if "tenant" not in property_state:
        t, _, _ = await setup(make_tenant, sessions)
        client = uuid.uuid4()
        async with sessions(t) as session:
            wf = await upsert_workflow(
                session=session, tenant_id=t, key="p", name="P", acceptance_hold_hours=24
            )
            await session.execute(
                text("INSERT INTO clients (tenant_id, client_id, name) VALUES (:t, :c, 'c')"),
                {"t": t, "c": client},
            )
        property_state["tenant"] = (t, wf.workflow_id, client)
    t, workflow_id, client = property_state["tenant"]
    prefix = uuid.uuid4().hex[:8]
    async with sessions(t) as session:
        for n, (op, i, k, amount) in enumerate(ops):
            params = {
                "t": t,
                "w": workflow_id,
                "cid": f"{prefix}-{i}",
                "client": client if op == "run_client" else None,
                "eid": f"{prefix}-e{n}",
                "cost": Decimal(amount) / Decimal(10**7),
                "at": START + timedelta(days=k, hours=(amount % 24), minutes=n),
                "status": STATUSES[k],
            }
            if op in ("run", "run_client"):
                await session.execute(
                    text(
                        "INSERT INTO runs (tenant_id, correlation_id, workflow_id, client_id,"
                        " started_at) VALUES (:t, :cid, :w, :client, :at) ON CONFLICT DO NOTHING"
                    ),
                    params,
                )
            elif op == "label":
                await session.execute(
                    text(
                        "UPDATE runs SET status = :status, status_at = :at"
                        " WHERE tenant_id = :t AND correlation_id = :cid"
                    ),
                    params,
                )
            elif op == "usage":
                await session.execute(
                    text(
                        "INSERT INTO usage_events (tenant_id, event_id, correlation_id,"
                        " workflow_id, kind, occurred_at, cost, cost_source)"
                        " VALUES (:t, :eid, :cid, :w, 'TOOL', :at, :cost, 'reported')"
                    ),
                    params,
                )
            elif op == "delete_usage":
                await session.execute(
                    text("DELETE FROM usage_events WHERE tenant_id = :t AND correlation_id = :cid"),
                    params,
                )
            else:
                await session.execute(
                    text("DELETE FROM runs WHERE tenant_id = :t AND correlation_id = :cid"),
                    params,
                )
    assert await differences(sessions, t) == []
    begin = START + timedelta(hours=start_hour)
    time_range = TimeRange(begin, begin + timedelta(hours=hours))
    nows = [START + timedelta(days=2), START + timedelta(days=10)]
    await same_figures(
        sessions, t, [workflow_id], [time_range], [CostScope(), CostScope(client_id=client)], nows
    )


WAITING = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE :q"
# On Citus the statement waits on the worker that holds the shard (its backend runs the shard's
# rewritten statement there), and the coordinator's backend waits on that worker, not on a lock:
# the cluster-wide lock graph names the coordinator's statement as blocked.
WAITING_CITUS = "SELECT count(*) FROM citus_lock_waits WHERE blocked_statement LIKE :q"
RUN_SQL = (
    "INSERT INTO runs (tenant_id, correlation_id, workflow_id, started_at)"
    " VALUES (:t, :cid, :w, :at)"
)
USAGE_SQL = (
    "INSERT INTO usage_events (tenant_id, event_id, correlation_id, workflow_id, kind,"
    " occurred_at, cost, cost_source) VALUES (:t, :eid, :cid, :w, 'TOOL', :at, :cost, 'reported')"
)
LABEL_SQL = (
    "UPDATE runs SET status = 'REJECTED', status_at = :at"
    " WHERE tenant_id = :t AND correlation_id = :cid"
)


@pytest.mark.parametrize(
    ("existing", "first", "second"),
    [
        (True, USAGE_SQL, LABEL_SQL),  # usage commits first: the label moves its cost too
        (True, LABEL_SQL, USAGE_SQL),  # the label commits first: the usage reads the new status
        (False, USAGE_SQL, RUN_SQL),  # usage before its run, the run inserted meanwhile
        (False, RUN_SQL, USAGE_SQL),  # the run's insert commits first
    ],
)
async def test_concurrent_usage_and_run_writes_keep_buckets_exact(
    make_tenant, sessions, owner_engine, existing, first, second
):
    """Two transactions write the same run: the second statement waits for the first's lock
    (seen in pg_stat_activity — on Citus in `citus_lock_waits`, read as the owner — no sleeps),
    then both commit; the buckets stay exact."""
    t, workflow_id, _ = await setup(make_tenant, sessions)
    cid = uuid.uuid4().hex
    params = {
        "t": t,
        "w": workflow_id,
        "cid": cid,
        "eid": f"{cid}-e",
        "at": START + timedelta(hours=3),
        "cost": Decimal("1.25"),
    }
    if existing:
        async with sessions(t) as session:
            await session.execute(text(RUN_SQL), params)
            await session.execute(text(USAGE_SQL), {**params, "eid": f"{cid}-e0"})

    async def run_second() -> None:
        async with sessions(t) as session:
            await session.execute(text(second), params)

    async with sessions(t) as session:
        await session.execute(text(first), params)
        task = asyncio.create_task(run_second())
        while not task.done():
            if workers_from_env():
                async with owner_engine.connect() as probe:
                    found = await probe.execute(text(WAITING_CITUS), {"q": second[:20] + "%"})
                    waiting = found.scalar()
            else:
                async with sessions(t) as probe:
                    found = await probe.execute(text(WAITING), {"q": second[:20] + "%"})
                    waiting = found.scalar()
            if waiting:
                break
            await asyncio.sleep(0.01)
        assert not task.done()  # the second statement waits for the first transaction
    await task
    assert await differences(sessions, t) == []
    async with sessions(t) as session:
        row = (
            await session.execute(
                text(
                    "SELECT status, sum(runs), sum(cost) FROM cohort_days WHERE all_clients"
                    " GROUP BY status"
                    " HAVING sum(runs) <> 0 OR sum(cost) <> 0"
                )
            )
        ).all()
    status = "REJECTED" if existing else "RUNNING"
    assert row == [(status, 1, Decimal("2.50") if existing else Decimal("1.25"))]
