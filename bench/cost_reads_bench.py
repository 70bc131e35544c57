"""Cost reads at scale: the dashboard's service calls on a kept database, optionally EXPLAINed.

Calls each service function of the dashboard (`cohort_figures` for costPerOutcome and
failureCostShare, `rung_counts` for ladderCosts, `window_figures` for readiness,
`cohort_run_costs` for runCostStats) `--repeat` times through `TenantSessions` (the app role,
row-level security on) for every workflow of the database's largest tenant over the last
`--days` days, and prints p50/min per call; `--explain` adds EXPLAIN (ANALYZE, BUFFERS) of every
statement each call ran. `cohort_figures` is measured through the daily rollup (whole UTC
days from `cohort_days`, migration 0009), all-live (`use_rollup=False`, the reference path), and
over a range with partial days at both ends. The database is one
`bench.generate --database NAME` kept:

    DATABASE_URL=postgresql://…/postgres REDIS_URL=redis://…/3 \\
        .venv/bin/python -m bench.cost_reads_bench --database ledger_gen_1m --explain
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sessions import raw_connection, tenant_sessions
from app.services.costs.cohorts import CohortQuestion, cohort_figures, cohort_run_costs
from app.services.costs.scope import CostScope, TimeRange
from app.services.gates.windows import window_figures
from app.services.ladders.cohorts import rung_counts
from app.settings import Settings
from bench.common import command_line, owner_connection

Call = Callable[[AsyncSession], Awaitable[Any]]

LARGEST_TENANT = """
SELECT tenant_id, max(started_at) AS last FROM runs GROUP BY tenant_id ORDER BY count(*) DESC
LIMIT 1
"""


async def target(url: str) -> tuple[uuid.UUID, list[uuid.UUID], Any]:
    """(tenant, its workflows, the UTC midnight after its last run) read as the owner."""
    async with owner_connection(url) as conn:
        row = await conn.fetchrow(LARGEST_TENANT)
        workflows = await conn.fetch(
            "SELECT workflow_id FROM workflows WHERE tenant_id = $1 ORDER BY key", row["tenant_id"]
        )
    last = row["last"]
    now = last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return row["tenant_id"], [w["workflow_id"] for w in workflows], now


def calls(tenant: uuid.UUID, workflows: list[uuid.UUID], now: Any, days: int) -> dict[str, Call]:
    span = TimeRange(now - timedelta(days=days), now)
    partial = TimeRange(span.start + timedelta(hours=7), span.end - timedelta(hours=5))

    def cohort(function: Any, time_range: TimeRange = span, **extra: Any) -> Call:
        """`function` over the cohort of `time_range`, unscoped, for every workflow."""
        question = CohortQuestion(tenant, workflows, time_range, CostScope(), now)
        return lambda s: function(session=s, question=question, **extra)

    return {
        "cohort_figures (costPerOutcome, failureCostShare)": cohort(cohort_figures),
        "cohort_figures all-live (no daily rollup)": cohort(cohort_figures, use_rollup=False),
        "cohort_figures, range with partial days (rollup + live ends)": cohort(
            cohort_figures, partial
        ),
        "rung_counts (ladderCosts; ladder_reach rollup)": cohort(rung_counts),
        "rung_counts live (no ladder_reach rollup)": cohort(rung_counts, use_rollup=False),
        "rung_counts, range with partial days (rollup)": cohort(rung_counts, partial),
        f"window_figures {days}d (readiness)": lambda s: window_figures(
            session=s, tenant_id=tenant, workflow_ids=workflows, window_days=days, now=now
        ),
        "cohort_run_costs (runCostStats)": cohort(cohort_run_costs),
    }


async def main(database: str, days: int, repeat: int, explain: bool, admin_url: str) -> None:
    url = make_url(admin_url).set(database=database).render_as_string(hide_password=False)
    tenant, workflows, now = await target(url)
    settings = Settings(env="test", database_url=url, log_level="WARNING")
    print(f"tenant {tenant}: {len(workflows)} workflows, last {days} days before {now}")
    async with tenant_sessions(settings, pool_size=2) as sessions:
        captured: list[tuple[str, Any]] = []

        @event.listens_for(sessions.engine.sync_engine, "before_cursor_execute")
        def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            if "app.tenant_id" not in statement and statement.lstrip().upper().startswith(
                ("SELECT", "WITH")
            ):
                captured.append((statement, params))

        for name, call in calls(tenant, workflows, now, days).items():
            times = []
            for _ in range(repeat):
                captured.clear()
                async with sessions(tenant) as session:
                    started = time.perf_counter()
                    await call(session)
                    times.append((time.perf_counter() - started) * 1000)
            print(f"{name}: p50 {statistics.median(times):.0f} ms, min {min(times):.0f} ms")
            for statement, params in captured if explain else []:
                async with sessions(tenant) as session:
                    raw = await raw_connection(session)
                    plan = await raw.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *params)
                    print("    " + "\n    ".join(r[0] for r in plan))


if __name__ == "__main__":
    import os

    parser = command_line(__doc__, whole=True)
    parser.add_argument("--database", required=True, help="a kept database (bench.generate)")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    admin = os.environ.get("DATABASE_URL")
    if not admin:
        raise SystemExit("set DATABASE_URL to the server holding --database")
    asyncio.run(main(args.database, args.days, args.repeat, args.explain, admin))
