"""Drill: move a tenant to the other Citus worker while it ingests; nothing is lost.

    .venv/bin/python -m bench.drills.citus_move \\
        --coordinator postgresql://postgres@HOST:9700/postgres \\
        --workers HOST:9701,HOST:9702 --redis redis://HOST:6379/9

A fresh database on the cluster (`app.db.citus.prepare_database`, `ledger migrate`), one tenant
(bench.common.make_tenant), a `ledger serve` process. A client posts batches of `--runs` runs with
two usage events each (a reported TOOL cost and a priced LLM call) to `/v1/events`, retrying a
failed batch (the same event ids: replays are idempotent). After `--before` seconds the tenant's
shard group is moved to the other worker with `app.db.citus.move_tenant` (block_writes, then
`ledger_citus_shard_defaults()`); the client keeps posting for `--after` seconds. Checks, exit 1
on any failure: every acknowledged run and usage event is stored once; `run_costs` equals the
recomputation from raw usage (sum and count per correlation id); no batch failed during or
after the move. `--skip-defaults` moves with `citus_move_shard_placement` alone (no
`ledger_citus_shard_defaults()`): since migration 0020 the moved shards fill their identity
columns without it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.db.citus import (
    move_tenant,
    parse_workers,
    prepare_database,
    tenant_node,
)
from app.db.urls import asyncpg_dsn
from app.migrate import upgrade
from app.settings import Settings
from bench.common import PRICE, api_server, command_line, drop_database, make_tenant

MISMATCH = """
SELECT count(*) FROM (
    SELECT correlation_id, sum(cost) AS cost, count(*) AS events FROM usage_events
    WHERE tenant_id = $1 AND correlation_id IS NOT NULL GROUP BY correlation_id
) raw FULL JOIN (SELECT correlation_id, cost, events FROM run_costs WHERE tenant_id = $1) kept
USING (correlation_id)
WHERE raw.cost IS DISTINCT FROM kept.cost OR raw.events IS DISTINCT FROM kept.events
"""


def batch(prefix: str, n: int, runs: int) -> list[dict[str, Any]]:
    started = datetime.now(UTC) - timedelta(hours=1)
    records: list[dict[str, Any]] = []
    for i in range(runs):
        corr = f"{prefix}-{n}-{i}"
        records += [
            {"type": "run", "correlationId": corr, "workflowKey": "outreach",
             "startedAt": started.isoformat()},
            {"type": "usage", "eventId": f"{corr}-tool", "correlationId": corr,
             "workflowKey": "outreach", "kind": "TOOL",
             "occurredAt": (started + timedelta(seconds=5)).isoformat(), "cost": "0.0100"},
            {"type": "usage", "eventId": f"{corr}-llm", "correlationId": corr,
             "workflowKey": "outreach", "kind": "LLM",
             "provider": PRICE.provider, "model": PRICE.model,
             "occurredAt": (started + timedelta(seconds=30)).isoformat(),
             "inputTokens": 1000, "outputTokens": 200},
        ]  # fmt: skip
    return records


async def drill(args: argparse.Namespace) -> int:
    workers = parse_workers(args.workers)
    name = f"ledger_move_{uuid.uuid4().hex[:8]}"
    await prepare_database(args.coordinator, name, workers)
    url = make_url(args.coordinator).set(database=name).render_as_string(hide_password=False)
    status = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(env="test", database_url=url, redis_url=args.redis,
                                data_dir=Path(tmp), log_level="WARNING")  # fmt: skip
            await asyncio.to_thread(upgrade, settings)
            tenant = await make_tenant(settings, "move drill")
            conn = await asyncpg.connect(asyncpg_dsn(url))
            _, host, port = await tenant_node(conn, str(tenant.tenant_id))
            target = next(w for w in workers if w != (host, port))
            print(f"tenant {tenant.tenant_id} on {host}:{port}; moving to {target[0]}:{target[1]}")
            acked_runs = acked_usage = 0
            failed = {"before": 0, "during": 0, "after": 0}
            move_started: float | None = None
            latencies: list[float] = []
            moved_at: float | None = None
            stop = asyncio.Event()
            headers = {"Authorization": f"Bearer {tenant.api_key}"}
            json_type = {"Content-Type": "application/json"}
            with api_server(settings) as base:
                async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as c:

                    async def client() -> None:
                        nonlocal acked_runs, acked_usage
                        n = 0
                        while not stop.is_set():
                            body = json.dumps(batch("m", n, args.runs))
                            t = time.perf_counter()
                            try:
                                r = await c.post("/v1/events", content=body, headers=json_type)
                                error = None if r.status_code == 200 else r.text[:200]
                            except httpx.TransportError as e:  # the client retries the batch
                                error = repr(e)
                            latencies.append(1000 * (time.perf_counter() - t))
                            if error is None:
                                acked_runs += args.runs
                                acked_usage += 2 * args.runs
                                n += 1
                                continue
                            phase = ("before" if move_started is None
                                     else "during" if moved_at is None else "after")  # fmt: skip
                            failed[phase] += 1
                            if failed[phase] == 1:
                                print(f"a batch failed {phase} the move: {error}")
                            await asyncio.sleep(0.2)

                    task = asyncio.create_task(client())
                    await asyncio.sleep(args.before)
                    move_started = time.perf_counter()
                    if args.skip_defaults:
                        shard, _, _ = await tenant_node(conn, str(tenant.tenant_id))
                        t = time.perf_counter()
                        await conn.execute(
                            "SELECT citus_move_shard_placement($1, $2, $3, $4, $5, "
                            "shard_transfer_mode => 'block_writes')",
                            shard, host, port, target[0], target[1],
                        )  # fmt: skip
                        seconds = time.perf_counter() - t
                    else:
                        seconds = await move_tenant(url, str(tenant.tenant_id), target)
                    moved_at = time.perf_counter()
                    _, now_host, now_port = await tenant_node(conn, str(tenant.tenant_id))
                    print(f"moved in {seconds:.1f} s; the tenant is on {now_host}:{now_port}")
                    await asyncio.sleep(args.after)
                    stop.set()
                    await task
            tid = tenant.tenant_id
            runs = await conn.fetchval("SELECT count(*) FROM runs WHERE tenant_id = $1", tid)
            usage = await conn.fetchval(
                "SELECT count(*) FROM usage_events WHERE tenant_id = $1", tid
            )
            mismatched = await conn.fetchval(MISMATCH, tid)
            await conn.close()
            latencies.sort()
            print(
                f"acknowledged {acked_runs:,} runs / {acked_usage:,} usage events; stored "
                f"{runs:,} / {usage:,}; run_costs rows differing from raw usage: {mismatched}"
            )
            print(f"batches: {len(latencies)}, median {statistics.median(latencies):.0f} ms, "
                  f"slowest {latencies[-1]:.0f} ms; failed (retried) before / during / after the "
                  f"move: {failed['before']} / {failed['during']} / {failed['after']}")  # fmt: skip
            if (runs, usage) != (acked_runs, acked_usage) or mismatched:
                print("FAIL: stored rows differ from what was acknowledged")
                status = 1
            if failed["during"] or failed["after"]:
                print("FAIL: batches failed during or after the move")
                status = 1
            if (now_host, now_port) != target:
                print("FAIL: the tenant did not move")
                status = 1
    finally:
        await drop_database(args.coordinator, name, workers)
    print("PASS" if status == 0 else "FAILED")
    return status


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--coordinator", required=True, help="owner URL of the coordinator")
    parser.add_argument("--workers", required=True, help="host:port,host:port")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--runs", type=int, default=50, help="runs per batch")
    parser.add_argument("--before", type=float, default=10, help="seconds of ingest before")
    parser.add_argument("--after", type=float, default=10, help="seconds of ingest after")
    parser.add_argument("--skip-defaults", action="store_true")
    sys.exit(asyncio.run(drill(parser.parse_args())))
