"""The dashboard on a Citus cluster against one PostgreSQL: the same generated tenant on both,
the GraphQL bodies compared value by value, every statement's routing, and the figures side by
side.

    .venv/bin/python -m bench.citus_compare --single postgresql://postgres@HOST:5432/postgres \\
        --cluster postgresql://postgres@HOST:9700/postgres --workers HOST:9701,HOST:9702 \\
        --redis redis://HOST:6379/9 --runs 20000
    # the kept 1M-run tenant of `bench.generate --database ledger_gen_1m` instead:
    .venv/bin/python -m bench.citus_compare … --generated ledger_gen_1m --plans plans.txt

Steps: `bench.generate` loads the same tenant (same seed, runs, days and `now`, so the same ids
and rows) into a database on each server (`<names>_single`, `<names>_cluster`, `--names`
default `ledger_cmp`; replaced, then dropped unless `--keep`). With `--generated NAME` nothing is
generated: the single side is a `CREATE DATABASE … TEMPLATE NAME` copy and the cluster side is
NAME bulk-copied by `bench.citus_load` (rollups as they are, triggers off during the copy).

The dashboard and the busiest client's view (`bench.read_bench`'s DASHBOARD and CLIENT queries,
one OWNER and one CLIENT_VIEWER token, the 30 days before the generator's `now`) are then:

- planned: each read once through the app in this process with auto_explain on for the
  application role (`plan_census`): every top-level statement's plan, its Citus `Task Count`s
  and duration — on the cluster, each statement is "one shard", "several shards" or touches no
  distributed table; the slowest statements per server are printed, all plans with `--plans`;
- compared: read from a `ledger serve` process per server, value by value — any difference
  prints its path and the script exits 1;
- timed: `--rounds` rounds of `--requests` sequential requests per read and server, the order of
  the servers alternating (both servers up throughout), p50 / p99 ms over all rounds;
- then, after 4 untimed warm-up batches, `--ingest-events` usage events posted to `/v1/events` in
  batches of `--batch`, 2 at a time (events/s; each batch's p50 / p99 ms in the same row), on
  each.

See docs/scale-out.md for measured figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.citus import parse_workers
from app.db.urls import asyncpg_dsn
from app.main import create_app
from app.settings import Settings
from bench.citus_load import load_into_cluster, store_manifest
from bench.common import (
    api_server,
    command_line,
    drop_database,
    owner_connection,
    percentile,
    post_events,
    table,
)
from bench.generate import (
    Generated,
    database_url,
    default_now,
    generate,
    manifest_of,
    open_generated,
)
from bench.read_bench import BUSIEST, CLIENT, DASHBOARD, differences


async def busiest(settings: Settings, tenant_id: uuid.UUID, since: datetime) -> tuple[str, str]:
    # owner connection; the tenant is explicit
    async with owner_connection(settings.database_url or "") as conn:
        row = await conn.fetchrow(BUSIEST, tenant_id, since)
        return str(row["client_id"]), str(row["key"])


async def task_count(settings: Settings, tenant_id: uuid.UUID) -> str:
    """The Citus plan of one tenant's run count: its `Task Count` line."""
    async with owner_connection(settings.database_url or "") as conn:
        plan = await conn.fetch(
            "EXPLAIN SELECT count(*) FROM runs r JOIN usage_events u "
            "ON u.tenant_id = r.tenant_id AND u.correlation_id = r.correlation_id "
            "WHERE r.tenant_id = $1",
            tenant_id,
        )
    return next((r[0].strip() for r in plan if "Task Count" in r[0]), "no Task Count line")


CENSUS_SETTINGS = (
    ("session_preload_libraries", "auto_explain"),
    ("auto_explain.log_min_duration", "0"),
    ("auto_explain.log_level", "notice"),
)


@dataclass
class Planned:
    """One statement a read ran on the coordinator: its text, Citus's task counts, its plan."""

    text: str
    task_counts: list[int]
    plan: str
    ms: float

    @property
    def routing(self) -> str:
        if not self.task_counts:
            return "no distributed table"
        return "one shard" if set(self.task_counts) == {1} else "several shards"


