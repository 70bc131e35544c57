"""Ladder benchmark: cost per rung, a daily series and channel slices over a month of runs.

Seeds one tenant with N runs in March (default 100k; subjects re-contacted 1 time in 5), two
usage events per run, and outcome events at three rungs (20 % reply, 5 % positive reply, 1 %
deal; half linked by correlation id, half by subject), generated server-side. Then times, as the
median of several runs:

- the cohort totals every cost figure uses (`cohort_figures`, for reference);
- `rung_counts` (SQL, one statement) against the honest alternative: loading the cohort's runs
  and the outcome events into Python and counting with `app.domain.ladder.rung_counts`;
- a daily `ladderSeries` (31 buckets) and the channel slices of one `risingSlices` window.

    .venv/bin/python -m bench.ladder_bench                  # 100k runs
    .venv/bin/python -m bench.ladder_bench --runs 300000 --repeat 3
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.db.sessions import TenantSessions, raw_connection, tenant_sessions
from app.domain.ladder import CohortRun, Outcome
from app.domain.ladder import rung_counts as reference_counts
from app.services.costs.cohorts import CohortQuestion, cohort_figures
from app.services.costs.scope import CostScope, TimeRange
from app.services.costs.slices import by_bucket, by_dimension
from app.services.ladders.cohorts import rung_counts, slice_figures
from app.services.tenancy.workflows import upsert_workflow
from bench.common import analyze, command_line, fresh_database, make_tenant, servers, table

MARCH = TimeRange(datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
NOW = datetime(2026, 6, 1, tzinfo=UTC)

SEED = """
INSERT INTO runs (tenant_id, correlation_id, workflow_id, started_at, status, status_at,
                  ended_at, channel, subject)
SELECT $1, 'r' || i, $2,
       $3::timestamptz + (i % 2678400) * interval '1 second',
       CASE WHEN i % 4 = 0 THEN 'REJECTED' ELSE 'ACCEPTED' END,
       $3::timestamptz + (i % 2678400) * interval '1 second' + interval '1 hour',
       $3::timestamptz + (i % 2678400) * interval '1 second' + interval '1 hour',
       (ARRAY['email', 'sms', 'chat', 'web'])[1 + i % 4],
       'lead-' || CASE WHEN i % 5 = 0 THEN i / 5 ELSE i END
FROM generate_series(1, $4) AS i;
"""
SEED_USAGE = """
INSERT INTO usage_events (tenant_id, event_id, correlation_id, workflow_id, kind, occurred_at,
                          cost, cost_source)
SELECT r.tenant_id, r.correlation_id || '-' || k, r.correlation_id, r.workflow_id,
       'TOOL', r.started_at, (0.0125 * k)::numeric(20, 10), 'reported'
FROM runs r CROSS JOIN generate_series(1, 2) AS k
WHERE r.tenant_id = $1;
"""
SEED_OUTCOMES = """
INSERT INTO outcome_events (tenant_id, event_id, workflow_id, rung_key, subject, correlation_id,
                            occurred_at)
SELECT r.tenant_id, rung || '-' || r.correlation_id, r.workflow_id, rung,
       CASE WHEN n % 2 = 0 THEN r.subject END,
       CASE WHEN n % 2 = 1 THEN r.correlation_id END,
       r.started_at + interval '3 days'
FROM (SELECT *, substr(correlation_id, 2)::int AS n FROM runs WHERE tenant_id = $1) r
CROSS JOIN (VALUES ('reply', 5), ('positive_reply', 20), ('deal', 100)) AS l(rung, every)
WHERE r.n % l.every = 0;
"""
# The tables `seed` writes (with the workflow's ladder), analysed before the measurements.
SEEDED = ("runs", "usage_events", "outcome_events", "workflows", "ladder_rungs")


async def seed(sessions: TenantSessions, tenant_id: Any, runs: int) -> Any:
    async with sessions(tenant_id) as session:
        workflow = await upsert_workflow(
            session=session,
            tenant_id=tenant_id,
            key="outreach",
            name="Outreach",
            ladder=[(k, k.title()) for k in ("accepted", "reply", "positive_reply", "deal")],
        )
        conn = await raw_connection(session)
        await conn.execute(SEED, tenant_id, workflow.workflow_id, MARCH.start, runs)
        await conn.execute(SEED_USAGE, tenant_id)
        await conn.execute(SEED_OUTCOMES, tenant_id)
    return workflow.workflow_id


async def reference(session: Any, tenant_id: Any, workflow_id: Any) -> dict[str, int]:
    """The honest alternative: fetch the cohort and the events, count in Python."""
    conn = await raw_connection(session)
    runs = await conn.fetch(
        "SELECT correlation_id, subject, status FROM runs WHERE tenant_id = $1 "
        "AND workflow_id = $2 AND started_at >= $3 AND started_at < $4",
        tenant_id, workflow_id, MARCH.start, MARCH.end,
    )  # fmt: skip
    events = await conn.fetch(
        "SELECT rung_key, subject, correlation_id FROM outcome_events "
        "WHERE tenant_id = $1 AND workflow_id = $2",
        tenant_id, workflow_id,
    )  # fmt: skip
    cohort = [CohortRun(r[0], r[1], r[2] == "ACCEPTED") for r in runs]
    return reference_counts(cohort, [Outcome(e[0], e[1], e[2]) for e in events])


async def timed(repeat: int, make: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await make()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, result


async def main(runs: int, repeat: int) -> None:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as database:
            tenant = await make_tenant(database.settings, "bench")
            async with tenant_sessions(database.settings, pool_size=2) as sessions:
                started = time.perf_counter()
                wid = await seed(sessions, tenant.tenant_id, runs)
                await analyze(database.settings.database_url or "", *SEEDED)
                print(f"seeded {runs:,} runs in {time.perf_counter() - started:.1f} s")
                async with sessions(tenant.tenant_id) as session:
                    question = CohortQuestion(tenant.tenant_id, [wid], MARCH, CostScope(), NOW)
                    common: dict[str, Any] = {"session": session, "question": question}
                    rows = []
                    cases: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
                        ("cohort totals (cohort_figures)", lambda: cohort_figures(**common)),
                        ("rung counts, SQL (rung_counts)", lambda: rung_counts(**common)),
                        ("rung counts, fetch + Python reference",
                         lambda: reference(session, tenant.tenant_id, wid)),
                        ("daily series of one rung (31 buckets)",
                         lambda: slice_figures(**common, rungs=["deal"],
                                               grouping=by_bucket(MARCH.start, timedelta(days=1)))),
                        ("channel slices of one rung (one window)",
                         lambda: slice_figures(**common, rungs=["deal"],
                                               grouping=by_dimension("CHANNEL"))),
                    ]  # fmt: skip
                    results = {}
                    for name, make in cases:
                        ms, results[name] = await timed(repeat, make)
                        rows.append([name, f"{ms:,.1f}"])
                sql = results["rung counts, SQL (rung_counts)"][wid]
                assert sql == results["rung counts, fetch + Python reference"], "disagree"
                fastest = min(float(r[1].replace(",", "")) for r in rows[1:3])
                for r in rows:
                    r.append(f"{float(r[1].replace(',', '')) / fastest:.2f}x")
                print(table(rows, ["query", "median ms", "vs fastest count"]))
                print("counts:", dict(sorted(sql.items())))


if __name__ == "__main__":
    parser = command_line(__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.repeat))
