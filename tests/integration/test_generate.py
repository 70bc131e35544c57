"""bench.generate stores exactly what ingest would have stored, and the same rows every time.

A small generated tenant (400 runs over 20 days, loaded by the fast path: COPY from two
processes, indexes re-created, the run_costs rollup rebuilt) is checked against the rules
ingest applies: each run's status from its label history (app.domain.acceptance), each priced
usage event's cost and price version from the price book, the rollup against its recomputation,
and the ROI windows present after the rebuild.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from app.db.urls import asyncpg_dsn
from app.domain.acceptance import Label, current_state, labels_applied
from app.domain.enums import FAILURE_STATUSES, RunStatus
from app.domain.money import quantize_money
from app.domain.pricing import Price, TokenCounts, price_in_force, price_tokens
from bench.generate import database_url, generate, open_generated
from tests.conftest import Servers
from tests.scratch_databases import drop_database

NOW = datetime(2026, 3, 1, tzinfo=UTC)


async def _generate(servers: Servers, name: str, jobs: int, data_dir: Path) -> dict[str, Any]:
    return await generate(
        admin_url=servers.database_url, redis_url=servers.redis_url,
        data_dir=data_dir, runs=400, days=20, seed=3, now=NOW, name=name,
        roi=True, jobs=jobs,
    )  # fmt: skip


FINGERPRINT = """
SELECT md5(string_agg(x, ',' ORDER BY x)) FROM (
    SELECT (correlation_id, workflow_id, client_id, started_at, ended_at, status, status_at,
            campaign, channel, variant, team, subject)::text AS x FROM runs
    UNION ALL SELECT (event_id, correlation_id, kind, occurred_at, cost, cost_source,
                      price_effective_from, input_tokens, output_tokens)::text FROM usage_events
    UNION ALL SELECT (correlation_id, at, status, applied)::text FROM run_labels
    UNION ALL SELECT (event_id, rung_key, subject, correlation_id, occurred_at)::text
              FROM outcome_events
    UNION ALL SELECT (event_id, client_id, amount, occurred_at, kind)::text FROM revenue_events
) AS rows
"""


@pytest.fixture
async def generated(servers: Servers, tmp_path: Path) -> Any:
    name = f"ledger_gen_test_{uuid.uuid4().hex[:8]}"
    manifest = await _generate(servers, name, jobs=2, data_dir=tmp_path / "first")
    conn = await asyncpg.connect(asyncpg_dsn(database_url(servers.database_url, name)))
    try:
        yield name, manifest, conn
    finally:
        await conn.close()
        await drop_database(servers.database_url, name)


async def test_runs_carry_the_state_their_label_history_gives(generated: Any) -> None:
    _, manifest, conn = generated
    holds = {
        r["workflow_id"]: r["acceptance_hold_hours"]
        for r in await conn.fetch("SELECT workflow_id, acceptance_hold_hours FROM workflows")
    }
    labels: dict[str, list[Any]] = defaultdict(list)
    for row in await conn.fetch(
        "SELECT correlation_id, at, status, applied FROM run_labels ORDER BY correlation_id, at"
    ):
        labels[row["correlation_id"]].append(row)
    runs = await conn.fetch("SELECT * FROM runs")
    assert len(runs) == manifest["rows"]["runs"] == 400
    for run in runs:
        history = labels.get(run["correlation_id"], [])
        domain = [Label(status=RunStatus(r["status"]), at=r["at"]) for r in history]
        hold = holds[run["workflow_id"]]
        state = current_state(domain, hold)
        assert (run["status"], run["status_at"], run["ended_at"]) == (
            state.status.value, state.status_at, state.ended_at,
        )  # fmt: skip
        assert [r["applied"] for r in history] == labels_applied(domain, hold)
    statuses = {run["status"] for run in runs}
    assert {s.value for s in FAILURE_STATUSES} | {"ACCEPTED"} <= statuses


async def test_priced_usage_costs_what_the_price_book_says(generated: Any) -> None:
    _, _, conn = generated
    prices = [Price.from_row(r) for r in await conn.fetch("SELECT * FROM model_prices")]
    priced = await conn.fetch("SELECT * FROM usage_events WHERE cost_source = 'priced'")
    assert priced
    versions = set()
    for u in priced:
        price = price_in_force(prices, u["provider"], u["model"], u["occurred_at"])
        assert price is not None and u["kind"] == "LLM"
        tokens = TokenCounts(
            input=u["input_tokens"], output=u["output_tokens"],
            cache_read=u["cache_read_tokens"], cache_write=u["cache_write_tokens"],
            reasoning=u["reasoning_tokens"],
        )  # fmt: skip
        assert u["cost"] == quantize_money(price_tokens(tokens, price))
        assert u["price_effective_from"] == price.effective_from
        versions.add(price.effective_from)
    assert len(versions) == 2  # the re-priced model's usage carries both versions
    reported = await conn.fetchval(
        "SELECT count(*) FROM usage_events WHERE cost_source = 'reported' "
        "AND price_effective_from IS NULL"
    )
    assert reported > 0


async def test_rollup_references_and_roi_are_complete(generated: Any) -> None:
    _, manifest, conn = generated
    assert manifest["seconds"]["fast_load"] == 1.0  # the replica-role path was taken
    missing = await conn.fetchval(
        "SELECT count(*) FROM (SELECT * FROM run_costs_recomputed() "
        "EXCEPT SELECT tenant_id, correlation_id, cost, events, has_run FROM run_costs) AS d"
    )
    extra = await conn.fetchval(
        "SELECT count(*) FROM (SELECT tenant_id, correlation_id, cost, events, has_run "
        "FROM run_costs EXCEPT SELECT * FROM run_costs_recomputed()) AS d"
    )
    assert (missing, extra) == (0, 0)
    differing = await conn.fetchval(
        "SELECT count(*) FROM ((SELECT * FROM ladder_reach_recomputed() "
        "EXCEPT SELECT * FROM ladder_reach) UNION ALL (SELECT * FROM ladder_reach "
        "EXCEPT SELECT * FROM ladder_reach_recomputed())) AS d"
    )
    assert differing == 0 and await conn.fetchval("SELECT count(*) FROM ladder_reach") > 0
    assert await conn.fetchval("SELECT count(*) FROM ladder_reach_dirty") == 0
    assert (
        await conn.fetchval("SELECT count(*) FROM roi_windows")
        == manifest["rows"]["roi_windows"]
        > 0
    )
    assert (
        await conn.fetchval("SELECT count(*) FROM revenue_events WHERE processed_at IS NULL") == 0
    )
    assert await conn.fetchval("SELECT count(*) FROM roi_dirty") == 0
    secondary = await conn.fetchval(
        "SELECT count(*) FROM pg_indexes WHERE tablename = 'usage_events'"
    )
    assert secondary >= 4  # primary key + the re-created secondary indexes


async def test_the_same_arguments_give_the_same_rows(
    servers: Servers, generated: Any, tmp_path: Path
) -> None:
    name, manifest, conn = generated
    other = f"ledger_gen_test_{uuid.uuid4().hex[:8]}"
    again = await _generate(servers, other, jobs=1, data_dir=tmp_path / "again")
    try:
        reopened = await open_generated(
            other, admin_url=servers.database_url, redis_url=servers.redis_url,
            data_dir=tmp_path / "reopened",
        )  # fmt: skip
        assert reopened.tenant_id == uuid.UUID(manifest["tenant_id"])
        assert reopened.now == NOW and reopened.workflows == manifest["workflows"]
        assert again["rows"] == manifest["rows"]
        copy = await asyncpg.connect(asyncpg_dsn(database_url(servers.database_url, other)))
        try:
            assert await copy.fetchval(FINGERPRINT) == await conn.fetchval(FINGERPRINT)
        finally:
            await copy.close()
    finally:
        await drop_database(servers.database_url, other)
    assert name != other