def parse_plan(message: str) -> Planned | None:
    """An auto_explain notice (`duration: … plan:` / `Query Text: …` / the plan) as Planned."""
    head, found, rest = message.partition("Query Text:")
    if not found or "plan:" not in head:
        return None
    lines = rest.strip("\n").split("\n")
    plan_at = next((i for i, line in enumerate(lines) if re.match(r"^\S.*\(cost=", line)), 0)
    text = " ".join(" ".join(lines[:plan_at]).split())
    plan = "\n".join(lines[plan_at:])
    counts = [int(n) for n in re.findall(r"Task Count: (\d+)", plan)]
    duration = re.search(r"duration: ([0-9.]+) ms", head)
    return Planned(text=text, task_counts=counts, plan=plan,
                   ms=float(duration.group(1)) if duration else 0.0)  # fmt: skip


async def plan_census(
    g: Generated, reads: dict[str, tuple[str, str, dict[str, Any]]]
) -> dict[str, list[Planned]]:
    """Every statement each read runs, as the coordinator planned it: the app in this process
    (`create_app`, the application role, the same SQL as `ledger serve`), with auto_explain
    logging each top-level plan to the client as a notice (for the application role in this
    database, on the coordinator only; reset afterwards)."""
    role, database = g.settings.app_role, g.name
    admin = await asyncpg.connect(asyncpg_dsn(g.settings.database_url or ""))
    # On the coordinator only: Citus would copy the role's settings to the workers, whose
    # shard statements would then be explained too (and relayed as notices).
    await admin.execute("SET citus.enable_alter_role_set_propagation = off")
    try:
        for name, value in CENSUS_SETTINGS:
            await admin.execute(f'ALTER ROLE {role} IN DATABASE "{database}" SET {name} = '
                                f"'{value}'")  # fmt: skip
        app = create_app(g.settings)
        planned: dict[str, list[Planned]] = {}
        notices: list[str] = []
        async with app.router.lifespan_context(app):
            engine = app.state.engine
            await engine.dispose()  # connections opened from here on carry the listener

            def listen(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.driver_connection.add_log_listener(
                    lambda _conn, message: notices.append(str(message.message))
                )

            event.listen(engine.sync_engine, "connect", listen)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://census") as c:
                for read, (query, token, variables) in reads.items():
                    notices.clear()
                    r = await c.post("/graphql", json={"query": query, "variables": variables},
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                    r.raise_for_status()
                    if "errors" in r.json():
                        raise SystemExit(f"census {read}: {r.json()['errors']}")
                    planned[read] = [p for m in notices if (p := parse_plan(m)) is not None]
        return planned
    finally:
        for name, _ in CENSUS_SETTINGS:
            await admin.execute(f'ALTER ROLE {role} IN DATABASE "{database}" RESET {name}')
        await admin.close()


def usage(i: int, workflow: str, prefix: str, now: datetime) -> dict[str, Any]:
    return {
        "type": "usage",
        "eventId": f"{prefix}-{i}",
        "correlationId": f"{prefix}-run-{i // 5}",
        "workflowKey": workflow,
        "kind": "TOOL",
        "occurredAt": (now - timedelta(hours=1) + timedelta(milliseconds=i)).isoformat(),
        "cost": "0.0125",
    }


async def ingest(
    base: str, key: str, workflow: str, now: datetime, events: int, batch: int
) -> tuple[float, list[float]]:
    """Events per second posting `events` usage events in batches of `batch`, 2 at a time, and
    each batch's latency (ms, sorted)."""
    prefix = f"cmp-{uuid.uuid4().hex[:8]}"
    records = [usage(i, workflow, prefix, now) for i in range(events)]
    latencies: list[float] = []
    batches, wall = await post_events(base, key, records, batch, 2, latencies)
    accepted = sum(batches)
    if accepted != events:
        raise SystemExit(f"ingest: {accepted} of {events} events accepted")
    return events / wall, sorted(latencies)


async def from_generated(
    args: argparse.Namespace, targets: dict[str, tuple[str, list[tuple[str, int]] | None]]
) -> None:
    """`--generated NAME`: the single side is a copy of the kept database (`CREATE DATABASE …
    TEMPLATE`, so the ingest below leaves NAME as it was), the cluster side is NAME bulk-copied
    into a migrated cluster database (`bench.citus_load`)."""
    single_admin, _ = targets["single"]
    cluster_admin, workers = targets["cluster"]
    manifest = await manifest_of(single_admin, args.generated)
    if manifest is None:
        raise SystemExit(f"no generated database {args.generated!r} on the single server")
    name = f"{args.names}_single"
    started = time.perf_counter()
    async with owner_connection(single_admin) as conn:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{args.generated}"')
    await store_manifest(database_url(single_admin, name), name, manifest)
    print(f"single: {name} copied from {args.generated} ({manifest['rows']['runs']:,} runs, "
          f"{manifest['rows']['usage_events']:,} usage events) in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    started = time.perf_counter()
    copied = await load_into_cluster(
        source_url=database_url(single_admin, args.generated), coordinator_url=cluster_admin,
        workers=workers or [], name=f"{args.names}_cluster", redis_url=args.redis,
    )  # fmt: skip
    print(f"cluster: {args.names}_cluster loaded from {args.generated} in "
          f"{time.perf_counter() - started:.0f} s ("
          + ", ".join(f"{k} {v:.0f}" for k, v in copied.seconds.items()
                      if not k.startswith("copy_") or k == "copy_s")
          + ")")  # fmt: skip


def reads_of(
    g: Generated, tenant_id: uuid.UUID, client_id: str, workflow: str, window: dict[str, str]
) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """The two compared reads: (query, token, variables) of the dashboard and the client view."""
    owner = issue_token(g.settings, tenant_id=tenant_id, role=Role.OWNER)
    viewer = issue_token(g.settings, tenant_id=tenant_id, role=Role.CLIENT_VIEWER,
                         client_id=uuid.UUID(client_id))  # fmt: skip
    return {
        "dashboard": (DASHBOARD, owner, {"range": window}),
        "client view": (CLIENT, viewer, {"id": client_id, "workflow": workflow, "range": window}),
    }


async def main(args: argparse.Namespace) -> int:
    now = datetime.fromisoformat(args.now).astimezone(UTC) if args.now else default_now()
    targets = {
        "single": (args.single, None),
        "cluster": (args.cluster, parse_workers(args.workers)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        generated = {}
        if args.generated:
            await from_generated(args, targets)
        for label, (admin_url, workers) in targets.items():
            if not args.generated:
                started = time.perf_counter()
                manifest = await generate(
                    admin_url=admin_url, redis_url=args.redis, data_dir=data_dir,
                    runs=args.runs, days=args.days, seed=args.seed, now=now,
                    name=f"{args.names}_{label}", roi=True, citus_workers=workers,
                )  # fmt: skip
                print(f"{label}: generated {manifest['rows']['runs']:,} runs, "
                      f"{manifest['rows']['usage_events']:,} usage events in "
                      f"{time.perf_counter() - started:.0f} s")  # fmt: skip
            generated[label] = await open_generated(
                f"{args.names}_{label}", admin_url=admin_url, redis_url=args.redis,
                data_dir=data_dir,
            )  # fmt: skip
        single, cluster = generated["single"], generated["cluster"]
        now = single.now
        if single.tenant_id != cluster.tenant_id:
            raise SystemExit("the two generated tenants differ: same seed, runs, days and now?")
        tenant_id = single.tenant_id
        window = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}
        client_id, workflow = await busiest(single.settings, tenant_id, now - timedelta(days=30))
        print(f"cluster plan of one tenant's join: {await task_count(cluster.settings, tenant_id)}")
        census = {label: await plan_census(g, reads_of(g, tenant_id, client_id, workflow, window))
                  for label, g in generated.items()}  # fmt: skip
        for which, planned in census["cluster"].items():
            kinds = {k: sum(p.routing == k for p in planned)
                     for k in ("one shard", "several shards", "no distributed table")}  # fmt: skip
            print(f"cluster plans of the {which}: {len(planned)} statements; "
                  + ", ".join(f"{k}: {n}" for k, n in kinds.items()))  # fmt: skip
            for p in planned:
                if p.routing != "one shard":
                    print(f"  {p.routing} {p.task_counts}: {p.text[:160]}")
        for label, by_read in census.items():
            for which, planned in by_read.items():
                slowest = sorted(planned, key=lambda p: -p.ms)[:3]
                print(
                    f"{label} {which}, one read: statements {sum(p.ms for p in planned):.0f} ms;"
                    " slowest " + "; ".join(f"{p.ms:.0f} ms {p.text[:60]}" for p in slowest)
                )
        if args.plans:
            text = "".join(
                f"-- {label} {which}, {p.ms:.1f} ms, {p.routing} {p.task_counts}\n{p.text}\n"
                f"{p.plan}\n\n"
                for label, by_read in census.items()
                for which, planned in by_read.items() for p in planned
            )  # fmt: skip
            await asyncio.to_thread(Path(args.plans).write_text, text)
            print(f"plans written to {args.plans}")
        status = 0
        latencies: dict[tuple[str, str], list[float]] = {}
        bodies: dict[str, dict[str, Any]] = {}
        rates: dict[str, tuple[float, list[float]]] = {}
        with contextlib.ExitStack() as stack:
            bases = {label: stack.enter_context(api_server(g.settings))
                     for label, g in generated.items()}  # fmt: skip
            async with httpx.AsyncClient(timeout=120) as c:
                reads = {label: reads_of(g, tenant_id, client_id, workflow, window)
                         for label, g in generated.items()}  # fmt: skip

                async def read(label: str, name: str) -> Any:
                    query, token, variables = reads[label][name]
                    r = await c.post(f"{bases[label]}/graphql",
                                     json={"query": query, "variables": variables},
                                     headers={"Authorization": f"Bearer {token}"})  # fmt: skip
                    r.raise_for_status()
                    body = r.json()
                    if "errors" in body:
                        raise SystemExit(f"{label}: {body['errors']}")
                    return body

                for label in generated:
                    for name in ("dashboard", "client view"):
                        bodies[f"{label} {name}"] = await read(label, name)
                # Rounds, the servers' order alternating: a slower minute of the shared machine
                # hits both.
                for round_ in range(args.rounds):
                    order = list(generated) if round_ % 2 == 0 else list(generated)[::-1]
                    for label in order:
                        for name in ("dashboard", "client view"):
                            for _ in range(args.requests):
                                t = time.perf_counter()
                                await read(label, name)
                                latencies.setdefault((name, label), []).append(
                                    1000 * (time.perf_counter() - t)
                                )
            for label, g in generated.items():
                # Warm-up, untimed: the API's first batches open its pooled connections (on the
                # coordinator, each new connection's first statements cost more: see
                # docs/scale-out.md); the timed batches below measure ingest itself.
                _, first = await ingest(bases[label], g.manifest["api_key"], workflow, now,
                                        4 * args.batch, args.batch)  # fmt: skip
                print(f"{label} ingest warm-up: 4 batches, slowest {first[-1]:.0f} ms")
                rates[label] = await ingest(bases[label], g.manifest["api_key"], workflow, now,
                                            args.ingest_events, args.batch)  # fmt: skip
        rows: list[list[str]] = []
        for name in ("dashboard", "client view"):
            for label in generated:
                lat = sorted(latencies[(name, label)])
                rows.append([name, label, f"{percentile(lat, 0.5):.1f}",
                             f"{percentile(lat, 0.99):.1f}", ""])  # fmt: skip
        for label in generated:
            rate, lat = rates[label]
            rows.append([f"ingest ({args.batch}/batch)", label, f"{percentile(lat, 0.5):.1f}",
                         f"{percentile(lat, 0.99):.1f}", f"{rate:.0f}"])  # fmt: skip
        for name in ("dashboard", "client view"):
            a, b = bodies[f"single {name}"], bodies[f"cluster {name}"]
            diff = differences(a, b)
            if diff:
                status = 1
                print(f"{name}: {len(diff)} values differ: " + "; ".join(diff[:10]))
            else:
                print(f"{name}: identical bodies on both ({len(json.dumps(a)):,} characters)")
        print(f"{single.manifest['runs']:,} runs over {single.manifest['days']} days; "
              f"{args.rounds} rounds of {args.requests} sequential requests per read and server; "
              f"{args.ingest_events:,} events ingested")  # fmt: skip
        print(table(rows, ["read", "server", "p50 ms", "p99 ms", "events/s"]))
        if not args.keep:
            for label, (admin_url, workers) in targets.items():
                await drop_database(admin_url, f"{args.names}_{label}", workers)
    return status


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--single", required=True, help="owner URL of the single PostgreSQL")
    parser.add_argument("--cluster", required=True, help="owner URL of the Citus coordinator")
    parser.add_argument("--workers", required=True, help="the cluster's workers, host:port,…")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--runs", type=int, default=20000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", help="the generator's now (default: today's UTC midnight)")
    parser.add_argument("--requests", type=int, default=30, help="per read, server and round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of requests, the servers' order alternating")  # fmt: skip
    parser.add_argument("--ingest-events", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    parser.add_argument("--generated", metavar="NAME",
                        help="compare a kept generated database of the single server (e.g. the "
                             "1M-run one) instead of generating: copied on the single server, "
                             "bulk-loaded into the cluster (bench.citus_load)")  # fmt: skip
    parser.add_argument(
        "--plans", metavar="FILE", help="write every cluster statement of both reads and its plan"
    )
    parser.add_argument(
        "--names",
        default="ledger_cmp",
        help="prefix of the two compared databases (default ledger_cmp)",
    )
    sys.exit(asyncio.run(main(parser.parse_args())))
