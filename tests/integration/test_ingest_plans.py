"""Ingest reads a bounded number of rows per record, however big the tenant and whatever the
statistics: on a freshly migrated database whose 50,000 runs and 100,000 usage events were
inserted and never analysed (a new deployment's first burst), each batch — an OTLP-shaped batch
of new runs and their usage, and a batch of labels for stored runs — reads at most
ROWS_PER_RECORD rows per record, triggers included.

Rows read are PostgreSQL's own counters for the transaction (`pg_stat_get_xact_tuples_returned`
of every table and index: rows read by sequential scans plus index entries returned), taken
around each statement the ingest code sends, so the statement-level triggers a statement fires
(run_costs, cohort_days, ladder reach markers) are counted with it. Reading the tenant once per
record — the plan the cliff came from — reads ~50,000 rows per record here; a plan that uses the
intended keys reads a few. (With 50,000 runs a batch of 100 keys is planned as index probes: on
a table of a few hundred pages PostgreSQL rightly prefers one sequential scan, which is cheap
there but would break a per-record bound.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

import app.ingest.otlp_calls as otlp_calls
import app.services.ingest.service as ingest_service
import app.services.roi.dirty as dirty
from app.db.sessions import TenantSessions
from app.db.urls import asyncpg_dsn
from app.domain.genai_spans import Span
from app.domain.pricing import Price
from app.ingest.otlp_mapping import map_spans
from app.services.ingest import ingest_records
from app.services.ingest.analyse import background as analyse_background
from app.services.ingest.analyse import growth_check
from app.services.pricing.prices import set_model_price
from app.services.tenancy.tenants import create_tenant
from app.services.tenancy.workflows import upsert_workflow
from app.settings import Settings
from tests.scratch_databases import connected, migrated_database

ROWS_PER_RECORD = 20
SEED_RUNS = 50_000
T0 = datetime(2026, 9, 1, tzinfo=UTC)
PRICE = Price(
    provider="anthropic",
    model="claude-sonnet-4",
    effective_from=datetime(2020, 1, 1, tzinfo=UTC),
    input_per_million=Decimal("3"),
    output_per_million=Decimal("15"),
)

COUNTERS = """
SELECT c.relname::text, pg_stat_get_xact_tuples_returned(c.oid)::int8
FROM pg_class AS c JOIN pg_namespace AS s ON s.oid = c.relnamespace
WHERE c.relkind IN ('r', 'i') AND s.nspname NOT IN ('pg_catalog', 'information_schema')
  AND s.nspname NOT LIKE 'pg_toast%'
"""

# The seed, as the owner: runs and 2 usage events per run, in the tenant's one workflow.
SEED = """
INSERT INTO runs (tenant_id, correlation_id, workflow_id, started_at)
SELECT $1, 'seed-' || i, $2, $3::timestamptz + i * interval '1 minute'
FROM generate_series(1, $4::int) AS i;
"""
SEED_USAGE = """
INSERT INTO usage_events (tenant_id, event_id, correlation_id, workflow_id, kind, occurred_at,
                          provider, model, input_tokens, output_tokens, cache_read_tokens,
                          cache_write_tokens, reasoning_tokens, cost, cost_source)
SELECT $1, 'seed-' || i || '-' || j, 'seed-' || i, $2, 'LLM',
       $3::timestamptz + i * interval '1 minute', 'anthropic', 'claude-sonnet-4',
       1000, 200, 0, 0, 0, 0.006, 'PRICED'
