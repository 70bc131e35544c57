"""Worker benchmark on generated tenants: ROI rebuild, incremental ROI, gates, worker memory.

Runs against databases made (and kept) by `bench.generate --database NAME` (see its module
docstring), one or more sizes:

    DATABASE_URL=postgresql://…/postgres REDIS_URL=redis://…/6 \\
        .venv/bin/python -m bench.worker_bench --database gen_100k --database gen_1m

For each database it measures, in this order:

- **full rebuild** — what `ledger roi rebuild` does (the set-based
  `app.services.roi.rebuild.rebuild_tenant`), in a separate worker-like process whose peak
  resident memory (`VmHWM`) is reported next to the peak of the same process doing nothing but
  importing the application and opening its connection pool. `--batched` also times the
  previous path (mark + `drain(force=True)` in batches of 200) the same way;
- **one hand-written statement** — the fastest honest alternative: a single SELECT computing
  the same per-window aggregates (runs, successes, cohort cost, workflow-level cost, attributed
  revenue) with nothing written and no re-attribution; the ratio rebuild ÷ statement is printed;
- **incremental** — one new revenue event, marked as ingest marks it, then the drain of exactly
  the windows it marked (the median of `--repeat`): a deal linked to one accepted run, and an
  unlinked retainer claimed by all of a client's covering runs. Afterwards the bench events are
  deleted, their windows drained again and the tables they touched vacuumed, so a kept
  database is left as it was (`--incremental-only`: only these two measurements);
- **gate evaluation** — per workflow with a gate: the readiness of that workflow alone (the two
  SQL statements loading its window + the checks), median over the workflows; the checks alone
  (pure CPU, `evaluate_gate`), median; and every gate of the tenant at once (one batched load).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app.db.sessions import TenantSessions, raw_connection, tenant_sessions
from app.domain.readiness import _checks as checks_kept
from app.domain.readiness import evaluate_gate
from app.services.gates.definitions import gates_in_force, spec_of
from app.services.gates.readiness import evaluate_targets
from app.services.gates.windows import window_figures
from app.services.ingest.service import CUSTOM_PLANS
from app.services.roi.dirty import mark_ingest
from app.services.roi.recompute import drain
from app.services.tenancy import catalog
from bench.common import analyze, command_line, owner_connection, servers, table
from bench.generate import database_url, open_generated

# The per-window aggregates of app.services.roi.rebuild.WINDOWS, as one read-only statement.
HANDWRITTEN = """
WITH per_run AS (
    SELECT r.workflow_id, (r.started_at AT TIME ZONE 'UTC')::date AS day, r.client_id,
           count(*) AS runs,
           count(*) FILTER (WHERE r.status = 'ACCEPTED' AND r.status_at
               + make_interval(hours => w.acceptance_hold_hours) <= $2) AS successes,
           sum(c.cost) AS cost
    FROM runs r
    JOIN workflows w ON w.tenant_id = r.tenant_id AND w.workflow_id = r.workflow_id
    LEFT JOIN (SELECT correlation_id, sum(cost) AS cost FROM usage_events
               WHERE tenant_id = $1 GROUP BY 1) c ON c.correlation_id = r.correlation_id
    WHERE r.tenant_id = $1 GROUP BY 1, 2, 3
),
level AS (
    SELECT u.workflow_id, (u.occurred_at AT TIME ZONE 'UTC')::date AS day, u.client_id,
           sum(u.cost) AS cost
    FROM usage_events u
    WHERE u.tenant_id = $1 AND NOT EXISTS (
        SELECT 1 FROM runs s WHERE s.tenant_id = $1 AND s.correlation_id = u.correlation_id)
    GROUP BY 1, 2, 3
),
attributed AS (
    SELECT workflow_id, cohort_day AS day, client_id, sum(amount) AS amount
    FROM revenue_allocations WHERE tenant_id = $1 GROUP BY 1, 2, 3
)
SELECT count(*) FROM per_run p
FULL JOIN level l USING (workflow_id, day, client_id)
FULL JOIN attributed a USING (workflow_id, day, client_id)
"""

CHILD = """
import asyncio, json, sys, time
from datetime import datetime
import asyncpg

