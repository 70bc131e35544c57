"""Ingest benchmark: `POST /v1/events` through a real uvicorn server vs raw asyncpg COPY.

Both paths write the same LLM usage rows into the same `usage_events` table with the same
indexes, in the same run, each into a tenant of its own. The HTTP path does everything a client
gets: API-key authentication, JSON decoding (Decimal), validation, price-book pricing, the
idempotent set-based insert and the commit before answering. COPY is the floor: precomputed rows
streamed by the owner role, no validation, no conflict handling.

    .venv/bin/python -m bench.ingest_bench                 # 40k events, batches of 1k and 10k
    .venv/bin/python -m bench.ingest_bench --events 200000 --concurrency 4
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.db.urls import asyncpg_dsn
from app.domain.pricing import TokenCounts, price_tokens
from bench.common import PRICE, api_server, fresh_database, make_tenant, servers, table

START = datetime(2026, 10, 1, tzinfo=UTC)


def usage_record(i: int, prefix: str) -> dict[str, Any]:
    return {
        "type": "usage",
        "eventId": f"{prefix}-{i}",
        "correlationId": f"{prefix}-run-{i // 5}",
        "workflowKey": "outreach",
        "kind": "LLM",
        "occurredAt": (START + timedelta(seconds=i)).isoformat(),
        "provider": PRICE.provider,
        "model": PRICE.model,
        "step": ("planner", "drafter", "verifier")[i % 3],
        "inputTokens": 800 + i % 400,
        "outputTokens": 200 + i % 150,
        "cacheReadTokens": 3000 if i % 2 else 0,
        "latencyMs": 900 + i % 700,
    }


def copy_row(
    record: dict[str, Any], tenant_id: uuid.UUID, workflow_id: uuid.UUID
) -> tuple[Any, ...]:
    tokens = TokenCounts(
        input=record["inputTokens"],
        output=record["outputTokens"],
        cache_read=record["cacheReadTokens"],
    )
    return (
        tenant_id,
        record["eventId"],
        record["correlationId"],
        workflow_id,
        "LLM",
        datetime.fromisoformat(record["occurredAt"]),
        record["provider"],
        record["model"],
        record["step"],
        record["inputTokens"],
        record["outputTokens"],
        record["cacheReadTokens"],
        record["latencyMs"],
        price_tokens(tokens, PRICE),
        "priced",
        PRICE.effective_from,
    )


COPY_COLUMNS = [
    "tenant_id", "event_id", "correlation_id", "workflow_id", "kind", "occurred_at", "provider",
    "model", "step", "input_tokens", "output_tokens", "cache_read_tokens", "latency_ms", "cost",
    "cost_source", "price_effective_from",
]  # fmt: skip


async def run_copy(admin_url: str, rows: list[tuple[Any, ...]], batch: int) -> float:
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        started = time.perf_counter()
        for offset in range(0, len(rows), batch):
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "usage_events", records=rows[offset : offset + batch], columns=COPY_COLUMNS
                )
        return time.perf_counter() - started
    finally:
        await conn.close()


async def run_http(
    base: str, key: str, records: list[dict[str, Any]], batch: int, concurrency: int
) -> float:
    bodies = [
        json.dumps(records[offset : offset + batch]).encode()
        for offset in range(0, len(records), batch)
    ]
    limit = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as client:

        async def post(body: bytes) -> None:
            async with limit:
                response = await client.post("/v1/events", content=body)
                response.raise_for_status()
                assert response.json()["accepted"] > 0, response.text

        started = time.perf_counter()
        await asyncio.gather(*(post(body) for body in bodies))
        return time.perf_counter() - started


async def count_rows(admin_url: str, tenant_id: uuid.UUID) -> int:
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM usage_events WHERE tenant_id = $1", tenant_id)
        )
    finally:
        await conn.close()


async def main(events: int, batches: list[int], concurrency: int) -> None:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            results: list[list[str]] = []
            with api_server(db.settings) as base:
                for batch in batches:
                    copy_tenant = await make_tenant(db.settings, f"copy-{batch}")
                    http_tenant = await make_tenant(db.settings, f"http-{batch}")
                    records = [usage_record(i, f"b{batch}") for i in range(events)]
                    rows = [
                        copy_row(r, copy_tenant.tenant_id, copy_tenant.workflow_id) for r in records
                    ]
                    copy_s = await run_copy(db.settings.database_url or "", rows, batch)
                    http_s = await run_http(base, http_tenant.api_key, records, batch, concurrency)
                    stored = await count_rows(db.settings.database_url or "", http_tenant.tenant_id)
                    assert stored == events, f"HTTP path stored {stored} of {events}"
                    copy_rate, http_rate = events / copy_s, events / http_s
                    results.append(
                        [
                            f"{batch:,}",
                            "asyncpg COPY (owner)",
                            f"{events:,}",
                            f"{copy_s:.2f}",
                            f"{copy_rate:,.0f}",
                            "1.00",
                        ]
                    )
                    results.append(
                        [
                            f"{batch:,}",
                            f"POST /v1/events x{concurrency}",
                            f"{events:,}",
                            f"{http_s:.2f}",
                            f"{http_rate:,.0f}",
                            f"{http_rate / copy_rate:.2f}",
                        ]
                    )
            print(table(results, ["batch", "path", "events", "seconds", "events/s", "vs COPY"]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--batch", type=int, action="append", dest="batches")
    parser.add_argument("--concurrency", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.batches or [1_000, 10_000], args.concurrency))
