"""Read benchmark: GraphQL through `ledger serve` vs a hand-written Starlette endpoint.

The tenant is seeded with the demo agency (`app.demo.seed.seed_demo`: clients, workflows with
ladders, prices, runs, usage, labels, outcomes, revenue) at `--days` × `--runs-per-day`, or, with
`--generated NAME`, is the tenant of a database kept by `bench.generate --database NAME` (read
in place, nothing written). Two reads:

- dashboard (OWNER token): every workflow's costPerOutcome, failureCostShare and ladderCosts over
  the last 30 days, and its readiness (without evaluatedAt, the request's own clock);
- client viewer (CLIENT_VIEWER token of one client): that client's costPerOutcome and roi of one
  workflow over the last 30 days (the client and workflow with the most runs).

The floor is `bench/handwritten_app.py` under uvicorn in another subprocess on the same database:
the same service SQL, the same role and row-level security, the same batching, hand-built JSON.
Both bodies are compared before timing and the run fails if they differ (up to three tries: a
run can leave the 30-day window between the two requests). Readiness's cost bound and drift
figures (and so its blocker sentences) follow the request's clock to the millisecond (24-hour
buckets counted from now − 30 days): those are compared by type only, everything else exactly.
Then N sequential requests and N requests at `--concurrency`, for each path: p50, p99 (ms),
requests/s, GraphQL/hand-written ratios, and each server's resident memory (RSS after the row,
and its peak).

    .venv/bin/python -m bench.read_bench                                # 30 days × 40 runs/day
    .venv/bin/python -m bench.read_bench --days 90 --runs-per-day 500 --requests 400
    DATABASE_URL=… REDIS_URL=… .venv/bin/python -m bench.read_bench --generated ledger_gen_1m
    .venv/bin/python -m bench.read_bench --executor-rounds 7                # the executor alone

`--executor-rounds R` measures the GraphQL executor's leaf shortcut on its own instead: two
`ledger serve` processes on the same data, one with `LEDGER_FAST_EXECUTOR=1` and one with `=0`,
their bodies compared first, then R rounds of `--requests` sequential requests per read, the two
servers in alternating order each round (interleaved: a slower minute hits both); it prints each
server's median of the round p50s and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.sessions import tenant_sessions
from app.demo.seed import seed_demo
from app.services.tenancy.tenants import create_tenant
from app.settings import Settings
from bench.common import (
    analyze,
    api_process,
    api_server,
    command_line,
    cpu_seconds,
    free_port,
    fresh_database,
    graphql,
    owner_connection,
    percentile,
    print_timings,
    servers,
)
from bench.generate import open_generated

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
    readiness {
      workflowKey currentLevel targetLevel ready blockers
      quality { status observed bound threshold sampleSize detail }
      cost { status observed bound threshold sampleSize detail }
      drift { status observed bound threshold sampleSize detail }
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
    roi(workflowKey: $workflow, range: $range) {
      cost successes costPerSuccess attributedRevenue unattributedRevenue baselineRevenue
      lift roi complete
    }
  }
}
"""

BUSIEST = """
SELECT r.client_id, w.key FROM runs r JOIN workflows w USING (tenant_id, workflow_id)
WHERE r.tenant_id = $1 AND r.client_id IS NOT NULL AND r.started_at >= $2
GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2 LIMIT 1
"""


async def busiest_client(
    settings: Settings, tenant_id: uuid.UUID, now: datetime
) -> tuple[uuid.UUID, str, str, str]:
    """The (client, workflow) with the most runs in the last 30 days, an OWNER token and that
    client's CLIENT_VIEWER token."""
    # the owner connection bypasses row-level security; the tenant is explicit
    async with owner_connection(settings.database_url or "") as conn:
        busiest = await conn.fetchrow(BUSIEST, tenant_id, now - timedelta(days=30))
    client_id = busiest["client_id"]
    owner = issue_token(settings, tenant_id=tenant_id, role=Role.OWNER)
    viewer = issue_token(
        settings, tenant_id=tenant_id, role=Role.CLIENT_VIEWER, client_id=client_id
    )
    return client_id, busiest["key"], owner, viewer


