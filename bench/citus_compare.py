"""The dashboard on a Citus cluster against one PostgreSQL: the same generated tenant on both,
the GraphQL bodies compared value by value, and the figures side by side.

    .venv/bin/python -m bench.citus_compare --single postgresql://postgres@HOST:5432/postgres \\
        --cluster postgresql://postgres@HOST:9700/postgres --workers HOST:9701,HOST:9702 \\
        --redis redis://HOST:6379/9 --runs 20000

Steps: `bench.generate` loads the same tenant (same seed, runs, days and `now`, so the same ids
and rows) into a database on each server (`ledger_cmp_single`, `ledger_cmp_cluster`; replaced,
then dropped unless `--keep`); a `ledger serve` process serves each; the dashboard and the busiest
client's view (`bench.read_bench`'s DASHBOARD and CLIENT queries, one OWNER and one CLIENT_VIEWER
token, the 30 days before the generator's `now`) are read from both and compared value by value —
any difference prints its path and the script exits 1. Then `--requests` sequential requests of
each read (p50 / p99 ms) and `--ingest-events` usage events posted to `/v1/events` in batches
of `--batch` (events/s), on both. A one-tenant statement's plan (`Task Count`) is printed from the
cluster. See docs/scale-out.md for measured figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.citus import parse_workers
from app.db.urls import asyncpg_dsn
from app.settings import Settings
from bench.common import api_server, percentile, post_events, table
from bench.generate import default_now, generate, open_generated
from bench.read_bench import BUSIEST, CLIENT, DASHBOARD, differences


async def busiest(settings: Settings, tenant_id: uuid.UUID, since: datetime) -> tuple[str, str]:
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url or ""))
    try:  # owner connection; the tenant is explicit
        row = await conn.fetchrow(BUSIEST, tenant_id, since)
        return str(row["client_id"]), str(row["key"])
    finally:
        await conn.close()


async def task_count(settings: Settings, tenant_id: uuid.UUID) -> str:
    """The Citus plan of one tenant's run count: its `Task Count` line."""
    conn = await asyncpg.connect(asyncpg_dsn(settings.database_url or ""))
    try:
        plan = await conn.fetch(
            "EXPLAIN SELECT count(*) FROM runs r JOIN usage_events u "
            "ON u.tenant_id = r.tenant_id AND u.correlation_id = r.correlation_id "
            "WHERE r.tenant_id = $1",
            tenant_id,
        )
    finally:
        await conn.close()
    return next((r[0].strip() for r in plan if "Task Count" in r[0]), "no Task Count line")


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
) -> float:
    """Events per second posting `events` usage events in batches of `batch`, 2 at a time."""
    prefix = f"cmp-{uuid.uuid4().hex[:8]}"
    records = [usage(i, workflow, prefix, now) for i in range(events)]
    batches, wall = await post_events(base, key, records, batch, concurrency=2)
    accepted = sum(batches)
    if accepted != events:
        raise SystemExit(f"ingest: {accepted} of {events} events accepted")
    return events / wall


