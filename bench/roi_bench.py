"""ROI benchmark: a full rebuild of a tenant's ROI windows, and one incremental recompute.

Seeds one tenant (server-side, generate_series) with N runs spread over D days, W workflows and
C clients (70 % accepted, 20 % rejected, 10 % still running; two usage events per run; a
workflow-level cost per workflow and day), and N/10 revenue events mixing every kind of link
(workflow, subject, correlation id, none); then ANALYZEs, as autovacuum would on a live database
(without statistics the planner takes a whole tenant for one row). Then measures, in one run:

- **full rebuild, set-based** — what `ledger roi rebuild` does:
  `app.services.roi.rebuild.rebuild_tenant` (the split and every window in SQL, one transaction);
- **full rebuild, batched** — `ledger roi rebuild --batched`: mark every window dirty, drain in
  transactions of 200 windows (set-based aggregates + the pure attribution per batch);
- **full rebuild, one window per transaction** — the same work without batching (batch size 1);
- **load into Python** — the honest alternative to SQL aggregation: fetch every run, usage event
  and revenue event and compute all windows with the pure reference
  (`app.domain.roi_cohorts.compute_windows`), writing nothing;
- **incremental** — one run newly accepted plus one new revenue event, marked like ingest marks
  them, and the drain of just those windows (median of --repeat).

    .venv/bin/python -m bench.roi_bench                          # 5k runs, 30 days: seconds
    .venv/bin/python -m bench.roi_bench --runs 100000 --days 90 --clients 50 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.db.sessions import TenantSessions, raw_connection, tenant_sessions
from app.domain.attribution import RevenueEvent
from app.domain.enums import RunStatus
from app.domain.roi_cohorts import CohortRun, UsageCost, compute_windows
from app.services.roi.dirty import mark_ingest
from app.services.roi.rebuild import rebuild_tenant
from app.services.roi.recompute import drain, mark_for_rebuild
from app.services.tenancy.tenants import create_client
from app.services.tenancy.workflows import upsert_workflow
from bench.common import analyze, command_line, fresh_database, make_tenant, servers, table

START = datetime(2026, 3, 1, tzinfo=UTC)

SEED_RUNS = """
INSERT INTO runs (tenant_id, correlation_id, workflow_id, client_id, started_at, status,
                  status_at, ended_at, subject)
SELECT $1, 'r' || i, ($2::uuid[])[1 + i % cardinality($2::uuid[])],
       ($3::uuid[])[1 + (i / 7) % cardinality($3::uuid[])],
       $4::timestamptz + (i % ($5 * 86400)) * interval '1 second',
       CASE WHEN i % 10 < 7 THEN 'ACCEPTED' WHEN i % 10 < 9 THEN 'REJECTED' ELSE 'RUNNING' END,
       CASE WHEN i % 10 < 9 THEN $4::timestamptz + (i % ($5 * 86400)) * interval '1 second'
                                 + interval '1 hour' END,
       CASE WHEN i % 10 < 9 THEN $4::timestamptz + (i % ($5 * 86400)) * interval '1 second'
                                 + interval '1 hour' END,
       'lead-' || (i % greatest($6 / 3, 1))
FROM generate_series(1, $6) AS i
"""
SEED_USAGE = """
INSERT INTO usage_events (tenant_id, event_id, correlation_id, workflow_id, client_id, kind,
                          occurred_at, cost, cost_source)
SELECT r.tenant_id, r.correlation_id || '-' || k, r.correlation_id, r.workflow_id, r.client_id,
       'TOOL', r.started_at, (0.0125 * k)::numeric(20, 10), 'reported'
FROM runs r CROSS JOIN generate_series(1, 2) AS k WHERE r.tenant_id = $1
UNION ALL
SELECT $1, 'infra-' || w || '-' || d, NULL, w, NULL, 'INFRA',
       $3::timestamptz + d * interval '1 day' + interval '12 hours', 1.5, 'reported'
