"""Ingest benchmark: `POST /v1/events` through a real uvicorn server vs raw asyncpg COPY.

Both paths write the same LLM usage rows into the same `usage_events` table with the same
indexes, in the same run, each into a tenant of its own. The HTTP path does everything a client
gets: API-key authentication, JSON decoding (Decimal), validation, price-book pricing, the
idempotent set-based insert and the commit before answering. COPY is the floor: precomputed rows
streamed by the owner role, no validation, no conflict handling — with as many connections as the
HTTP path has requests in flight (`--concurrency`), one transaction per batch.

The last two columns are CPU time per 1,000 events (Linux /proc; "n/a" where it cannot be read):
of the API server's processes, and of the PostgreSQL backends doing the work (the COPY connections,
or the server's pool). They move far less than wall-clock throughput when other work shares the
machine, and show where the time goes.

    .venv/bin/python -m bench.ingest_bench                 # 40k events, batches of 1k and 10k
    .venv/bin/python -m bench.ingest_bench --events 200000 --concurrency 4
    .venv/bin/python -m bench.ingest_bench --server-workers 2  # `ledger serve --workers 2`
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from app.db.urls import asyncpg_dsn
from app.domain.pricing import TokenCounts, price_tokens
from bench.common import (
    PRICE,
    api_process,
    backend_cpu,
    command_line,
    cpu_seconds,
    fresh_database,
    make_tenant,
    owner_connection,
    post_events,
    servers,
    table,
)

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


async def run_copy(
    admin_url: str, rows: list[tuple[Any, ...]], batch: int, concurrency: int
) -> tuple[float, float | None]:
    """COPY the rows in batches of `batch`, one transaction each, over `concurrency` connections
    (the same number of batches in flight as the HTTP path). Returns the seconds it took and the
    CPU seconds of the PostgreSQL backends doing it (None when they cannot be read here)."""
    conns = [await asyncpg.connect(asyncpg_dsn(admin_url)) for _ in range(concurrency)]
    pids = [conn.get_server_pid() for conn in conns]
    chunks = [rows[offset : offset + batch] for offset in range(0, len(rows), batch)]

    async def worker(conn: asyncpg.Connection, mine: list[list[tuple[Any, ...]]]) -> None:
        for chunk in mine:
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "usage_events", records=chunk, columns=COPY_COLUMNS
                )

    try:
        cpu_before = [process_cpu_seconds(pid) for pid in pids]
        started = time.perf_counter()
        await asyncio.gather(
            *(worker(conn, chunks[k::concurrency]) for k, conn in enumerate(conns))
        )
        elapsed = time.perf_counter() - started
        cpu_after = [process_cpu_seconds(pid) for pid in pids]
        if None in cpu_before or None in cpu_after:
            return elapsed, None
        return elapsed, sum(cpu_after) - sum(cpu_before)  # type: ignore[arg-type]
    finally:
        for conn in conns:
            await conn.close()


async def run_http(
    base: str, key: str, records: list[dict[str, Any]], batch: int, concurrency: int
) -> float:
    accepted, seconds = await post_events(base, key, records, batch, concurrency)
    assert all(n > 0 for n in accepted), accepted
    return seconds


def process_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) a local process has used so far (Linux /proc); None when
    that cannot be read (another OS, a remote PostgreSQL)."""
    try:
        return cpu_seconds(pid)
    except (OSError, IndexError):
        return None


def server_pids(root: int) -> list[int]:
    """The API server: the `ledger serve` process `root` and its descendants (the worker
    processes of `--server-workers N`); empty where /proc cannot be read."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found: list[int] = [root] if root in parents else []
    frontier = [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def server_cpu_seconds(root: int) -> dict[int, float]:
    seconds = {pid: process_cpu_seconds(pid) for pid in server_pids(root)}
    return {pid: cpu for pid, cpu in seconds.items() if cpu is not None}


def per_1k(seconds: float | None, events: int) -> str:
    return "n/a" if seconds is None else f"{1000 * seconds / (events / 1000):.1f}"


async def count_rows(admin_url: str, tenant_id: uuid.UUID) -> int:
    async with owner_connection(admin_url) as conn:
        return int(
            await conn.fetchval("SELECT count(*) FROM usage_events WHERE tenant_id = $1", tenant_id)
        )


async def main(events: int, batches: list[int], concurrency: int, server_workers: int) -> None:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            results: list[list[str]] = []
            with api_process(db.settings, workers=server_workers) as (base, server):
                for batch in batches:
                    copy_tenant = await make_tenant(db.settings, f"copy-{batch}")
                    http_tenant = await make_tenant(db.settings, f"http-{batch}")
                    records = [usage_record(i, f"b{batch}") for i in range(events)]
                    rows = [
                        copy_row(r, copy_tenant.tenant_id, copy_tenant.workflow_id) for r in records
                    ]
                    database_url = db.settings.database_url or ""
                    copy_s, copy_pg = await run_copy(database_url, rows, batch, concurrency)
                    server_before = server_cpu_seconds(server.pid)
                    pg_before = await backend_cpu(database_url)
                    http_s = await run_http(base, http_tenant.api_key, records, batch, concurrency)
                    pg_after = await backend_cpu(database_url)
                    server_after = server_cpu_seconds(server.pid)
                    server_cpu = (
                        sum(cpu - server_before.get(pid, 0.0) for pid, cpu in server_after.items())
                        if server_after
                        else None
                    )
                    # Backends opened during the run count from zero.
                    http_pg = (
                        sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())
                        if pg_after
                        else None
                    )
                    stored = await count_rows(db.settings.database_url or "", http_tenant.tenant_id)
                    assert stored == events, f"HTTP path stored {stored} of {events}"
                    copy_rate, http_rate = events / copy_s, events / http_s
                    results.append(
                        [
                            f"{batch:,}",
                            f"asyncpg COPY (owner) x{concurrency}",
                            f"{events:,}",
                            f"{copy_s:.2f}",
                            f"{copy_rate:,.0f}",
                            "1.00",
                            "",
                            per_1k(copy_pg, events),
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
                            per_1k(server_cpu, events),
                            per_1k(http_pg, events),
                        ]
                    )
            header = [
                "batch",
                "path",
                "events",
                "seconds",
                "events/s",
                "vs COPY",
                "server CPU ms/1k",
                "PG CPU ms/1k",
            ]
            print(table(results, header))


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--batch", type=int, action="append", dest="batches")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--server-workers", type=int, default=1, help="`ledger serve --workers N` (default 1)"
    )
    args = parser.parse_args()
    asyncio.run(
        main(args.events, args.batches or [1_000, 10_000], args.concurrency, args.server_workers)
    )
