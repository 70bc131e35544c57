"""bench.citus_load on a Citus cluster: a small generated tenant, made in a plain database on the
coordinator's server (no `citus` extension there: one PostgreSQL, rollups rebuilt by the
generator), is copied into the session's distributed database. Every row of every tenant table
arrives unchanged (rollups included), the user triggers and the secondary indexes are back
afterwards — the rollup triggers fire again on the shards when ingest adds usage — and the
coordinator's identity sequences are past the copied ids.

Skipped (with the reason) without a cluster, unless LEDGER_REQUIRE_CITUS=1 (the CI stage sets it).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from bench.citus_load import SEQUENCES, TENANT_TABLES, copy_database
from bench.generate import SECONDARY_INDEXES, database_url, generate
from tests.conftest import Servers
from tests.integration.citus_cluster import require_cluster
from tests.scratch_databases import drop_database

require_cluster()

NOW = datetime(2026, 3, 1, tzinfo=UTC)
USER_TRIGGERS = """
SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2
"""


async def rows_of(conn: asyncpg.Connection, tables: list[str], tenant: str) -> dict[str, list[str]]:
    return {
        t: sorted(
            r[0]
            for r in await conn.fetch(
                f'SELECT x::text FROM "{t}" AS x WHERE tenant_id = $1::uuid',  # noqa: S608
                tenant,
            )
        )
        for t in tables
    }


@pytest.fixture
async def source(servers: Servers, tmp_path: Path) -> Any:
    name = f"ledger_test_cload_{uuid.uuid4().hex[:8]}"
    manifest = await generate(
        admin_url=servers.database_url, redis_url=servers.redis_url, data_dir=tmp_path,
        runs=300, days=12, seed=int(uuid.uuid4().int % 10_000), now=NOW, name=name, roi=True,
    )  # fmt: skip
    try:
        yield database_url(servers.database_url, name), manifest
    finally:
        await drop_database(servers.database_url, name)


async def test_a_generated_tenant_is_copied_whole_and_the_triggers_fire_again(
    source: Any, migrated: Any, http: Any
) -> None:
    source_url, manifest = source
    tenant = manifest["tenant_id"]
    src = await asyncpg.connect(asyncpg_dsn(source_url))
    dst = await asyncpg.connect(asyncpg_dsn(migrated.database_url))
    try:
        assert not await src.fetchval("SELECT true FROM pg_extension WHERE extname = 'citus'")
        assert await dst.fetchval("SELECT true FROM pg_extension WHERE extname = 'citus'")
        tables = [r[0] for r in await dst.fetch(TENANT_TABLES)]
        indexes_before = sorted(tuple(r) for r in await dst.fetch(SECONDARY_INDEXES, tables))
        triggers_before = [tuple(r) for r in await dst.fetch(USER_TRIGGERS)]
        assert indexes_before and triggers_before

        copied = await copy_database(source_url, migrated.database_url)

        expected = await rows_of(src, tables, tenant)
        assert expected["runs"] and expected["run_costs"] and expected["cohort_days"]
        assert expected["ladder_reach"] and expected["roi_windows"]
        assert copied.rows["runs"] == len(expected["runs"]) == 300
        assert await rows_of(dst, tables, tenant) == expected
        assert sorted(tuple(r) for r in await dst.fetch(SECONDARY_INDEXES, tables)) == (
            indexes_before
        )
        assert [tuple(r) for r in await dst.fetch(USER_TRIGGERS)] == triggers_before
        for row in await dst.fetch(SEQUENCES, tables):
            top = await src.fetchval(f'SELECT max("{row["column"]}") FROM "{row["table"]}"')  # noqa: S608
            if top is not None:
                assert await dst.fetchval(f"SELECT last_value FROM {row['sequence']}") >= top  # noqa: S608

        # The copied rollup moves with new usage: the triggers fire on the shards again.
        run_id, cost, events, workflow = await src.fetchrow(
            "SELECT c.correlation_id, c.cost, c.events, w.key FROM run_costs c"
            " JOIN runs r ON r.tenant_id = c.tenant_id AND r.correlation_id = c.correlation_id"
            " JOIN workflows w ON w.tenant_id = r.tenant_id AND w.workflow_id = r.workflow_id"
            " ORDER BY c.correlation_id LIMIT 1"
        )
        at = (NOW - timedelta(hours=2)).isoformat()
        body = [{"type": "usage", "eventId": f"cload-{uuid.uuid4().hex[:8]}",
                 "correlationId": run_id, "workflowKey": workflow, "kind": "TOOL",
                 "occurredAt": at, "cost": "0.3125"}]  # fmt: skip
        response = await http.post(
            "/v1/events", content=json.dumps(body),
            headers={"Authorization": f"Bearer {manifest['api_key']}",
                     "Content-Type": "application/json"},
        )  # fmt: skip
        assert response.status_code == 200, response.text
        after = await dst.fetchrow(
            "SELECT cost, events FROM run_costs WHERE tenant_id = $1::uuid AND correlation_id = $2",
            tenant, run_id,
        )  # fmt: skip
        assert (after["cost"], after["events"]) == (cost + Decimal("0.3125"), events + 1)
    finally:
        await src.close()
        await dst.close()
