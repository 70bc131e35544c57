"""Growth benchmark: `/v1/traces` and `/v1/events` while a tenant fills from empty (or from 1M).

A cost that grows with the tenant (a plan that reads the tenant's runs once per record, a
statement that goes wrong on a table that grew since its last ANALYZE) is invisible to a
benchmark that writes into an empty tenant. This one keeps writing into the same two tenants of
a freshly migrated database (never analysed by hand: as a new deployment sees it) and reports
the throughput of every step, side by side:

- `/v1/traces`: OTLP protobuf + gzip, `--batch` spans per request (the OTel SDK's default 512),
  5 spans per trace, so ~100 new runs per request; decoding, mapping, a run per trace, pricing,
  the idempotent insert and the commit — everything an exporter waits for;
- `/v1/events`: the same usage and run records as JSON (mapped exactly as /v1/traces maps them),
  into a tenant of its own, same batch and concurrency.

Steps alternate between the two paths (OTLP step k, then events step k), so both meet the same
table sizes and the same machine load. Requests go `--concurrency` at a time to one `ledger
serve` process. The figure to hold: each path's last step within 20 % of its first.

    .venv/bin/python -m bench.ingest_growth                          # 0 → 200k runs per tenant
    .venv/bin/python -m bench.ingest_growth --runs 20000 --step-runs 2000
    DATABASE_URL=… REDIS_URL=… .venv/bin/python -m bench.ingest_growth \\
        --generated ledger_gen_1m --runs 50000                     # into the 1M-run tenant

With `--cpu` each step also shows the CPU per request of the `ledger serve` process and of the
database's server processes (from /proc, so the database server must run on this machine): the
measure that moves least with the machine's load, where wall time on a shared machine moves
with everything else running.

With `--realistic` every span also carries a provider response id and a parent span id (its
trace's agent span), as instrumentations send them: the provider-call claims then key calls by
response id and look up stored parents and children of every span.

With `--generated NAME` both paths write into the 1M-run tenant of `bench.generate` (a
workflow `ingest-growth` and a price of its own are added; the rows stay: regenerate the
database for read benchmarks afterwards). With `--new-tenants` too they write into two new
tenants of that database: a new customer of a deployment whose tables were analysed before it
existed (the statistics hold only the big tenant until a table grows by a fifth).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gzip
import itertools
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from app.db.sessions import TenantSessions, create_engine
from app.ingest.otlp_decode import JSON, PROTOBUF
from app.migrate import upgrade
from app.services.pricing.prices import set_model_price
from app.services.tenancy.tenants import create_api_key
from app.services.tenancy.workflows import upsert_workflow
from app.settings import Settings
from bench.common import (
    PRICE,
    api_process,
    backend_cpu,
    command_line,
    cpu_seconds,
    events_body,
    fresh_database,
    make_tenant,
    owner_connection,
    servers,
    table,
)
from bench.otlp_bench import fill_genai_span

SPANS_PER_RUN = 5
T0_NS = 1_790_000_000_000_000_000  # 2026-09-21
GROWTH_PRICE = dataclasses.replace(PRICE, provider="growthco", model="growth-1")


@dataclasses.dataclass
class Target:
    """One tenant a path writes into: its API key, and the workflow key its spans name."""

    name: str
    tenant_id: uuid.UUID
    api_key: str
    workflow: str


def export_request(
    prefix: int, first_span: int, size: int, workflow: str, realistic: bool = False
) -> bytes:
    """One OTLP export of `size` LLM spans (5 per trace), ids unique per (prefix, span).

    `realistic`: each span also carries what instrumentations send, a provider response id and a
    parent span id (its trace's agent span, which is not exported: it ends after its calls)."""
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="ledger.workflow").value.string_value = workflow
    spans = resource_spans.scope_spans.add().spans
    for i in range(first_span, first_span + size):
        fill_genai_span(
            spans.add(),
            trace=prefix << 64 | (i // SPANS_PER_RUN + 1),
            span=prefix << 40 | (i + 1),
            start_ns=T0_NS + i * 200_000_000,
            provider=GROWTH_PRICE.provider,
            model=GROWTH_PRICE.model,
            i=i,
        )
        if realistic:
            span = spans[-1]
            span.parent_span_id = (prefix << 40 | 1 << 39 | (i // SPANS_PER_RUN + 1)).to_bytes(
                8, "big"
            )
            span.attributes.add(key="gen_ai.response.id").value.string_value = f"msg_{prefix}_{i}"
    return request.SerializeToString()


async def post_all(
    client: httpx.AsyncClient, path: str, key: str, bodies: list[bytes], concurrency: int
) -> float:
    """Send every body, `concurrency` at a time; the wall-clock seconds it took."""
    headers = {"Authorization": f"Bearer {key}"}
    if path == "/v1/traces":
        headers |= {"Content-Type": PROTOBUF, "Content-Encoding": "gzip"}
    else:
        headers |= {"Content-Type": JSON}
    queue = list(reversed(bodies))

    async def sender() -> None:
        while queue:
            body = queue.pop()
            response = await client.post(path, content=body, headers=headers)
            if response.status_code != 200 or (path == "/v1/traces" and response.content):
                raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")

    started = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    return time.perf_counter() - started


async def tenant_runs(database_url: str, tenant_id: uuid.UUID) -> int:
    """The tenant's stored runs (read as the database owner)."""
    async with owner_connection(database_url) as conn:
        return int(await conn.fetchval("SELECT count(*) FROM runs WHERE tenant_id = $1", tenant_id))


async def analyse_counts(database_url: str) -> list[tuple[str, int]]:
    """ANALYZEs of each table of the database so far (by the ingest path's tiers or by
    autovacuum), the tables analysed at least once."""
    async with owner_connection(database_url) as conn:
        rows = await conn.fetch(
            "SELECT relname::text, analyze_count + autoanalyze_count AS n FROM pg_stat_user_tables"
            " WHERE analyze_count + autoanalyze_count > 0 ORDER BY n DESC, relname"
        )
        return [(row["relname"], int(row["n"])) for row in rows]


async def growth_target(settings: Settings, tenant_id: uuid.UUID, name: str) -> Target:
    """A workflow, a price and an API key of their own in an existing (generated) tenant."""
    engine = create_engine(settings, pool_size=2)
    sessions = TenantSessions(engine)
    workflow = f"ingest-growth-{name}"
    try:
        async with sessions(tenant_id) as session:
            await upsert_workflow(
                session=session, tenant_id=tenant_id, key=workflow, name=f"Ingest growth {name}"
            )
            await set_model_price(session=session, tenant_id=tenant_id, price=GROWTH_PRICE)
        key = await create_api_key(
            sessions=sessions, tenant_id=tenant_id, name=f"growth-{name}", scopes=["ingest"]
        )
        return Target(name, tenant_id, key.key, workflow)
    finally:
        await engine.dispose()


async def fresh_target(settings: Settings, name: str) -> Target:
    tenant = await make_tenant(settings, name)
    return await growth_target(settings, tenant.tenant_id, name)


@asynccontextmanager
async def targets(args: argparse.Namespace) -> AsyncIterator[tuple[Settings, list[Target]]]:
    """(settings of the database, [traces target, events target])."""
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        if args.generated:
            from bench.generate import open_generated

            gen = await open_generated(
                args.generated, admin_url=admin_url, redis_url=redis_url, data_dir=Path(tmp)
            )
            await asyncio.to_thread(upgrade, gen.settings)  # the generator may predate a revision
            found = [
                await fresh_target(gen.settings, f"{name}-{uuid.uuid4().hex[:6]}")
                if args.new_tenants
                else await growth_target(
                    gen.settings, gen.tenant_id, f"{name}-{uuid.uuid4().hex[:6]}"
                )
                for name in ("traces", "events")
            ]
            yield gen.settings, found
            return
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            found = [await fresh_target(db.settings, name) for name in ("traces", "events")]
            yield db.settings, found


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[tuple[str, int]]:
    """`ledger serve` in a subprocess, given up to 5 minutes to start on a loaded machine;
    (its base URL, its pid)."""
    with api_process(settings, start_timeout=300, stop_timeout=30) as (base, process):
        yield base, process.pid


@contextlib.contextmanager
def api_server(settings: Settings) -> Iterator[str]:
    """`serving`'s base URL."""
    with serving(settings) as (base, _):
        yield base


@dataclasses.dataclass
class CpuMeter:
    """CPU per request of the `ledger serve` process and of the database's server processes."""

    database_url: str
    server_pid: int

    async def snapshot(self) -> tuple[float, dict[int, float]]:
        return cpu_seconds(self.server_pid), await backend_cpu(self.database_url)

    @staticmethod
    def spent(
        before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]]
    ) -> tuple[float, float]:
        """(server, database) CPU seconds between two snapshots (connections opened in
        between count from zero; ones closed in between are lost)."""
        database = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        return after[0] - before[0], database


