"""On a Citus cluster, `ledger_analyze_grown()` (migration 0024) sees the growth where it
happens — on the workers' shards — and analyses them: rows ingested over HTTP into one tenant
move that tenant's `runs` shard's `n_mod_since_analyze` on its worker; the function, called as
the application role, leaves it alone below its threshold and ANALYZEs every shard of `runs`
once the summed changes reach it (`last_analyze` / `analyze_count` move on both workers). And
the ingest path's own call, inside a batch's transaction, analyses without breaking the batch's
writes (an ANALYZE issued on the coordinator in that transaction would make Citus refuse them).

The workers' autovacuum is switched off for `runs` during these tests (and reset after): it
would otherwise analyse the grown shard on its own schedule, and the counters would move for
another reason. Skipped without a cluster, unless LEDGER_REQUIRE_CITUS=1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

import app.services.ingest.analyse as analyse
from app.db.urls import asyncpg_dsn
from tests.integration.citus_cluster import require_cluster
from tests.integration.test_ingest_events import post
from tests.integration.test_rollups import run, setup, usage

require_cluster()

RUNS_PER_BATCH = 600
# Every shard of a table with its node, and the shard holding one tenant's rows.
SHARDS = """
SELECT shard_name(s.logicalrelid, s.shardid) AS shard, p.nodename, p.nodeport,
       s.shardid = get_shard_id_for_distribution_column(s.logicalrelid, CAST(:t AS uuid))
           AS tenants_shard
