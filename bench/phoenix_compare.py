"""Side by side with Arize Phoenix: the same OTLP GenAI spans into each, on the same PostgreSQL.

Phoenix is not a project dependency: it runs from a virtualenv of its own,

    python3 -m venv bench/.phoenix-venv
    bench/.phoenix-venv/bin/pip install arize-phoenix asyncpg
    DATABASE_URL=… REDIS_URL=… .venv/bin/python -m bench.phoenix_compare --spans 20480

Each round sends the same `--spans` LLM spans (512 per request, 5 per trace, gzip'd protobuf,
4 requests in flight) to `ledger serve` (a fresh database and tenant) and to `phoenix serve`
(a fresh database on the same server), the two alternating first. Reported per system:

- time until queryable: from the first request sent until every span can be read back in SQL
  (the ledger answers after its commit, so that is when its last answer arrived; Phoenix
  answers before it writes, so the table is polled every 20 ms until it holds them all);
- the latency of one aggregate, per model input and output tokens of all spans, in SQL on each
  system's own table (`usage_events` of the tenant; Phoenix's `spans`, tokens read from the
  span attributes), p50 and p95 of `--repeat` runs.

Fairness: Phoenix queues spans and writes them in the background, stores every attribute of
every span (and the whole trace tree); the ledger validates, prices, creates a run per trace and
commits before answering, and stores the metered fields only. Both run as one process on the
same 2 cores and PostgreSQL. The aggregate is SQL on each store (not each product's API).
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx

from app.db.urls import asyncpg_dsn
from bench.ack_bench import send
from bench.common import (
    command_line,
    free_port,
    fresh_database,
    percentile,
    scratch_database,
    servers,
    table,
)
from bench.ingest_growth import api_server, export_request, fresh_target

PHOENIX_VENV = Path(__file__).parent / ".phoenix-venv"
LEDGER_AGGREGATE = """
SELECT model, sum(input_tokens), sum(output_tokens) FROM usage_events
WHERE tenant_id = $1 GROUP BY model
"""
COUNT_SPANS = "SELECT count(*) FROM spans"
PHOENIX_AGGREGATE = """
SELECT attributes #>> '{gen_ai,request,model}' AS model,
       sum((attributes #>> '{gen_ai,usage,input_tokens}')::bigint),
       sum((attributes #>> '{gen_ai,usage,output_tokens}')::bigint)
FROM spans GROUP BY 1
"""


async def timed_queries(dsn: str, sql: str, args: tuple[object, ...], repeat: int) -> list[float]:
    conn = await asyncpg.connect(dsn)
    try:
        spent = []
        for _ in range(repeat):
            started = time.perf_counter()
            await conn.fetch(sql, *args)
            spent.append(time.perf_counter() - started)
        return spent
    finally:
        await conn.close()


async def ledger_round(admin_url: str, redis_url: str, spans: int, repeat: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            target = await fresh_target(db.settings, "ledger")
            bodies = [
                gzip.compress(export_request(4, r * 512, 512, target.workflow))
                for r in range(spans // 512)
            ]
            with api_server(db.settings) as base:
                started = time.perf_counter()
                await send(base, target.api_key, bodies, 4)
                queryable = time.perf_counter() - started
            dsn = asyncpg_dsn(db.settings.database_url or "")
            agg = await timed_queries(dsn, LEDGER_AGGREGATE, (target.tenant_id,), repeat)
            return [queryable, *agg]


async def phoenix_round(admin_url: str, venv: Path, spans: int, repeat: int) -> list[float]:
    async with scratch_database(admin_url, "phoenix_cmp") as url:
        return await phoenix_on(url, venv, spans, repeat)


async def phoenix_on(url: str, venv: Path, spans: int, repeat: int) -> list[float]:
    """Phoenix serving from the empty database `url`: (queryable seconds, aggregate ms...)."""
    dsn = asyncpg_dsn(url)
    port, grpc = free_port(), free_port()
    with tempfile.TemporaryDirectory() as workdir:
        env = {
            **os.environ,
            "PHOENIX_SQL_DATABASE_URL": url.replace("postgresql+asyncpg", "postgresql"),
            "PHOENIX_PORT": str(port),
            "PHOENIX_GRPC_PORT": str(grpc),
            "PHOENIX_WORKING_DIR": workdir,
        }
        process = subprocess.Popen(  # noqa: ASYNC220 — a server for the whole round
            [str(venv / "bin" / "phoenix"), "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            await _wait_for(base, process)
            bodies = [
                gzip.compress(export_request(5, r * 512, 512, "phoenix"))
                for r in range(spans // 512)
            ]
            conn = await asyncpg.connect(dsn)
            started = time.perf_counter()
            await send(base, None, bodies, 4)
            expected = len(bodies) * 512
            # Phoenix writes after answering: poll its table (another system's, no event to wait on)
            while await conn.fetchval(COUNT_SPANS) < expected:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
            queryable = time.perf_counter() - started
            await conn.close()
            agg = await timed_queries(dsn, PHOENIX_AGGREGATE, (), repeat)
            return [queryable, *agg]
        finally:
            process.terminate()
            process.wait(timeout=30)


async def _wait_for(base: str, process: subprocess.Popen[bytes], limit_s: float = 600) -> None:
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(timeout=2) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError("phoenix serve exited before serving")
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(1)
    raise RuntimeError("phoenix serve did not start")


async def main(args: argparse.Namespace) -> None:
    venv = Path(args.phoenix_venv)
    if not (venv / "bin" / "phoenix").exists():
        raise SystemExit(f"no Phoenix in {venv}: see this module's docstring")
    results: dict[str, list[list[float]]] = {"ledger": [], "phoenix": []}
    with servers() as (admin_url, redis_url):
        for round_ in range(args.rounds):
            order = ["ledger", "phoenix"] if round_ % 2 == 0 else ["phoenix", "ledger"]
            for system in order:
                if system == "ledger":
                    got = await ledger_round(admin_url, redis_url, args.spans, args.repeat)
                else:
                    got = await phoenix_round(admin_url, venv, args.spans, args.repeat)
                results[system].append(got)
                print(f"round {round_ + 1} {system}: queryable after {got[0]:.2f} s", flush=True)
    rows = []
    for system, rounds in results.items():
        queryable = statistics.median(r[0] for r in rounds)
        aggregates = sorted(x for r in rounds for x in r[1:])
        rows.append(
            [
                system,
                f"{queryable:.2f}",
                f"{percentile(aggregates, 0.5) * 1000:.1f}",
                f"{percentile(aggregates, 0.95) * 1000:.1f}",
            ]
        )
    print(f"{args.spans:,} spans, 512 per request, 4 in flight, {args.rounds} round(s)")
    print(table(rows, ["system", "queryable s (median)", "aggregate p50 ms", "p95 ms"]))


if __name__ == "__main__":
    parser = command_line(__doc__)
    parser.add_argument("--spans", type=int, default=20_480)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--phoenix-venv", default=str(PHOENIX_VENV))
    asyncio.run(main(parser.parse_args()))