def _spans_s(spans: int, seconds: float) -> str:
    return f"{spans / seconds:,.0f}"


def where(args: argparse.Namespace) -> str:
    if not args.generated:
        return "fresh database"
    if args.new_tenants:
        return f"new tenants beside the tenant of {args.generated}"
    return f"tenant of {args.generated}"


async def main(args: argparse.Namespace) -> None:
    spans_per_step = args.step_runs * SPANS_PER_RUN
    requests_per_step = max(1, spans_per_step // args.batch)
    spans_per_step = requests_per_step * args.batch
    steps = max(1, args.runs // (spans_per_step // SPANS_PER_RUN))
    print(
        f"{steps} steps of {requests_per_step} requests x {args.batch} spans "
        f"({spans_per_step // SPANS_PER_RUN:,} runs) per path, concurrency {args.concurrency}, "
        f"{where(args)}",
        flush=True,
    )
    header = ["step", "runs after", "traces spans/s", "events spans/s", "traces/events time"]
    if args.cpu:
        header += ["traces server ms", "traces db ms", "events server ms", "events db ms"]
    cpu: list[tuple[float, float]] = []  # (server, database) CPU s per request, traces/events
    rows: list[list[str]] = []
    traces_times: list[float] = []
    events_times: list[float] = []
    async with targets(args) as (settings, (traces, events)):
        database_url = settings.database_url or ""
        start_runs = await tenant_runs(database_url, traces.tenant_id)
        with serving(settings) as (base, pid):
            meter = CpuMeter(database_url, pid) if args.cpu else None
            async with httpx.AsyncClient(base_url=base, timeout=300) as client:
                for step in range(steps):
                    first = step * spans_per_step
                    protobuf = [
                        export_request(
                            1, first + r * args.batch, args.batch, traces.workflow, args.realistic
                        )
                        for r in range(requests_per_step)
                    ]
                    gzipped = [gzip.compress(body) for body in protobuf]
                    json_bodies = [
                        events_body(
                            export_request(
                                2,
                                first + r * args.batch,
                                args.batch,
                                events.workflow,
                                args.realistic,
                            )
                        )
                        for r in range(requests_per_step)
                    ]
                    marks = [await meter.snapshot()] if meter else []
                    t = await post_all(
                        client, "/v1/traces", traces.api_key, gzipped, args.concurrency
                    )
                    marks += [await meter.snapshot()] if meter else []
                    e = await post_all(
                        client, "/v1/events", events.api_key, json_bodies, args.concurrency
                    )
                    marks += [await meter.snapshot()] if meter else []
                    traces_times.append(t)
                    events_times.append(e)
                    # With --generated both paths write into the one tenant (or new ones).
                    writers = 2 if args.generated and not args.new_tenants else 1
                    runs_after = start_runs + writers * (step + 1) * spans_per_step // SPANS_PER_RUN
                    row = [
                        f"{step + 1}/{steps}",
                        f"{runs_after:,}",
                        _spans_s(spans_per_step, t),
                        _spans_s(spans_per_step, e),
                        f"{t / e:.2f}",
                    ]
                    if meter:
                        for before, after in itertools.pairwise(marks):
                            server, db = CpuMeter.spent(before, after)
                            cpu.append((server / requests_per_step, db / requests_per_step))
                        row += [
                            f"{ms:.1f}"
                            for pair in (cpu[-2], cpu[-1])
                            for ms in (pair[0] * 1000, pair[1] * 1000)
                        ]
                    rows.append(row)
                    print("  ".join(row), flush=True)
        stored = await tenant_runs(database_url, traces.tenant_id)
        analyses = await analyse_counts(database_url)
    print()
    print(table(rows, header))
    first_n = max(1, min(3, steps // 5))
    summary = []
    for name, times in (("traces", traces_times), ("events", events_times)):
        head = statistics.median(times[:first_n])
        tail = statistics.median(times[-first_n:])
        summary.append(
            f"{name}: first {first_n} step(s) median {_spans_s(spans_per_step, head)} spans/s, "
            f"last {_spans_s(spans_per_step, tail)} spans/s, last/first throughput "
            f"{head / tail:.2f}"
        )
    ratio = statistics.median(t / e for t, e in zip(traces_times, events_times, strict=True))
    summary.append(f"traces/events time per step, median: {ratio:.2f}")
    if cpu:
        servers_ms = [statistics.median(c[0] for c in cpu[k::2]) * 1000 for k in (0, 1)]
        databases_ms = [statistics.median(c[1] for c in cpu[k::2]) * 1000 for k in (0, 1)]
        summary.append(
            f"CPU per request, median of the steps: server process traces {servers_ms[0]:.1f} "
            f"ms, events {servers_ms[1]:.1f} ms ({servers_ms[0] / servers_ms[1]:.2f}x); "
            f"database traces {databases_ms[0]:.1f} ms, events {databases_ms[1]:.1f} ms "
            f"({databases_ms[0] / databases_ms[1]:.2f}x)"
        )
    summary.append(f"runs stored in the traces tenant at the end: {stored:,}")
    summary.append(
        "ANALYZEs of the database's tables so far: "
        + ", ".join(f"{table} {count}" for table, count in analyses)
    )
    print("\n".join(summary))


if __name__ == "__main__":
    parser = command_line(__doc__)
    parser.add_argument("--runs", type=int, default=200_000, help="runs added per tenant")
    parser.add_argument("--step-runs", type=int, default=10_000, help="runs per step")
    parser.add_argument("--batch", type=int, default=512, help="spans per request")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--generated", help="write into this bench.generate database's tenant")
    parser.add_argument(
        "--new-tenants",
        action="store_true",
        help="with --generated: write into two new tenants of that database instead (a new "
        "customer beside a big one, which the tables' statistics do not know yet)",
    )
    parser.add_argument(
        "--cpu",
        action="store_true",
        help="also report the CPU per request of the server process and of the database's "
        "server processes (Linux /proc; the database server on this machine)",
    )
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="spans carry a provider response id and a parent span id, as instrumentations "
        "send them (by default neither)",
    )
    asyncio.run(main(parser.parse_args()))
    sys.exit(0)