from app.db.sessions import TenantSessions, create_engine, raw_connection
from app.db.urls import asyncpg_dsn
from app.settings import Settings

def hwm_kib():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

async def main(url, tenant, now, mode):
    settings = Settings(env="test", database_url=url, log_level="WARNING")
    engine = create_engine(settings, pool_size=2)
    sessions = TenantSessions(engine)
    import uuid
    t = uuid.UUID(tenant)
    async with sessions(t) as session:  # the pool is open, as in a worker
        await (await raw_connection(session)).fetchval("SELECT 1")
    from app.services.roi.rebuild import rebuild_tenant
    from app.services.roi.recompute import drain, mark_for_rebuild
    started = time.perf_counter()
    windows = changed = 0
    if mode == "batched":
        await mark_for_rebuild(sessions=sessions, tenant_id=t)
    if mode == "rebuild":
        report = await rebuild_tenant(sessions=sessions, tenant_id=t, now=now)
        windows, changed = report.windows, report.changed
    elif mode == "batched":
        report = await drain(sessions=sessions, tenant_id=t, now=now, force=True)
        windows, changed = report.windows, report.changed
    seconds = time.perf_counter() - started
    await engine.dispose()
    print(json.dumps({"seconds": seconds, "hwm_kib": hwm_kib(), "windows": windows,
                      "changed": changed}))

asyncio.run(main(sys.argv[1], sys.argv[2], datetime.fromisoformat(sys.argv[3]), sys.argv[4]))
"""


def child(url: str, tenant: uuid.UUID, now: datetime, mode: str) -> dict[str, Any]:
    """Run `mode` (idle, rebuild, batched) in a fresh Python process; its JSON report."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(tenant), now.isoformat(), mode],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


async def vacuum(url: str) -> None:
    """Reclaim the rows the incremental measurements wrote and removed (each retainer inserts
    and deletes ~600 markers and ~600 allocations, and rewrites ~600 windows), as autovacuum
    would between runs: repeated benches then start from the same tables, not from the dead
    tuples of every earlier run (a server with autovacuum off never reclaims them)."""
    async with owner_connection(url) as conn:
        await conn.execute("VACUUM roi_dirty, revenue_allocations, roi_windows, revenue_events")


async def incremental(
    sessions: TenantSessions, t: uuid.UUID, now: datetime, repeat: int, linked: bool
) -> tuple[float, int]:
    """Median seconds of (record one revenue event + mark + drain its windows); windows marked."""
    async with sessions(t) as session:
        conn = await raw_connection(session)
        candidates = await conn.fetch(
            "SELECT correlation_id, client_id, ended_at FROM runs WHERE tenant_id = $1 "
            "AND status = 'ACCEPTED' AND client_id IS NOT NULL AND ended_at > $2 "
            "ORDER BY correlation_id LIMIT $3",
            t,
            now - timedelta(days=20),
            repeat,
        )
    times, marked = [], 0
    for i, run in enumerate(candidates):
        event_id = f"wbench-{'deal' if linked else 'retainer'}-{i}"
        started = time.perf_counter()
        async with sessions(t) as session:
            conn = await raw_connection(session)
            await conn.execute(
                "INSERT INTO revenue_events (tenant_id, event_id, client_id, amount, "
                "occurred_at, correlation_id) VALUES ($1, $2, $3, 250.00, $4, $5)",
                t,
                event_id,
                run["client_id"],
                run["ended_at"] + timedelta(days=1),
                run["correlation_id"] if linked else None,
            )
            await conn.execute(CUSTOM_PLANS)  # as ingest plans its marking statements
            pairs = await mark_ingest(conn, t, revenue=[event_id])
        await drain(sessions=sessions, tenant_id=t, now=now, pairs=pairs)
        times.append(time.perf_counter() - started)
        marked = max(marked, len(pairs))
    return statistics.median(times), marked


