"""Read benchmark: GraphQL through `ledger serve` vs a hand-written Starlette endpoint.

The tenant is seeded with the demo agency (`app.demo.seed.seed_demo`: clients, workflows with
ladders, prices, runs, usage, labels, outcomes, revenue) at `--days` × `--runs-per-day`. Two reads:

- dashboard (OWNER token): every workflow's costPerOutcome, failureCostShare and ladderCosts over
  the last 30 days;
- client viewer (CLIENT_VIEWER token of one client): that client's costPerOutcome of one workflow.

The floor is `bench/handwritten_app.py` under uvicorn in another subprocess on the same database:
the same service SQL, the same role and row-level security, the same batching, hand-built JSON.
Both bodies are asserted equal once before timing. Then N sequential requests and N requests at
`--concurrency`, for each path: p50, p99 (ms), requests/s, and GraphQL/hand-written ratios.

    .venv/bin/python -m bench.read_bench                                # 30 days × 40 runs/day
    .venv/bin/python -m bench.read_bench --days 90 --runs-per-day 500 --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.sessions import TenantSessions, create_engine
from app.db.urls import asyncpg_dsn
from app.demo.seed import seed_demo
from app.services.tenants import create_tenant
from app.settings import Settings
from bench.common import api_server, free_port, fresh_database, percentile, servers, table

DASHBOARD = """
query Dashboard($range: TimeRange!) {
  workflows {
    key
    costPerOutcome(range: $range) {
      attempts acceptedOutcomes pendingOutcomes totalCost costPerAttempt costPerOutcome
      successRate failureCostShare
    }
    failureCostShare(range: $range) {
      totalCost failedCost share byStatus { status runs cost share }
    }
    ladderCosts(range: $range) {
      rung position count totalCost costPerRung conversionFromPrevious
    }
  }
}
"""

CLIENT = """
query ClientView($id: ID!, $workflow: String!, $range: TimeRange!) {
  client(id: $id) {
    costPerOutcome(workflowKey: $workflow, range: $range) {
      attempts acceptedOutcomes pendingOutcomes totalCost costPerAttempt costPerOutcome
      successRate failureCostShare
    }
  }
}
"""


@contextlib.contextmanager
def handwritten_server(settings: Settings, tenant_id: uuid.UUID) -> Iterator[str]:
    """bench.handwritten_app under uvicorn in a subprocess; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "LEDGER_DATA_DIR": str(settings.data_dir),
        "LEDGER_LOG_LEVEL": "WARNING",
        "BENCH_TENANT_ID": str(tenant_id),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", "bench.handwritten_app:create_app"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"{base}/nothing", timeout=1)
                break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the hand-written server did not start")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def seed(settings: Settings, days: int, runs_per_day: int, now: datetime) -> Any:
    engine = create_engine(settings, pool_size=2)
    sessions = TenantSessions(engine)
    try:
        tenant_id = await create_tenant(sessions=sessions, name="read-bench")
        return await seed_demo(
            sessions=sessions, tenant_id=tenant_id, now=now, days=days, runs_per_day=runs_per_day
        )
    finally:
        await engine.dispose()


Call = Callable[[httpx.AsyncClient], Awaitable[dict[str, Any]]]


async def timed(client: httpx.AsyncClient, call: Call, n: int, concurrency: int) -> list[float]:
    """Latencies (ms) of n calls, `concurrency` at a time; plus the wall time as the last item."""
    limit = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def one() -> None:
        async with limit:
            started = time.perf_counter()
            await call(client)
            latencies.append((time.perf_counter() - started) * 1000)

    for _ in range(10):  # warm the server's pool, caches and plans
        await call(client)
    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return [*sorted(latencies), time.perf_counter() - started]


async def main(days: int, runs_per_day: int, n: int, concurrency: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    window = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            started = time.perf_counter()
            summary = await seed(db.settings, days, runs_per_day, now)
            print(f"seeded {days} days × {runs_per_day} runs/day in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            # Fresh tables have no statistics until autovacuum gets to them; measure with them.
            conn = await asyncpg.connect(asyncpg_dsn(db.settings.database_url or ""))
            await conn.execute("ANALYZE")
            await conn.close()
            tenant_id = summary.tenant_id
            client_id = next(iter(summary.clients.values()))
            workflow = summary.workflows[0]
            owner = issue_token(db.settings, tenant_id=tenant_id, role=Role.OWNER)
            viewer = issue_token(
                db.settings, tenant_id=tenant_id, role=Role.CLIENT_VIEWER, client_id=client_id
            )

            async def gql(c: httpx.AsyncClient, query: str, token: str, v: Any) -> dict[str, Any]:
                r = await c.post(
                    "/graphql",
                    json={"query": query, "variables": v},
                    headers={"Authorization": f"Bearer {token}"},
                )
                r.raise_for_status()
                body: dict[str, Any] = r.json()
                assert "errors" not in body, body
                return body

            async def rest(c: httpx.AsyncClient, path: str, params: Any) -> dict[str, Any]:
                r = await c.get(path, params=params)
                r.raise_for_status()
                body: dict[str, Any] = r.json()
                return body

            client_vars = {"id": str(client_id), "workflow": workflow, "range": window}
            client_params = {"id": str(client_id), "workflow": workflow, **window}
            reads: dict[str, tuple[Call, Call]] = {
                "dashboard": (
                    lambda c: gql(c, DASHBOARD, owner, {"range": window}),
                    lambda c: rest(c, "/dashboard", window),
                ),
                "client viewer": (
                    lambda c: gql(c, CLIENT, viewer, client_vars),
                    lambda c: rest(c, "/client", client_params),
                ),
            }
            rows: list[list[str]] = []
            with (
                api_server(db.settings) as gql_base,
                handwritten_server(db.settings, tenant_id) as hand_base,
            ):
                async with (
                    httpx.AsyncClient(base_url=gql_base, timeout=60) as g,
                    httpx.AsyncClient(base_url=hand_base, timeout=60) as h,
                ):
                    for name, (via_gql, via_hand) in reads.items():
                        expected, got = await via_gql(g), await via_hand(h)
                        assert expected == got, f"{name}: bodies differ\n{expected}\n{got}"
                        print(f"{name}: identical bodies, {len(str(got)):,} characters")
                        for conc in (1, concurrency):
                            results = {}
                            for label, client, call in (
                                ("GraphQL (ledger serve)", g, via_gql),
                                ("hand-written", h, via_hand),
                            ):
                                *lat, wall = await timed(client, call, n, conc)
                                results[label] = (percentile(lat, 0.5), percentile(lat, 0.99),
                                                  n / wall)  # fmt: skip
                            hand = results["hand-written"]
                            for label, (p50, p99, rps) in results.items():
                                rows.append([name, f"x{conc}", label, f"{p50:.1f}", f"{p99:.1f}",
                                             f"{rps:.1f}", f"{hand[0] / p50:.2f}",
                                             f"{rps / hand[2]:.2f}"])  # fmt: skip
            header = ["read", "conc", "path", "p50 ms", "p99 ms", "req/s", "p50 ratio", "rps ratio"]
            print(f"{n} requests per row; ratios are path / hand-written (1.00 = the floor)")
            print(table(rows, header))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs-per-day", type=int, default=40)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.days, args.runs_per_day, args.requests, args.concurrency))