FROM generate_series(1, $4::int) AS i, generate_series(1, 2) AS j;
"""


@dataclass
class Fresh:
    settings: Settings
    owner_dsn: str
    tenant_id: uuid.UUID
    sessions: TenantSessions


@pytest.fixture(scope="module")
async def fresh(servers: Any) -> AsyncIterator[Fresh]:
    """A database of its own, migrated, one tenant seeded by plain INSERTs, never analysed
    (autovacuum off for `runs` and `usage_events`: only the ingest path analyses them)."""
    async with migrated_database(servers.database_url, servers.redis_url, "ledger_plans") as db:
        sessions = db.sessions
        tenant_id = await create_tenant(sessions=sessions, name="plans")
        async with sessions(tenant_id) as session:
            workflow = await upsert_workflow(
                session=session, tenant_id=tenant_id, key="outreach", name="Outreach"
            )
            await set_model_price(session=session, tenant_id=tenant_id, price=PRICE)
        async with connected(db.url) as owner:
            # On a server that runs autovacuum it may analyse the seeded tables first, and the
            # growth check would then rightly find nothing to do: "never analysed" is the case.
            for table in ("runs", "usage_events"):
                await owner.execute(f"ALTER TABLE {table} SET (autovacuum_enabled = off)")
            args = (tenant_id, workflow.workflow_id, T0, SEED_RUNS)
            await owner.execute(SEED.replace(";", ""), *args)
            await owner.execute(SEED_USAGE, *args)
        yield Fresh(db.settings, asyncpg_dsn(db.url), tenant_id, sessions)


class Counting:
    """The session's asyncpg connection, counting the rows each statement reads."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.rows: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def _counters(self) -> dict[str, int]:
        return {row[0]: row[1] for row in await self._conn.fetch(COUNTERS)}

    async def _run(self, method: str, sql: str, *args: Any, **kwargs: Any) -> Any:
        before = await self._counters()
        result = await getattr(self._conn, method)(sql, *args, **kwargs)
        after = await self._counters()
        statement = " ".join(sql.split())[:100]
        for relation, count in after.items():
            if count != before.get(relation, 0):
                self.rows[statement][relation] += count - before.get(relation, 0)
        return result

    async def execute(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("execute", sql, *args, **kwargs)

    async def fetch(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetch", sql, *args, **kwargs)

    async def fetchval(self, sql: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchval", sql, *args, **kwargs)

    def total(self) -> int:
        """Rows read by ingest's statements; the ANALYZE the growth check ran is not one."""
        return sum(
            sum(relations.values())
            for statement, relations in self.rows.items()
            if "ledger_analyze_grown" not in statement
        )

    def report(self) -> str:
        lines = []
        for statement, relations in sorted(self.rows.items(), key=lambda kv: -sum(kv[1].values())):
            top = sorted(relations.items(), key=lambda kv: -kv[1])[:4]
            lines.append(f"{sum(relations.values()):>9}  {statement}  {top}")
        return "\n".join(lines)


class Recorder:
    """Counts the statements of every connection ingest opens (its `raw_connection` calls)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.countings: list[Counting] = []
        real = ingest_service.raw_connection

        async def counted(session: Any) -> Any:
            self.countings.append(Counting(await real(session)))
            return self.countings[-1]

        for module in (ingest_service, otlp_calls):
            monkeypatch.setattr(module, "raw_connection", counted)

    def total(self) -> int:
        return sum(c.total() for c in self.countings)

    def report(self) -> str:
        return "\n".join(c.report() for c in self.countings)


async def ingest_counted(
    fresh: Fresh, records: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> Recorder:
    recorder = Recorder(monkeypatch)
    async with fresh.sessions(fresh.tenant_id) as session:
        outcome = await ingest_records(session=session, tenant_id=fresh.tenant_id, records=records)
    monkeypatch.undo()
    assert not outcome.errors, outcome.errors
    assert outcome.accepted == len(records)
    return recorder


async def export_counted(
    fresh: Fresh,
    spans: list[Span],
    monkeypatch: pytest.MonkeyPatch,
    *,
    rejected: int = 0,
    accepted: int | None = None,
) -> Recorder:
    """Store one decoded export exactly as `POST /v1/traces` does (claims, records, health);
    by default every span and its trace's run is stored."""
    recorder = Recorder(monkeypatch)
    async with fresh.sessions(fresh.tenant_id) as session:
        result = await otlp_calls.store_export(
            session=session, tenant_id=fresh.tenant_id, batch=map_spans(spans), max_records=10_000
        )
    monkeypatch.undo()
    assert len(result.rejected) == rejected, result.rejected
    if accepted is None:
        accepted = len(spans) + len(spans) // 5
    assert result.stored.accepted == accepted
    return recorder


def export_spans(batch: int) -> list[Span]:
    """500 LLM spans of 100 traces (5 per trace), as an OTel SDK exports them."""
    start_ns = int((T0 + timedelta(days=40)).timestamp()) * 10**9 + batch * 10**12
    return [
        Span(
            trace_id=f"{batch + 1:016x}{t + 1:016x}",
            span_id=f"{batch + 1:08x}{t * 5 + s + 1:08x}",
            start_ns=start_ns + (t * 5 + s) * 10**9,
            end_ns=start_ns + (t * 5 + s) * 10**9 + 9 * 10**8,
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-sonnet-4",
                "gen_ai.usage.input_tokens": 3000 + s,
                "gen_ai.usage.output_tokens": 200,
            },
            resource={"ledger.workflow": "outreach"},
        )
        for t in range(100)
        for s in range(5)
    ]


def realistic_spans(batch: int) -> list[Span]:
    """500 model-call spans as instrumentations export them: each with the provider's response
    id and a parent (its trace's agent span, exported later, so not in this export)."""
    spans = export_spans(100 + batch)
    for i, span in enumerate(spans):
        span.parent_span_id = f"{100 + batch:08x}{i // 5:08x}"
        span.attributes = {**span.attributes, "gen_ai.response.id": f"msg_{100 + batch}_{i}"}
    return spans


# Two claims per seeded run, as realistic spans leave them: response-id keys, and the run's
# agent span as every claim's parent.
SEED_CALLS = """
INSERT INTO provider_calls (tenant_id, call_key, event_id, detail, parent_span_id)
SELECT $1, 'response:anthropic:msg_seed-' || i || '-' || j, 'seed-' || i || '-' || j, 2,
       lpad(to_hex(i), 16, '0')
FROM generate_series(1, $2::int) AS i, generate_series(1, 2) AS j
ON CONFLICT DO NOTHING
"""


def otlp_shaped(batch: int) -> list[dict[str, Any]]:
    """500 LLM usage records (5 per run) then the 100 runs, as /v1/traces maps an export."""
    usage, runs = [], []
    for r in range(100):
        cid = f"b{batch}-run-{r}"
        started = T0 + timedelta(days=20, minutes=batch * 100 + r)
        runs.append(
            {
                "type": "run",
                "correlationId": cid,
                "workflowKey": "outreach",
                "startedAt": started.isoformat(),
            }
        )
        for s in range(5):
            usage.append(
                {
                    "type": "usage",
                    "eventId": f"{cid}-{s}",
                    "correlationId": cid,
                    "workflowKey": "outreach",
                    "kind": "LLM",
                    "occurredAt": (started + timedelta(seconds=s)).isoformat(),
                    "provider": "anthropic",
                    "model": "claude-sonnet-4",
                    "inputTokens": 3000 + s,
                    "outputTokens": 200,
                }
            )
    return usage + runs


def labels_for_seeded(first: int, count: int) -> list[dict[str, Any]]:
    return [
        {
            "type": "label",
            "correlationId": f"seed-{i}",
            "status": "ACCEPTED",
            "at": (T0 + timedelta(minutes=i, hours=1)).isoformat(),
            "reviewer": "qa",
        }
        for i in range(first, first + count)
    ]


async def analysed(fresh: Fresh, table: str) -> int:
    async with connected(fresh.owner_dsn) as conn:
        count = await conn.fetchval(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = $1", table
        )
        return int(count)


async def test_an_otlp_shaped_batch_reads_a_bounded_number_of_rows_per_record(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a tenant of 50,000 runs and 100,000 usage events that nothing has analysed
    assert await analysed(fresh, "runs") == 0
    growth_check.next_at = 0.0  # a new process: the growth check is due
    for batch in range(3):
        # when an export's runs and usage are ingested
        records = otlp_shaped(batch)
        counting = await ingest_counted(fresh, records, monkeypatch)
        # then each batch reads at most ROWS_PER_RECORD rows per record
        bound = ROWS_PER_RECORD * len(records)
        assert counting.total() <= bound, f"batch {batch}:\n{counting.report()}"
    # and the first batch had the tables it grows analysed
    assert await analysed(fresh, "runs") >= 1
    assert await analysed(fresh, "usage_events") >= 1


async def test_an_otlp_export_reads_a_bounded_number_of_rows_per_span(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    growth_check.next_at = 0.0
    for batch in range(3):
        # when an export of 500 spans (100 traces) is stored as /v1/traces stores it
        spans = export_spans(batch)
        recorder = await export_counted(fresh, spans, monkeypatch)
        # then it reads at most ROWS_PER_RECORD rows per span, claims and health included
        bound = ROWS_PER_RECORD * len(spans)
        assert recorder.total() <= bound, f"export {batch}:\n{recorder.report()}"


async def test_an_export_of_realistic_spans_reads_a_bounded_number_of_rows_per_span(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given every table analysed (the other tests cover the rest of the path unanalysed), then
    # provider_calls grown by 100,000 claims (parents, response ids) since its last analyse
    async with connected(fresh.owner_dsn) as owner:
        await owner.execute("ANALYZE")
        await owner.execute(SEED_CALLS, fresh.tenant_id, SEED_RUNS)
        await owner.execute("SELECT pg_stat_force_next_flush()")  # at the next idle
        grown = await owner.fetchval(
            "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'provider_calls'"
        )
    assert grown >= 2 * SEED_RUNS
    growth_check.next_at = time.monotonic() + 3600  # planned from the statistics as they are
    first = realistic_spans(0)
    # one span names a workflow the tenant does not have: claimed, refused, its claim withdrawn
    first[-1].attributes = {**first[-1].attributes, "ledger.workflow": "no-such-workflow"}
    second = realistic_spans(1)
    stored = len(first) - 1 + len(first) // 5  # the refused span's trace still gets its run
    exports = [  # (export, spans, rejected, accepted)
        ("new", first, 1, stored),
        ("a replay of the first", first, 1, 0),
        ("new, once analysed", second, 0, len(second) + len(second) // 5),
    ]
    try:
        for name, spans, rejected, accepted in exports:
            if name.endswith("analysed"):
                async with connected(fresh.owner_dsn) as owner:
                    await owner.execute("ANALYZE provider_calls")
            # when an export of 500 nested model-call spans with response ids is stored
            recorder = await export_counted(
                fresh, spans, monkeypatch, rejected=rejected, accepted=accepted
            )
            # then it reads at most ROWS_PER_RECORD rows per span
            bound = ROWS_PER_RECORD * len(spans)
            assert recorder.total() <= bound, f"export {name}:\n{recorder.report()}"
    finally:
        growth_check.next_at = 0.0


async def test_an_export_for_a_tenant_newer_than_the_statistics_reads_a_bounded_number_of_rows(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given statistics of the first tenant's claims taken before a second tenant existed, then
    # 100,000 claims of that tenant
    tenant_id = await create_tenant(sessions=fresh.sessions, name="newer")
    async with fresh.sessions(tenant_id) as session:
        await upsert_workflow(session=session, tenant_id=tenant_id, key="outreach", name="O")
        await set_model_price(session=session, tenant_id=tenant_id, price=PRICE)
    async with connected(fresh.owner_dsn) as owner:
        await owner.execute(SEED_CALLS, fresh.tenant_id, SEED_RUNS)  # if not seeded yet
        await owner.execute("SELECT pg_stat_force_next_flush()")  # counted before the ANALYZE
        await owner.execute("ANALYZE")
        await owner.execute(SEED_CALLS, tenant_id, SEED_RUNS)
    growth_check.next_at = time.monotonic() + 3600  # planned from the statistics as they are
    try:
        # when that tenant's export of realistic spans is stored
        spans = realistic_spans(5)
        newer = dataclasses.replace(fresh, tenant_id=tenant_id)
        recorder = await export_counted(newer, spans, monkeypatch)
        # then it reads at most ROWS_PER_RECORD rows per span
        assert recorder.total() <= ROWS_PER_RECORD * len(spans), recorder.report()
    finally:
        growth_check.next_at = 0.0


def statement_key(sql: str) -> str:
    """How `Counting` names a statement."""
    return " ".join(sql.split())[:100]


async def test_a_tenant_newer_than_the_statistics_is_ingested_key_by_key(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given statistics taken before a tenant existed, then 50,000 runs and 100,000 usage events
    # of that tenant
    tenant_id = await create_tenant(sessions=fresh.sessions, name="newest")
    async with fresh.sessions(tenant_id) as session:
        workflow = await upsert_workflow(
            session=session, tenant_id=tenant_id, key="outreach", name="O"
        )
        await set_model_price(session=session, tenant_id=tenant_id, price=PRICE)
    async with connected(fresh.owner_dsn) as owner:
        await owner.execute("ANALYZE")
        args = (tenant_id, workflow.workflow_id, T0, SEED_RUNS)
        await owner.execute(SEED.replace(";", ""), *args)
        await owner.execute(SEED_USAGE, *args)
    newest = dataclasses.replace(fresh, tenant_id=tenant_id)
    growth_check.next_at = time.monotonic() + 3600  # planned from the statistics as they are
    try:
        # when a batch of its new runs and their usage is ingested, then labels for 100 of its
        # stored runs
        batches = [otlp_shaped(7), labels_for_seeded(1, 100)]
        recorders = [await ingest_counted(newest, records, monkeypatch) for records in batches]
    finally:
        growth_check.next_at = 0.0
    # then each batch reads at most ROWS_PER_RECORD rows per record, triggers included (given
    # the tenant's value, the planner read its whole range of an index of `runs` or `run_costs`
    # in the cohort_days triggers before migration 0025: 150,200 and 50,100 index entries)
    for records, recorder in zip(batches, recorders, strict=True):
        assert recorder.total() <= ROWS_PER_RECORD * len(records), recorder.report()
    # and the statements that find the ROI windows to mark read about a row per record (they
    # read that range once per key before: 3,110,600 index entries)
    markers = {statement_key(s.plain) for s in (dirty.RUN_PAIRS, dirty.USAGE_REF_PAIRS)}
    read = {
        statement: sum(relations.values())
        for counting in recorders[0].countings
        for statement, relations in counting.rows.items()
        if statement in markers
    }
    assert read.keys() == markers, recorders[0].report()
    assert sum(read.values()) <= 2 * len(batches[0]), recorders[0].report()


async def test_labels_for_stored_runs_read_a_bounded_number_of_rows_per_record(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    growth_check.next_at = 0.0
    for batch in range(2):
        records = labels_for_seeded(1 + batch * 100, 100)
        counting = await ingest_counted(fresh, records, monkeypatch)
        bound = ROWS_PER_RECORD * len(records)
        assert counting.total() <= bound, f"batch {batch}:\n{counting.report()}"


GROW_RUNS = """
INSERT INTO runs (tenant_id, correlation_id, workflow_id, started_at)
SELECT tenant_id, 'grown-' || i, workflow_id, started_at + interval '1 day'
FROM (SELECT tenant_id, workflow_id, started_at FROM runs LIMIT 1) AS r,
     generate_series(1, $1::int) AS i
"""


async def test_a_table_grown_since_its_last_analyse_is_analysed_after_the_batch(
    fresh: Fresh, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given runs analysed, then grown by 60 % (past GROWTH, short of BLIND) by plain inserts
    async with connected(fresh.owner_dsn) as owner:
        await owner.execute("ANALYZE runs")
        await owner.execute("ANALYZE usage_events")
        rows = await owner.fetchval("SELECT count(*) FROM runs")
        await owner.execute(GROW_RUNS, int(rows * 0.6))
    earlier = analyse_background.task
    if earlier is not None and earlier.get_loop() is asyncio.get_running_loop():
        await earlier  # an earlier test's: this batch starts its own
    before = await analysed(fresh, "runs")
    growth_check.next_at = 0.0
    # when a batch is ingested
    records = otlp_shaped(7)
    counting = await ingest_counted(fresh, records, monkeypatch)
    # then it was planned from the older statistics and still read a bounded number of rows
    assert counting.total() <= ROWS_PER_RECORD * len(records), counting.report()
    # and runs was analysed after it committed, by the background analyse, not inside it
    assert analyse_background.task is not None and analyse_background.task is not earlier
    assert "runs" in await analyse_background.task
    assert await analysed(fresh, "runs") == before + 1


GROW_CALLS = """
INSERT INTO provider_calls (tenant_id, call_key, event_id, detail, parent_span_id)
SELECT $1, 'span:grown-' || $2::text || '-' || i, 'grown-' || $2::text || '-' || i, 2, NULL
FROM generate_series(1, $3::int) AS i
"""


async def test_provider_calls_is_analysed_per_doubling_not_per_growth_tier(
    fresh: Fresh,
) -> None:
    """Its statements are lookups by full key (the test of realistic spans above): the
    background tier (growth 0.2) analyses it once it doubled, not at +20 % like `runs`."""
    earlier = analyse_background.task
    if earlier is not None and earlier.get_loop() is asyncio.get_running_loop():
        await earlier  # it holds the analyser's lock while it runs
    async with connected(fresh.owner_dsn) as owner:
        calls = await owner.fetchval("SELECT count(*) FROM provider_calls")
        if calls < 20_000:  # grown by more than min_changes below, whichever tests ran before
            await owner.execute(GROW_CALLS, fresh.tenant_id, "base", 20_000 - calls)
        await owner.execute("SELECT pg_stat_force_next_flush()")  # counted before the ANALYZE
        await owner.execute("ANALYZE provider_calls")
        await owner.execute("ANALYZE runs")
        calls = await owner.fetchval("SELECT count(*) FROM provider_calls")
        runs = await owner.fetchval("SELECT count(*) FROM runs")

        async def grow_and_check(label: str, share: float) -> list[str]:
            await owner.execute(GROW_CALLS, fresh.tenant_id, label, int(calls * share) + 1)
            await owner.execute(GROW_RUNS.replace("'grown-'", f"'{label}-'"), int(runs * share) + 1)
            await owner.execute("SELECT pg_stat_force_next_flush()")  # at the next idle
            return list(await owner.fetchval("SELECT ledger_analyze_grown(1000, 0.2)"))

        # given both tables grown by 60 % since their last analyse
        # then the background tier analyses runs, not provider_calls
        analysed = await grow_and_check("by60", 0.6)
        assert "runs" in analysed and "provider_calls" not in analysed
        # and once provider_calls more than doubled since its last analyse, it analyses it too
        analysed = await grow_and_check("by120", 0.6)
        assert "provider_calls" in analysed