async def main(args: argparse.Namespace) -> int:
    now = datetime.fromisoformat(args.now).astimezone(UTC) if args.now else default_now()
    targets = {
        "single": (args.single, None),
        "cluster": (args.cluster, parse_workers(args.workers)),
    }
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        generated = {}
        for label, (admin_url, workers) in targets.items():
            started = time.perf_counter()
            manifest = await generate(
                admin_url=admin_url, redis_url=args.redis, data_dir=data_dir, runs=args.runs,
                days=args.days, seed=args.seed, now=now, name=f"ledger_cmp_{label}", roi=True,
                citus_workers=workers,
            )  # fmt: skip
            print(f"{label}: generated {manifest['rows']['runs']:,} runs, "
                  f"{manifest['rows']['usage_events']:,} usage events in "
                  f"{time.perf_counter() - started:.0f} s")  # fmt: skip
            generated[label] = await open_generated(
                f"ledger_cmp_{label}", admin_url=admin_url, redis_url=args.redis, data_dir=data_dir
            )
        single, cluster = generated["single"], generated["cluster"]
        if single.tenant_id != cluster.tenant_id:
            raise SystemExit("the two generated tenants differ: same seed, runs, days and now?")
        tenant_id = single.tenant_id
        window = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}
        client_id, workflow = await busiest(single.settings, tenant_id, now - timedelta(days=30))
        print(f"cluster plan of one tenant's join: {await task_count(cluster.settings, tenant_id)}")
        status = 0
        rows: list[list[str]] = []
        bodies: dict[str, dict[str, Any]] = {}
        for label, g in generated.items():
            owner = issue_token(g.settings, tenant_id=tenant_id, role=Role.OWNER)
            viewer = issue_token(g.settings, tenant_id=tenant_id, role=Role.CLIENT_VIEWER,
                                 client_id=uuid.UUID(client_id))  # fmt: skip
            reads = {
                "dashboard": (DASHBOARD, owner, {"range": window}),
                "client view": (CLIENT, viewer,
                                {"id": client_id, "workflow": workflow, "range": window}),
            }  # fmt: skip
            with api_server(g.settings) as base:
                async with httpx.AsyncClient(base_url=base, timeout=120) as c:
                    for name, (query, token, variables) in reads.items():

                        async def read(
                            q: str = query, t: str = token, v: Any = variables, at: str = label
                        ) -> Any:
                            r = await c.post("/graphql", json={"query": q, "variables": v},
                                             headers={"Authorization": f"Bearer {t}"})  # fmt: skip
                            r.raise_for_status()
                            body = r.json()
                            if "errors" in body:
                                raise SystemExit(f"{at}: {body['errors']}")
                            return body

                        bodies[f"{label} {name}"] = await read()
                        lat = []
                        for _ in range(args.requests):
                            t = time.perf_counter()
                            await read()
                            lat.append(1000 * (time.perf_counter() - t))
                        lat.sort()
                        rows.append([name, label, f"{percentile(lat, 0.5):.1f}",
                                     f"{percentile(lat, 0.99):.1f}", ""])  # fmt: skip
                rate = await ingest(base, g.manifest["api_key"], workflow, now,
                                    args.ingest_events, args.batch)  # fmt: skip
                rows.append([f"ingest ({args.batch}/batch)", label, "", "", f"{rate:.0f}"])
        for name in ("dashboard", "client view"):
            a, b = bodies[f"single {name}"], bodies[f"cluster {name}"]
            diff = differences(a, b)
            if diff:
                status = 1
                print(f"{name}: {len(diff)} values differ: " + "; ".join(diff[:10]))
            else:
                print(f"{name}: identical bodies on both ({len(json.dumps(a)):,} characters)")
        print(f"{args.runs:,} runs over {args.days} days; {args.requests} sequential requests "
              f"per read; {args.ingest_events:,} events ingested")  # fmt: skip
        print(table(rows, ["read", "server", "p50 ms", "p99 ms", "events/s"]))
        if not args.keep:
            for label, (admin_url, workers) in targets.items():
                conn = await asyncpg.connect(asyncpg_dsn(admin_url))
                await conn.execute(f'DROP DATABASE IF EXISTS "ledger_cmp_{label}" WITH (FORCE)')
                await conn.close()
                if workers:
                    from app.db.citus import drop_database

                    await drop_database(admin_url, f"ledger_cmp_{label}", workers)
    return status


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--single", required=True, help="owner URL of the single PostgreSQL")
    parser.add_argument("--cluster", required=True, help="owner URL of the Citus coordinator")
    parser.add_argument("--workers", required=True, help="the cluster's workers, host:port,…")
    parser.add_argument("--redis", required=True)
    parser.add_argument("--runs", type=int, default=20000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", help="the generator's now (default: today's UTC midnight)")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--ingest-events", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep both databases")
    sys.exit(asyncio.run(main(parser.parse_args())))