def rss_mb(port: int) -> tuple[float, float]:
    """(current, peak) resident memory in MB of the process serving on `port` (Linux /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if b"--port" in argv and str(port).encode() in argv:
                status = dict(
                    line.split(":", 1) for line in (entry / "status").read_text().splitlines()
                )
                return (int(status["VmRSS"].split()[0]) / 1024,
                        int(status["VmHWM"].split()[0]) / 1024)  # fmt: skip
    return float("nan"), float("nan")


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
    async with tenant_sessions(settings, pool_size=2) as sessions:
        tenant_id = await create_tenant(sessions=sessions, name="read-bench")
        return await seed_demo(
            sessions=sessions, tenant_id=tenant_id, now=now, days=days, runs_per_day=runs_per_day
        )


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


@contextlib.asynccontextmanager
async def tenant_database(args: argparse.Namespace, now: datetime) -> AsyncIterator[Tenant]:
    """The database and tenant to read: seeded from the demo agency, or a generated one."""
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        if args.generated:
            generated = await open_generated(
                args.generated, admin_url=admin_url, redis_url=redis_url, data_dir=Path(tmp)
            )
            rows = generated.manifest["rows"]
            print(f"generated database {args.generated}: {rows['runs']:,} runs, "
                  f"{rows['usage_events']:,} usage events, data up to "
                  f"{generated.manifest['now']}")  # fmt: skip
            yield Tenant(generated.settings, generated.tenant_id)
            return
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            started = time.perf_counter()
            summary = await seed(db.settings, args.days, args.runs_per_day, now)
            print(f"seeded {args.days} days × {args.runs_per_day} runs/day in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            # Fresh tables have no statistics until autovacuum gets to them; measure with them.
            await analyze(db.settings.database_url or "")
            yield Tenant(db.settings, summary.tenant_id)


@dataclass(frozen=True)
class Tenant:
    settings: Settings
    tenant_id: uuid.UUID


async def main(args: argparse.Namespace) -> None:
    n, concurrency = args.requests, args.concurrency
    now = datetime.now(UTC).replace(microsecond=0)
    window = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}
    async with tenant_database(args, now) as tenant:
        settings, tenant_id = tenant.settings, tenant.tenant_id
        client_id, workflow, owner, viewer = await busiest_client(settings, tenant_id, now)

        async def rest(c: httpx.AsyncClient, path: str, params: Any) -> dict[str, Any]:
            r = await c.get(path, params=params)
            r.raise_for_status()
            body: dict[str, Any] = r.json()
            return body

        client_vars = {"id": str(client_id), "workflow": workflow, "range": window}
        client_params = {"id": str(client_id), "workflow": workflow, **window}
        reads: dict[str, tuple[Call, Call]] = {
            "dashboard": (
                lambda c: graphql(c, DASHBOARD, owner, {"range": window}),
                lambda c: rest(c, "/dashboard", window),
            ),
            "client viewer": (
                lambda c: graphql(c, CLIENT, viewer, client_vars),
                lambda c: rest(c, "/client", client_params),
            ),
        }
        if args.only:
            reads = {args.only: reads[args.only]}
        if args.executor_rounds:
            await compare_executors(settings, reads, n, args.executor_rounds)
            return
        rows: list[list[str]] = []
        with (
            api_server(settings) as gql_base,
            handwritten_server(settings, tenant_id) as hand_base,
        ):
            ports = {
                "GraphQL (ledger serve)": port_of(gql_base),
                "hand-written": port_of(hand_base),
            }
            async with (
                httpx.AsyncClient(base_url=gql_base, timeout=120) as g,
                httpx.AsyncClient(base_url=hand_base, timeout=120) as h,
            ):
                for name, (via_gql, via_hand) in reads.items():
                    for attempt in range(3):
                        expected, got = await via_gql(g), await via_hand(h)
                        # Equal in every value; a retry covers a UTC midnight falling
                        # between the two requests (readiness reads whole UTC days).
                        if expected == got:
                            break
                        where = "; ".join(differences(expected, got)[:5])
                        print(f"{name}: bodies differ (attempt {attempt + 1}): {where}")
                    else:
                        raise SystemExit(f"{name}: bodies differ")
                    print(f"{name}: identical bodies, {len(json.dumps(got)):,} characters")
                    for conc in (1, concurrency):
                        results = {}
                        for label, client, call in (
                            ("GraphQL (ledger serve)", g, via_gql),
                            ("hand-written", h, via_hand),
                        ):
                            *lat, wall = await timed(client, call, n, conc)
                            results[label] = (percentile(lat, 0.5), percentile(lat, 0.99),
                                              n / wall, rss_mb(ports[label]))  # fmt: skip
                        hand = results["hand-written"]
                        for label, (p50, p99, rps, (rss, peak)) in results.items():
                            figures = [f"{p50:.1f}", f"{p99:.1f}", f"{rps:.1f}"]
                            ratios = [f"{hand[0] / p50:.2f}", f"{rps / hand[2]:.2f}"]
                            memory = f"{rss:.0f} / {peak:.0f}"
                            rows.append([name, f"x{conc}", label, *figures, *ratios, memory])
        header = ["read", "conc", "path", "p50 ms", "p99 ms", "req/s", "p50 ratio", "rps ratio",
                  "RSS / peak MB"]  # fmt: skip
        print(f"{n} requests per row; ratios are hand-written p50 / path p50 and path req/s / "
              "hand-written req/s (1.00 = the floor)")  # fmt: skip
        print_timings(rows, header)


async def compare_executors(
    settings: Settings, reads: dict[str, tuple[Call, Call]], n: int, rounds: int
) -> None:
    """The leaf shortcut on and off (LEDGER_FAST_EXECUTOR), interleaved (see the docstring).

    Per round and server: the p50 latency and the server process's CPU per request (what the
    executor changes; latency on a busy machine also carries everyone else's load)."""
    modes = {"shortcut": "1", "graphql-core": "0"}
    with contextlib.ExitStack() as stack:
        procs = {
            mode: stack.enter_context(api_process(settings, {"LEDGER_FAST_EXECUTOR": flag}))
            for mode, flag in modes.items()
        }
        clients = {
            mode: httpx.AsyncClient(base_url=base, timeout=120) for mode, (base, _) in procs.items()
        }
        try:
            rows = []
            for name, (via_gql, _) in reads.items():
                a, b = [await via_gql(c) for c in clients.values()]
                if a != b:
                    raise SystemExit(f"{name}: bodies differ: {differences(a, b)[:5]}")
                p50s: dict[str, list[float]] = {mode: [] for mode in modes}
                cpus: dict[str, list[float]] = {mode: [] for mode in modes}
                for r in range(rounds):
                    order = list(modes) if r % 2 == 0 else list(reversed(modes))
                    for mode in order:
                        pid = procs[mode][1].pid
                        before = cpu_seconds(pid)
                        *lat, _wall = await timed(clients[mode], via_gql, n, 1)
                        cpus[mode].append((cpu_seconds(pid) - before) * 1000 / (n + 10))
                        p50s[mode].append(percentile(lat, 0.5))
                fast, plain = (statistics.median(p50s[m]) for m in modes)
                fast_cpu, plain_cpu = (statistics.median(cpus[m]) for m in modes)
                saved = plain_cpu - fast_cpu
                figures = [fast_cpu, plain_cpu, saved, fast, plain]
                rows.append([name, *(f"{v:.1f}" for v in figures)])
                for mode in modes:
                    print(f"{name}, {mode}: round CPU ms/request "
                          + " ".join(f"{v:.1f}" for v in cpus[mode])
                          + "; round p50 ms " + " ".join(f"{v:.1f}" for v in p50s[mode]),
                          flush=True)  # fmt: skip
        finally:
            for client in clients.values():
                await client.aclose()
    print(f"{rounds} interleaved rounds of {n} sequential requests per server; medians of the "
          "rounds (server CPU per request, and p50 latency)")  # fmt: skip
    header = ["read", "CPU ms shortcut", "CPU ms graphql-core", "CPU ms saved",
              "p50 ms shortcut", "p50 ms graphql-core"]  # fmt: skip
    print_timings(rows, header)


def differences(a: Any, b: Any, path: str = "") -> list[str]:
    """Where two JSON values differ, as "path: a != b" lines."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = []
        for key in sorted(set(a) | set(b)):
            found += differences(a.get(key), b.get(key), f"{path}.{key}")
        return found
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in differences(x, y, f"{path}[{i}]")]  # fmt: skip
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--runs-per-day", type=int, default=40)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--generated", help="read the database kept by bench.generate --database")
    parser.add_argument("--only", choices=("dashboard", "client viewer"))
    parser.add_argument(
        "--executor-rounds",
        type=int,
        default=0,
        help="measure the executor's leaf shortcut on and off instead, in this many rounds",
    )
    asyncio.run(main(parser.parse_args()))