FROM unnest($2::uuid[]) AS w CROSS JOIN generate_series(0, $4 - 1) AS d
"""
SEED_REVENUE = """
INSERT INTO revenue_events (tenant_id, event_id, client_id, amount, occurred_at, workflow_id,
                            subject, correlation_id)
SELECT $1, 'e' || i, ($3::uuid[])[1 + i % cardinality($3::uuid[])],
       ((i % 500) + 1) * 1.25,
       $4::timestamptz + ((i * 37) % ($5 * 86400)) * interval '1 second' + interval '2 hours',
       CASE WHEN i % 4 = 0 THEN ($2::uuid[])[1 + i % cardinality($2::uuid[])] END,
       CASE WHEN i % 4 = 1 THEN 'lead-' || (i % greatest($6 / 3, 1)) END,
       CASE WHEN i % 4 = 2 THEN 'r' || (1 + (i * 7) % $6) END
FROM generate_series(1, $6 / 10) AS i
"""


async def seed(
    sessions: TenantSessions, tenant_id: uuid.UUID, runs: int, days: int, wfs: int, clients: int
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    async with sessions(tenant_id) as session:
        workflow_ids = [
            (
                await upsert_workflow(
                    session=session, tenant_id=tenant_id, key=f"wf{w}", name=f"Workflow {w}"
                )
            ).workflow_id
            for w in range(wfs)
        ]
        client_ids = []
        for c in range(clients):
            made = await create_client(session=session, tenant_id=tenant_id, name=f"Client {c}")
            client_ids.append(made.client_id)
        conn = await raw_connection(session)
        await conn.execute(SEED_RUNS, tenant_id, workflow_ids, client_ids, START, days, runs)
        await conn.execute(SEED_USAGE, tenant_id, workflow_ids, START, days)
        await conn.execute(SEED_REVENUE, tenant_id, workflow_ids, client_ids, START, days, runs)
    return workflow_ids, client_ids


async def clear(sessions: TenantSessions, tenant_id: uuid.UUID) -> None:
    async with sessions(tenant_id) as session:
        conn = await raw_connection(session)
        await conn.execute("DELETE FROM revenue_allocations WHERE tenant_id = $1", tenant_id)
        await conn.execute("DELETE FROM roi_windows WHERE tenant_id = $1", tenant_id)


async def rebuild(sessions: TenantSessions, tenant_id: uuid.UUID, now: datetime, batch: int) -> int:
    await mark_for_rebuild(sessions=sessions, tenant_id=tenant_id)
    report = await drain(
        sessions=sessions, tenant_id=tenant_id, now=now, batch_size=batch, force=True
    )
    return report.windows


async def set_based(sessions: TenantSessions, tenant_id: uuid.UUID, now: datetime) -> int:
    report = await rebuild_tenant(sessions=sessions, tenant_id=tenant_id, now=now)
    return report.windows


async def in_python(sessions: TenantSessions, tenant_id: uuid.UUID, now: datetime) -> int:
    async with sessions(tenant_id) as session:
        conn = await raw_connection(session)
        run_rows = await conn.fetch(
            "SELECT r.*, w.acceptance_hold_hours FROM runs r JOIN workflows w "
            "USING (tenant_id, workflow_id) WHERE r.tenant_id = $1",
            tenant_id,
        )
        usage_rows = await conn.fetch(
            "SELECT workflow_id, client_id, correlation_id, occurred_at, cost "
            "FROM usage_events WHERE tenant_id = $1",
            tenant_id,
        )
        event_rows = await conn.fetch(
            "SELECT * FROM revenue_events WHERE tenant_id = $1", tenant_id
        )
    runs = [
        CohortRun(
            correlation_id=r["correlation_id"],
            workflow_id=r["workflow_id"],
            client_id=r["client_id"],
            started_at=r["started_at"],
            status=RunStatus(r["status"]),
            status_at=r["status_at"],
            ended_at=r["ended_at"],
            subject=r["subject"],
            hold_hours=r["acceptance_hold_hours"],
        )
        for r in run_rows
    ]
    usage = [
        UsageCost(u["workflow_id"], u["client_id"], u["correlation_id"], u["occurred_at"], u[4])
        for u in usage_rows
    ]
    events = [RevenueEvent.from_row(e) for e in event_rows]
    windows, _ = compute_windows(runs=runs, usage=usage, events=events, baselines={}, now=now)
    return len(windows)


async def incremental(
    sessions: TenantSessions, tenant_id: uuid.UUID, now: datetime, i: int
) -> None:
    """Accept the i-th running run, record one revenue event for its client, then recompute."""
    async with sessions(tenant_id) as session:
        conn = await raw_connection(session)
        row = await conn.fetchrow(
            "UPDATE runs SET status = 'ACCEPTED', status_at = started_at + interval '2 hours', "
            "ended_at = started_at + interval '2 hours' "
            "WHERE tenant_id = $1 AND correlation_id = ("
            " SELECT correlation_id FROM runs WHERE tenant_id = $1 AND status = 'RUNNING'"
            " AND client_id IS NOT NULL ORDER BY correlation_id OFFSET $2 LIMIT 1) "
            "RETURNING correlation_id, client_id, ended_at",
            tenant_id,
            i * 97,
        )
        await conn.execute(
            "INSERT INTO revenue_events (tenant_id, event_id, client_id, amount, occurred_at) "
            "VALUES ($1, $2, $3, 99.99, $4)",
            tenant_id,
            f"bench-{i}",
            row["client_id"],
            row["ended_at"] + timedelta(days=1),
        )
        pairs = await mark_ingest(
            conn, tenant_id, runs=[row["correlation_id"]], revenue=[f"bench-{i}"]
        )
    await drain(sessions=sessions, tenant_id=tenant_id, now=now, pairs=pairs)


async def timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = await work()
    return time.perf_counter() - started, result


async def main(args: argparse.Namespace) -> None:
    now = START + timedelta(days=args.days + 45)  # every window FINAL: the heaviest attribution
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            tenant = await make_tenant(db.settings, "ROI bench")
            async with tenant_sessions(db.settings, pool_size=4) as sessions:
                t = tenant.tenant_id
                seconds, _ = await timed(
                    lambda: seed(sessions, t, args.runs, args.days, args.workflows, args.clients)
                )
                events = args.runs // 10
                print(f"seeded {args.runs:,} runs, {events:,} revenue events in {seconds:.1f}s")
                await analyze(db.settings.database_url or "")
                batched, windows = await timed(lambda: rebuild(sessions, t, now, 200))
                print(f"full rebuild: {windows:,} windows in {batched:.2f}s", flush=True)
                await clear(sessions, t)
                fast, fast_windows = await timed(lambda: set_based(sessions, t, now))
                await clear(sessions, t)
                single, _ = await timed(lambda: rebuild(sessions, t, now, 1))
                python, reference = await timed(lambda: in_python(sessions, t, now))
                steps = []
                for i in range(args.repeat):
                    started = time.perf_counter()
                    await incremental(sessions, t, now, i)
                    steps.append(time.perf_counter() - started)
    incremental_s = statistics.median(steps)
    assert windows == reference == fast_windows, (windows, reference, fast_windows)
    rows = [
        ["full rebuild, set-based", f"{fast:.2f}", f"{fast / batched:.2f}", f"{fast_windows:,}"],
        ["full rebuild, batches of 200", f"{batched:.2f}", "1.00", f"{windows:,}"],
        ["full rebuild, 1 window per transaction", f"{single:.2f}", f"{single / batched:.2f}", ""],
        ["load everything into Python (no writes)", f"{python:.2f}", f"{python / batched:.2f}", ""],
        ["incremental: 1 label + 1 revenue event", f"{incremental_s:.3f}", "", ""],
    ]
    print(table(rows, ["measure", "seconds", "× batched", "windows"]))


if __name__ == "__main__":
    parser = command_line(__doc__)
    parser.add_argument("--runs", type=int, default=5_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--workflows", type=int, default=2)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