async def remove_bench_events(sessions: TenantSessions, t: uuid.UUID, now: datetime) -> None:
    async with sessions(t) as session:
        conn = await raw_connection(session)
        ids = [
            r["event_id"]
            for r in await conn.fetch(
                "SELECT event_id FROM revenue_events WHERE tenant_id = $1 "
                "AND event_id LIKE 'wbench-%'",
                t,
            )
        ]
        pairs = await mark_ingest(conn, t, revenue=ids)
        await conn.execute(
            "DELETE FROM revenue_events WHERE tenant_id = $1 AND event_id = ANY($2::text[])",
            t,
            ids,
        )
    await drain(sessions=sessions, tenant_id=t, now=now, pairs=pairs)


async def gates(sessions: TenantSessions, t: uuid.UUID, now: datetime) -> dict[str, float]:
    async with sessions(t) as session:
        workflows = await catalog.list_workflows(session=session, tenant_id=t)
        found = await gates_in_force(
            session=session, tenant_id=t, workflow_ids=[w.workflow_id for w in workflows]
        )
        targets = [(w, g) for w in workflows for _, g in sorted(found[w.workflow_id].items())]
        started = time.perf_counter()
        await evaluate_targets(session=session, tenant_id=t, targets=targets, now=now)
        all_at_once = time.perf_counter() - started
        each, again, cpu = [], [], []
        for workflow, gate in targets:
            for kept, times in ((False, each), (True, again)):
                if not kept:  # the checks computed, as for new figures
                    checks_kept.cache_clear()
                started = time.perf_counter()
                await evaluate_targets(
                    session=session, tenant_id=t, targets=[(workflow, gate)], now=now
                )
                times.append(time.perf_counter() - started)
            figures = await window_figures(
                session=session,
                tenant_id=t,
                workflow_ids=[workflow.workflow_id],
                window_days=gate.window_days,
                now=now,
            )
            spec = spec_of(gate)
            checks_kept.cache_clear()
            started = time.perf_counter()
            evaluate_gate(
                workflow_key=workflow.key,
                current_level=workflow.autonomy_level,
                gate=spec,
                window=figures[workflow.workflow_id],
                evaluated_at=now,
            )
            cpu.append(time.perf_counter() - started)
    return {
        "gates": len(targets),
        "each_ms": statistics.median(each) * 1000,
        "again_ms": statistics.median(again) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
        "cpu_max_ms": max(cpu) * 1000,
        "all_ms": all_at_once * 1000,
    }


async def bench_one(name: str, admin_url: str, redis_url: str, args: argparse.Namespace) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        gen = await open_generated(
            name, admin_url=admin_url, redis_url=redis_url, data_dir=Path(tmp)
        )
    t, now, url = gen.tenant_id, gen.now, database_url(admin_url, name)
    runs = gen.manifest["runs"]
    if args.gates_only:
        return await gates_rows(name, f"{runs:,}", gen, t, now)
    if args.incremental_only:
        return await incremental_rows(name, f"{runs:,}", gen, t, now, args, url)
    idle = child(url, t, now, "idle")
    rebuilt = child(url, t, now, "rebuild")
    # as autovacuum would after the rebuild's writes
    await analyze(url, "runs", "roi_windows", "revenue_allocations", "roi_dirty", "run_costs")
    again = child(url, t, now, "rebuild")  # nothing to change: the cost of checking
    rows = [
        [name, f"{runs:,}", "full rebuild (set-based)", f"{rebuilt['seconds']:.2f} s",
         f"{rebuilt['windows']:,} windows, {rebuilt['changed']:,} written"],
        [name, "", "full rebuild again (no change)", f"{again['seconds']:.2f} s", ""],
        [name, "", "worker peak RSS: idle / rebuild", f"{idle['hwm_kib'] / 1024:.0f} / "
         f"{rebuilt['hwm_kib'] / 1024:.0f} MiB", ""],
    ]  # fmt: skip
    if args.batched:
        batched = child(url, t, now, "batched")
        rows.append(
            [name, "", "full rebuild (batched drain, before)", f"{batched['seconds']:.2f} s",
             f"peak RSS {batched['hwm_kib'] / 1024:.0f} MiB"]
        )  # fmt: skip
    async with tenant_sessions(gen.settings, pool_size=2) as sessions:
        async with sessions(t) as session:
            conn = await raw_connection(session)
            started = time.perf_counter()
            await conn.fetchval(HANDWRITTEN, t, now)
            hand = time.perf_counter() - started
        rows.append(
            [name, "", "one hand-written aggregate statement", f"{hand:.2f} s",
             f"rebuild ÷ statement = {rebuilt['seconds'] / hand:.2f}"]
        )  # fmt: skip
        rows += await incremental_measures(name, sessions, t, now, args.repeat, url)
        if args.no_gates:
            return rows
        rows += await gate_rows(name, sessions, t, now)
    return rows