FROM pg_dist_shard AS s JOIN pg_dist_shard_placement AS p USING (shardid)
WHERE s.logicalrelid = CAST(:table AS regclass)
ORDER BY s.shardid
"""
COUNTERS = """
SELECT s.n_mod_since_analyze, s.analyze_count, s.last_analyze, c.reltuples
FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
WHERE s.relid = to_regclass($1)
"""


@pytest.fixture
async def no_autovacuum_on_runs(owner_engine) -> AsyncIterator[None]:
    async with owner_engine.begin() as conn:
        await conn.execute(text("ALTER TABLE runs SET (autovacuum_enabled = off)"))
    try:
        yield
    finally:
        async with owner_engine.begin() as conn:
            await conn.execute(text("ALTER TABLE runs RESET (autovacuum_enabled)"))


async def shard_counters(migrated, owner_engine, tenant) -> tuple[str, dict[str, dict[str, Any]]]:
    """(the tenant's runs shard, {shard: its counters read on its worker}) for every runs shard."""
    async with owner_engine.connect() as conn:
        shards = (await conn.execute(text(SHARDS), {"t": str(tenant), "table": "runs"})).all()
    admin = make_url(migrated.database_url)
    counters: dict[str, dict[str, Any]] = {}
    for shard, host, port, _ in shards:
        url = admin.set(host=host, port=port).render_as_string(False)
        worker = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await worker.execute("SET citus.override_table_visibility = off")
            row = await worker.fetchrow(COUNTERS, shard)
        finally:
            await worker.close()
        assert row is not None, f"{shard} not on {host}:{port}"
        counters[shard] = dict(row)
    (mine,) = [shard for shard, _, _, own in shards if own]
    return mine, counters


async def until_counted(migrated, owner_engine, tenant, changes: int) -> dict[str, dict]:
    """The counters once the tenant's shard counts `changes` changes (a worker backend reports
    its writes to the statistics within about a second of going idle)."""
    for _ in range(100):
        mine, counters = await shard_counters(migrated, owner_engine, tenant)
        if counters[mine]["n_mod_since_analyze"] >= changes:
            return counters
        await asyncio.sleep(0.1)
    raise AssertionError(f"{mine} counts {counters[mine]} after 10 s, expected {changes} changes")


async def analyze_grown(sessions, tenant, min_changes: int, growth: float) -> list[str]:
    """The function as the application role calls it, in a tenant session."""
    async with sessions(tenant) as session:
        result = await session.scalar(
            text("SELECT ledger_analyze_grown(:c, :g)"), {"c": min_changes, "g": growth}
        )
    return list(result)


async def post_runs(http, key, prefix: str, count: int) -> None:
    response = await post(http, key, [run(f"{prefix}-{i}", minutes=i) for i in range(count)])
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == count


async def test_the_shards_runs_grew_on_are_analysed(
    make_tenant, sessions, http, migrated, owner_engine, no_autovacuum_on_runs, monkeypatch
) -> None:
    # given the ingest path's own growth check out of the way (the test calls the function)
    monkeypatch.setattr(analyse.growth_check, "next_at", float("inf"))
    t, _workflow, key = await setup(make_tenant, sessions)
    # and 1,200 runs ingested over HTTP into the tenant, counted on its worker's shard
    for batch in range(2):
        await post_runs(http, key, f"grow{batch}", RUNS_PER_BATCH)
    grown = 2 * RUNS_PER_BATCH
    before = await until_counted(migrated, owner_engine, t, grown)
    # when the application role asks with a threshold above the changes: nothing is analysed
    assert await analyze_grown(sessions, t, 10**12, 0.0) == []
    mine, unchanged = await shard_counters(migrated, owner_engine, t)
    assert {s: c["analyze_count"] for s, c in unchanged.items()} == {
        s: c["analyze_count"] for s, c in before.items()
    }
    assert unchanged[mine]["n_mod_since_analyze"] >= grown
    # when it asks with a threshold the tenant's growth reaches
    analysed = await analyze_grown(sessions, t, grown, 0.0)
    # then runs was analysed: every runs shard, on both workers, by a (manual) ANALYZE
    assert "runs" in analysed
    mine, after = await shard_counters(migrated, owner_engine, t)
    for shard, counters in after.items():
        assert counters["analyze_count"] == before[shard]["analyze_count"] + 1, shard
        assert counters["last_analyze"] is not None
    # and the tenant's shard now has statistics holding its rows, its changes counted from zero
    assert after[mine]["n_mod_since_analyze"] < grown
    assert after[mine]["reltuples"] >= grown


async def test_the_ingest_batch_that_finds_a_table_grown_analyses_it_and_is_stored(
    make_tenant, sessions, http, migrated, owner_engine, no_autovacuum_on_runs, monkeypatch
) -> None:
    # given runs grown in a tenant while the growth check was not due
    monkeypatch.setattr(analyse.growth_check, "next_at", float("inf"))
    t, _workflow, key = await setup(make_tenant, sessions)
    await post_runs(http, key, "first", RUNS_PER_BATCH)
    before = await until_counted(migrated, owner_engine, t, RUNS_PER_BATCH)
    # and a check that finds any change enough in the batch (and none after it)
    monkeypatch.setattr(analyse, "MIN_CHANGES", 1)
    monkeypatch.setattr(analyse, "BLIND", 0.0)
    monkeypatch.setattr(analyse, "GROWTH", 1e12)
    monkeypatch.setattr(analyse.growth_check, "next_at", 0.0)
    # when the next batch (runs and priced usage) is posted with the check due
    records = [run(f"second-{i}", minutes=i) for i in range(50)]
    records += [usage(f"u-{i}", f"second-{i}") for i in range(50)]
    response = await post(http, key, records)
    # then the batch is stored whole: the ANALYZE in its transaction broke none of its writes
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(records)
    async with sessions(t) as session:
        stored = await session.scalar(
            text("SELECT count(*) FROM runs WHERE correlation_id LIKE 'second-%'")
        )
        costed = await session.scalar(
            text(
                "SELECT count(*) FROM run_costs WHERE correlation_id LIKE 'second-%' AND events = 1"
            )
        )
    assert stored == 50
    assert costed == 50
    # and runs was analysed in the batch, before its rows: its changes are the batch's only
    counters = await until_counted(migrated, owner_engine, t, 50)
    mine, _ = await shard_counters(migrated, owner_engine, t)
    assert counters[mine]["analyze_count"] == before[mine]["analyze_count"] + 1
    assert counters[mine]["n_mod_since_analyze"] == 50
    assert counters[mine]["reltuples"] >= RUNS_PER_BATCH
