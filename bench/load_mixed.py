"""Mixed multi-tenant load on a real `ledger serve`, reconciled to the cent afterwards.

    .venv/bin/python -m bench.load_mixed                      # 3 tenants, 120 s
    .venv/bin/python -m bench.load_mixed --tenants 5 --seconds 60 --ingest-clients 2

Every tenant has two workflows (ladder accepted → reply), two clients, its own price of one
model, an ingest API key, an OWNER token and a CLIENT_VIEWER token of its first client. For
`--seconds`, concurrently, for every tenant:

- ingest (`--ingest-clients` loops, API key): batches on `POST /v1/events` of runs, usage with a
  reported cost, LLM usage without one (priced by the server from the tenant's price book),
  labels, outcomes and revenue, each with a fresh id;
- dashboard (OWNER): every workflow's costPerOutcome, ladderCosts, failureCostShare and readiness
  over the last 30 days;
- client viewer (CLIENT_VIEWER): its client's costPerOutcome of each workflow and its roi.

Printed: per operation count, throughput, p50, p99 and errors (a non-2xx answer, a GraphQL error,
an ingest answer that did not accept every record, or a transport error), and the API process's
resident memory (VmRSS of /proc/<pid>/status, sampled every 0.5 s: start, peak, end).

Then, per tenant, exactly: runs sent = runs stored; usage events sent = stored; the Decimal sum
of the costs sent (reported costs, plus `app.domain.pricing.price_tokens` of the priced events at
the tenant's price) = the stored sum = the GraphQL `costBreakdown` total over every event's time.
Exit status 1 on any error or mismatch. Servers: DATABASE_URL/REDIS_URL when set (a fresh
database is created and dropped), else embedded ones; the API listens on loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.sessions import TenantSessions, tenant_sessions
from app.domain.pricing import Price, TokenCounts, price_tokens
from app.services.pricing.prices import set_model_price
from app.services.tenancy.tenants import create_api_key, create_client, create_tenant
from app.services.tenancy.workflows import upsert_workflow
from app.settings import Settings
from bench.common import api_process, command_line, fresh_database, percentile, servers, table

PROVIDER, MODEL = "loadtest", "load-mixed-1"
PRICE = Price(
    provider=PROVIDER,
    model=MODEL,
    effective_from=datetime(2020, 1, 1, tzinfo=UTC),
    input_per_million=Decimal("2.5"),
    output_per_million=Decimal("12"),
    cache_read_per_million=Decimal("0.25"),
)
WORKFLOWS = ("outreach", "support")
TEN_PLACES = Decimal("0.0000000001")

DASHBOARD = """
query Dashboard($range: TimeRange!) {
  workflows {
    key
    costPerOutcome(range: $range) {
      attempts acceptedOutcomes pendingOutcomes totalCost costPerOutcome successRate
    }
    ladderCosts(range: $range) { rung position count totalCost costPerRung }
    failureCostShare(range: $range) { totalCost failedCost share byStatus { status runs cost } }
    readiness { workflowKey currentLevel ready blockers cost { status observed threshold } }
  }
}
"""

CLIENT_VIEW = """
query ClientView($id: ID!, $range: TimeRange!) {
  client(id: $id) {
    name
    outreach: costPerOutcome(workflowKey: "outreach", range: $range) {
      attempts acceptedOutcomes totalCost costPerOutcome successRate
    }
    support: costPerOutcome(workflowKey: "support", range: $range) {
      attempts acceptedOutcomes totalCost costPerOutcome successRate
    }
    roi(range: $range) { cost successes attributedRevenue unattributedRevenue lift roi }
  }
}
"""

BREAKDOWN = """
query Total($range: TimeRange!) {
  costBreakdown(range: $range, groupBy: [WORKFLOW]) { key cost events }
}
"""


@dataclass
class LoadTenant:
    index: int
    tenant_id: uuid.UUID
    api_key: str
    owner: str
    viewer: str
    clients: list[uuid.UUID]
    runs_sent: int = 0
    usage_sent: int = 0
    cost_sent: Decimal = Decimal(0)
    earliest: datetime | None = None
    latest: datetime | None = None

    def saw(self, at: datetime) -> None:
        self.earliest = at if self.earliest is None else min(self.earliest, at)
        self.latest = at if self.latest is None else max(self.latest, at)


@dataclass
class OpStats:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def fail(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])


@dataclass
class Reconciled:
    tenant: int
    runs: tuple[int, int]
    usage: tuple[int, int]
    cost: tuple[Decimal, Decimal, Decimal]  # sent, stored, GraphQL costBreakdown

    @property
    def ok(self) -> bool:
        sent, stored, graphql = self.cost
        return (
            self.runs[0] == self.runs[1]
            and self.usage[0] == self.usage[1]
            and sent == stored == graphql
        )


@dataclass
class LoadReport:
    seconds: float
    ops: dict[str, OpStats]
    rss_kib: list[int]
    reconciled: list[Reconciled]

    @property
    def errors(self) -> int:
        return sum(s.errors for s in self.ops.values())

    @property
    def ok(self) -> bool:
        return self.errors == 0 and all(r.ok for r in self.reconciled) and bool(self.reconciled)


# --- set-up ------------------------------------------------------------------------------------


async def make_load_tenant(settings: Settings, sessions: TenantSessions, index: int) -> LoadTenant:
    tenant_id = await create_tenant(sessions=sessions, name=f"load {index} {uuid.uuid4().hex[:6]}")
    async with sessions(tenant_id) as session:
        for key in WORKFLOWS:
            await upsert_workflow(
                session=session,
                tenant_id=tenant_id,
                key=key,
                name=key.title(),
                ladder=[("accepted", "Accepted"), ("reply", "Reply")],
            )
        clients = [
            (
                await create_client(session=session, tenant_id=tenant_id, name=f"Client {c}")
            ).client_id
            for c in range(2)
        ]
        await set_model_price(session=session, tenant_id=tenant_id, price=PRICE)
    issued = await create_api_key(
        sessions=sessions, tenant_id=tenant_id, name="load", scopes=["ingest"]
    )
    return LoadTenant(
        index=index,
        tenant_id=tenant_id,
        api_key=issued.key,
        owner=issue_token(settings, tenant_id=tenant_id, role=Role.OWNER),
        viewer=issue_token(
            settings, tenant_id=tenant_id, role=Role.CLIENT_VIEWER, client_id=clients[0]
        ),
        clients=clients,
    )


# --- the batches -------------------------------------------------------------------------------


def ingest_batch(
    tenant: LoadTenant, loop: int, number: int, runs: int, now: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    """`runs` runs with one reported-cost and one priced usage event each, a label for most, an
    outcome for some, and one revenue event; the expected figures are added to `tenant`."""
    records: list[dict[str, Any]] = []
    prefix = f"t{tenant.index}-l{loop}-b{number}"
    for i in range(runs):
        corr = f"{prefix}-r{i}"
        workflow = WORKFLOWS[(number + i) % 2]
        client = tenant.clients[i % 2]
        started = now - timedelta(minutes=rng.randrange(60, 20 * 24 * 60))
        reported = Decimal(rng.randrange(1, 10**9)) * TEN_PLACES  # up to 0.1 with 10 places
        tokens = TokenCounts(
            input=rng.randrange(0, 20_000),
            output=rng.randrange(0, 4_000),
            cache_read=rng.randrange(0, 50_000),
        )
        tenant.cost_sent += reported + price_tokens(tokens, PRICE)
        tenant.runs_sent += 1
        tenant.usage_sent += 2
        tenant.saw(started)
        tenant.saw(started + timedelta(seconds=30))
        records += [
            {
                "type": "run",
                "correlationId": corr,
                "workflowKey": workflow,
                "clientId": str(client),
                "startedAt": started.isoformat(),
                "campaign": f"c{i % 3}",
            },
            {
                "type": "usage",
                "eventId": f"{corr}-tool",
                "correlationId": corr,
                "workflowKey": workflow,
                "clientId": str(client),
                "kind": "TOOL",
                "occurredAt": (started + timedelta(seconds=5)).isoformat(),
                "cost": str(reported),
            },
            {
                "type": "usage",
                "eventId": f"{corr}-llm",
                "correlationId": corr,
                "workflowKey": workflow,
                "clientId": str(client),
                "kind": "LLM",
                "occurredAt": (started + timedelta(seconds=30)).isoformat(),
                "provider": PROVIDER,
                "model": MODEL,
                "inputTokens": tokens.input,
                "outputTokens": tokens.output,
                "cacheReadTokens": tokens.cache_read,
            },
        ]
        if i % 4 != 3:
            status = "ACCEPTED" if i % 4 != 2 else "REJECTED"
            records.append(
                {
                    "type": "label",
                    "correlationId": corr,
                    "status": status,
                    "at": (started + timedelta(minutes=5)).isoformat(),
                }
            )
        if i % 2 == 0:
            records.append(
                {
                    "type": "outcome",
                    "eventId": f"{corr}-reply",
                    "workflowKey": workflow,
                    "rung": "reply",
                    "correlationId": corr,
                    "occurredAt": (started + timedelta(minutes=30)).isoformat(),
                }
            )
    records.append(
        {
            "type": "revenue",
            "eventId": f"{prefix}-rev",
            "clientId": str(tenant.clients[number % 2]),
            "amount": f"{rng.randrange(100, 100_000) / 100:.2f}",
            "occurredAt": (now - timedelta(hours=rng.randrange(1, 24 * 10))).isoformat(),
            "workflowKey": WORKFLOWS[number % 2],
            "correlationId": f"{prefix}-r0",
        }
    )
    return records


# --- the loops ---------------------------------------------------------------------------------


async def timed(stats: OpStats, call: Callable[[], Awaitable[str | None]]) -> None:
    """Run one request; its latency always counts, a returned string is an error."""
    started = time.perf_counter()
    try:
        problem = await call()
    except httpx.HTTPError as exc:
        problem = f"{type(exc).__name__}: {exc}"
    stats.latencies.append(time.perf_counter() - started)
    if problem:
        stats.fail(problem)


def graphql_problem(response: httpx.Response) -> str | None:
    if response.status_code // 100 != 2:
        return f"HTTP {response.status_code}: {response.text}"
    body = response.json()
    if body.get("errors") or not body.get("data"):
        return f"GraphQL errors: {body.get('errors')}"
    return None


async def ingest_loop(
    http: httpx.AsyncClient,
    tenant: LoadTenant,
    loop: int,
    runs: int,
    now: datetime,
    stop_at: float,
    stats: OpStats,
) -> None:
    rng = random.Random(f"{tenant.index}-{loop}")
    headers = {"Authorization": f"Bearer {tenant.api_key}"}
    number = 0
    while time.monotonic() < stop_at:
        records = ingest_batch(tenant, loop, number, runs, now, rng)

        async def post(records: list[dict[str, Any]] = records) -> str | None:
            response = await http.post("/v1/events", json=records, headers=headers)
            if response.status_code != 200:
                return f"HTTP {response.status_code}: {response.text}"
            body = response.json()
            if body["accepted"] != len(records) or body["duplicates"] or body["errors"]:
                return f"not every record accepted: {body}"
            return None

        await timed(stats, post)
        number += 1


async def read_loop(
    http: httpx.AsyncClient,
    token: str,
    query: str,
    variables: dict[str, Any],
    stop_at: float,
    stats: OpStats,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    payload = {"query": query, "variables": variables}
    while time.monotonic() < stop_at:

        async def ask() -> str | None:
            return graphql_problem(await http.post("/graphql", json=payload, headers=headers))

        await timed(stats, ask)


def vm_rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


async def sample_rss(pid: int, stop: asyncio.Event, samples: list[int]) -> None:
    while True:
        rss = vm_rss_kib(pid)
        if rss is not None:
            samples.append(rss)
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
            return
        except TimeoutError:
            continue


# --- reconciliation ----------------------------------------------------------------------------


async def reconcile(
    http: httpx.AsyncClient, sessions: TenantSessions, tenant: LoadTenant
) -> Reconciled:
    async with sessions(tenant.tenant_id) as session:
        runs = (await session.execute(text("SELECT count(*) FROM runs"))).scalar_one()
        usage, stored = (
            await session.execute(text("SELECT count(*), COALESCE(sum(cost), 0) FROM usage_events"))
        ).one()
    graphql = Decimal(0)
    if tenant.earliest is not None and tenant.latest is not None:
        window = {
            "from": (tenant.earliest - timedelta(days=1)).isoformat(),
            "to": (tenant.latest + timedelta(days=1)).isoformat(),
        }
        response = await http.post(
            "/graphql",
            json={"query": BREAKDOWN, "variables": {"range": window}},
            headers={"Authorization": f"Bearer {tenant.owner}"},
        )
        problem = graphql_problem(response)
        if problem:
            raise RuntimeError(f"costBreakdown failed: {problem}")
        graphql = sum(
            (Decimal(b["cost"]) for b in response.json()["data"]["costBreakdown"]), Decimal(0)
        )
    return Reconciled(
        tenant=tenant.index,
        runs=(tenant.runs_sent, int(runs)),
        usage=(tenant.usage_sent, int(usage)),
        cost=(tenant.cost_sent, Decimal(stored), graphql),
    )


# --- the harness -------------------------------------------------------------------------------


async def run_load(
    settings: Settings,
    *,
    tenants: int = 3,
    seconds: float = 120.0,
    ingest_clients: int = 1,
    runs_per_batch: int = 20,
) -> LoadReport:
    """Create the tenants in `settings`' (migrated) database, serve the API, load it for
    `seconds`, reconcile. The database is not dropped (the caller owns it)."""
    async with tenant_sessions(settings, pool_size=2) as sessions:
        made = [await make_load_tenant(settings, sessions, i) for i in range(tenants)]
        ops = {name: OpStats() for name in ("ingest /v1/events", "dashboard", "client viewer")}
        rss: list[int] = []
        now = datetime.now(UTC)
        last_30 = {
            "from": (now - timedelta(days=30)).isoformat(),
            "to": (now + timedelta(hours=1)).isoformat(),
        }
        with api_process(settings) as (base, process):
            limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
            async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
                stop = asyncio.Event()
                sampler = asyncio.create_task(sample_rss(process.pid, stop, rss))
                started = time.monotonic()
                stop_at = started + seconds
                loops = []
                for tenant in made:
                    loops += [
                        ingest_loop(
                            http, tenant, c, runs_per_batch, now, stop_at, ops["ingest /v1/events"]
                        )
                        for c in range(ingest_clients)
                    ]
                    loops.append(
                        read_loop(
                            http,
                            tenant.owner,
                            DASHBOARD,
                            {"range": last_30},
                            stop_at,
                            ops["dashboard"],
                        )
                    )
                    loops.append(
                        read_loop(
                            http,
                            tenant.viewer,
                            CLIENT_VIEW,
                            {"id": str(tenant.clients[0]), "range": last_30},
                            stop_at,
                            ops["client viewer"],
                        )
                    )
                await asyncio.gather(*loops)
                elapsed = time.monotonic() - started
                stop.set()
                await sampler
                reconciled = [await reconcile(http, sessions, t) for t in made]
        return LoadReport(elapsed, ops, rss, reconciled)


def render(report: LoadReport) -> str:
    rows = []
    for name, stats in report.ops.items():
        lat = sorted(stats.latencies)
        rows.append(
            [
                name,
                str(len(lat)),
                f"{len(lat) / report.seconds:.1f}",
                f"{percentile(lat, 0.50) * 1000:.1f}",
                f"{percentile(lat, 0.99) * 1000:.1f}",
                str(stats.errors),
            ]
        )
    lines = [
        f"load: {report.seconds:.1f} s",
        table(rows, ["operation", "count", "per s", "p50 ms", "p99 ms", "errors"]),
    ]
    for name, stats in report.ops.items():
        for sample in stats.error_samples:
            lines.append(f"  {name} error: {sample}")
    if report.rss_kib:
        mib = [k / 1024 for k in report.rss_kib]
        lines.append(
            f"API resident memory (VmRSS, {len(mib)} samples): start {mib[0]:.1f} MiB, "
            f"peak {max(mib):.1f} MiB, end {mib[-1]:.1f} MiB"
        )
    recon_rows = [
        [
            str(r.tenant),
            f"{r.runs[0]} / {r.runs[1]}",
            f"{r.usage[0]} / {r.usage[1]}",
            str(r.cost[0]),
            str(r.cost[1]),
            str(r.cost[2]),
            "yes" if r.ok else "NO",
        ]
        for r in report.reconciled
    ]
    header = ["tenant", "runs sent/stored", "usage sent/stored"]
    header += ["cost sent", "cost stored", "costBreakdown", "equal"]
    lines += ["reconciliation:", table(recon_rows, header)]
    lines.append(f"RESULT: {'PASS' if report.ok else 'FAIL'}")
    return "\n".join(lines)


async def main_async(args: argparse.Namespace) -> int:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            report = await run_load(
                db.settings,
                tenants=args.tenants,
                seconds=args.seconds,
                ingest_clients=args.ingest_clients,
                runs_per_batch=args.runs_per_batch,
            )
    print(render(report))
    return 0 if report.ok else 1


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--tenants", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--ingest-clients", type=int, default=1, help="ingest loops per tenant")
    parser.add_argument("--runs-per-batch", type=int, default=20)
    sys.exit(asyncio.run(main_async(parser.parse_args())))


if __name__ == "__main__":
    main()