async def incremental_measures(
    name: str,
    sessions: TenantSessions,
    t: uuid.UUID,
    now: datetime,
    repeat: int,
    url: str,
    runs: str = "",
) -> list:
    """The two incremental rows (deal, retainer); the bench events are removed afterwards, and
    the tables they touched vacuumed (`vacuum`)."""
    rows = []
    try:
        for linked in (True, False):
            seconds, marked = await incremental(sessions, t, now, repeat, linked)
            what = "deal linked to a run" if linked else "unlinked retainer"
            rows.append(
                [name, runs if linked else "", f"incremental: 1 revenue event ({what})",
                 f"{seconds * 1000:.0f} ms", f"median of {repeat}, {marked} windows marked"]
            )  # fmt: skip
    finally:
        await remove_bench_events(sessions, t, now)
        await vacuum(url)
    return rows


async def incremental_rows(
    name: str, runs: str, gen: Any, t: uuid.UUID, now: datetime, args: argparse.Namespace, url: str
) -> list:
    """The incremental measurements alone (`--incremental-only`: no rebuild, no gates)."""
    async with tenant_sessions(gen.settings, pool_size=2) as sessions:
        return await incremental_measures(name, sessions, t, now, args.repeat, url, runs)


async def gate_rows(
    name: str, sessions: TenantSessions, t: uuid.UUID, now: datetime, runs: str = ""
) -> list:
    g = await gates(sessions, t, now)
    return [
        [name, runs, "gate readiness per workflow (SQL + checks)", f"{g['each_ms']:.1f} ms",
         f"median of {g['gates']} gates, checks computed"],
        [name, "", "the same, figures unchanged", f"{g['again_ms']:.1f} ms",
         "median; checks kept (app.domain.readiness)"],
        [name, "", "gate checks alone (CPU)", f"{g['cpu_ms']:.1f} ms",
         f"median; max {g['cpu_max_ms']:.1f} ms (the table is drawn by then)"],
        [name, "", "every gate of the tenant at once", f"{g['all_ms']:.0f} ms",
         f"{g['all_ms'] / max(g['gates'], 1):.1f} ms per gate"],
    ]  # fmt: skip


async def gates_rows(name: str, runs: str, gen: Any, t: uuid.UUID, now: datetime) -> list:
    """The gate measurements alone (`--gates-only`: nothing written, nothing rebuilt)."""
    async with tenant_sessions(gen.settings, pool_size=2) as sessions:
        return await gate_rows(name, sessions, t, now, runs)


async def main(args: argparse.Namespace) -> None:
    with servers() as (admin_url, redis_url):
        rows = []
        for name in args.database:
            rows += await bench_one(name, admin_url, redis_url, args)
            print(table(rows, ["database", "runs", "measure", "value", "note"]), flush=True)


if __name__ == "__main__":
    parser = command_line(__doc__)
    parser.add_argument("--database", action="append", required=True, help="a generated database")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--batched", action="store_true", help="also time the batched drain")
    parser.add_argument("--no-gates", action="store_true", help="skip the gate measurements")
    parser.add_argument(
        "--gates-only", action="store_true", help="only the gate measurements (read-only)"
    )
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="only the incremental measurements (no rebuild, no hand-written statement, no gates)",
    )
    asyncio.run(main(parser.parse_args()))
