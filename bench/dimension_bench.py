"""Dashboard figures with and without a run-dimension scope, on a tenant made by bench.generate.

Reads the kept database of `bench.generate --database NAME` (every run carries a declared
`segment`, a quarter of the runs per value) through `ledger serve`, with an OWNER token, the
last 30 days before the generated data's `now`:

- dashboard: every workflow's costPerOutcome, failureCostShare and ladderCosts (the unscoped
  cohort figures read the daily rollup);
- dashboard scoped to one segment: the same fields with `scope: {dimensions: [{key: "segment",
  value: …}]}` (the live path: the rollup keeps no dimension);
- dashboard scoped to one campaign: the same live path with a built-in run tag, for comparison;
- breakdown by segment: `costBreakdown(groupBy: [CUSTOM], dimensionKey: "segment")`.

Each read: 5 warm-up requests, then `--requests` sequential requests, p50 and p90 (ms). The
segment scope's figures are also checked against a hand-written SQL sum of the same runs.

    DATABASE_URL=… REDIS_URL=… .venv/bin/python -m bench.dimension_bench --generated ledger_gen_1m
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from app.auth.principal import Role
from app.auth.tokens import issue_token
from bench.common import (
    api_process,
    command_line,
    graphql,
    owner_connection,
    percentile,
    print_timings,
    servers,
)
from bench.generate import CAMPAIGNS, SEGMENT_KEY, open_generated

DASHBOARD = """
query Dashboard($range: TimeRange!, $scope: Scope) {
  workflows {
    key
    costPerOutcome(range: $range, scope: $scope) {
      attempts acceptedOutcomes pendingOutcomes totalCost costPerAttempt costPerOutcome
      successRate failureCostShare
    }
    failureCostShare(range: $range, scope: $scope) {
      totalCost failedCost share byStatus { status runs cost share }
    }
    ladderCosts(range: $range, scope: $scope) {
      rung position count totalCost costPerRung conversionFromPrevious
    }
  }
}
"""
BREAKDOWN = """
query BySegment($range: TimeRange!) {
  costBreakdown(range: $range, groupBy: [CUSTOM], dimensionKey: "segment") { key cost events }
}
"""
# The cohort's run cost of one segment, by hand: runs started in range with the segment, all
# their usage (owner connection: the tenant is explicit).
SEGMENT_RUN_COST = """
SELECT count(*) AS runs, coalesce(sum(u.cost), 0) AS cost
FROM runs r LEFT JOIN LATERAL (
    SELECT sum(cost) AS cost FROM usage_events e
    WHERE e.tenant_id = r.tenant_id AND e.correlation_id = r.correlation_id
) u ON true
WHERE r.tenant_id = $1 AND r.started_at >= $2 AND r.started_at < $3
  AND r.dimensions @> jsonb_build_object('segment', $4::text)
"""


async def main(args: argparse.Namespace) -> None:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        generated = await open_generated(
            args.generated, admin_url=admin_url, redis_url=redis_url, data_dir=Path(tmp)
        )
        settings, tenant_id, now = generated.settings, generated.tenant_id, generated.now
        rows = generated.manifest["rows"]
        print(f"generated database {args.generated}: {rows['runs']:,} runs, "
              f"{rows['usage_events']:,} usage events, data up to {now}")  # fmt: skip
        start = now - timedelta(days=30)
        window = {"from": start.isoformat(), "to": now.isoformat()}
        scope = {"dimensions": [{"key": SEGMENT_KEY, "value": args.segment}]}
        owner = issue_token(settings, tenant_id=tenant_id, role=Role.OWNER)
        reads = {
            "dashboard (rollup)": (DASHBOARD, {"range": window, "scope": None}),
            f"dashboard, segment={args.segment} (live)": (
                DASHBOARD,
                {"range": window, "scope": scope},
            ),
            # the same path with a built-in run tag: what any run-only scope costs
            f"dashboard, campaign={CAMPAIGNS[0]} (live)": (
                DASHBOARD,
                {"range": window, "scope": {"campaign": CAMPAIGNS[0]}},
            ),
            "costBreakdown by segment": (BREAKDOWN, {"range": window}),
        }
        results: list[list[str]] = []
        bodies: dict[str, Any] = {}
        # a loaded machine starts it slowly
        with api_process(settings, start_timeout=180) as (base, _):
            async with httpx.AsyncClient(base_url=base, timeout=300) as client:

                async def call(query: str, variables: Any) -> Any:
                    return (await graphql(client, query, owner, variables))["data"]

                for name, (query, variables) in reads.items():
                    for _ in range(5):
                        bodies[name] = await call(query, variables)
                    latencies = []
                    for _ in range(args.requests):
                        started = time.perf_counter()
                        await call(query, variables)
                        latencies.append((time.perf_counter() - started) * 1000)
                    latencies.sort()
                    p50, p90 = percentile(latencies, 0.5), percentile(latencies, 0.9)
                    results.append([name, f"{p50:.0f}", f"{p90:.0f}", str(args.requests)])
        print_timings(results, ["read", "p50 ms", "p90 ms", "requests"])

        # The scoped figure against a hand-written sum (run costs only: the scope leaves the
        # workflow-level costs out, as it does for campaign).
        scoped = bodies[f"dashboard, segment={args.segment} (live)"]["workflows"]
        attempts = sum(w["costPerOutcome"]["attempts"] for w in scoped)
        total = sum(Decimal(w["costPerOutcome"]["totalCost"]) for w in scoped)
        async with owner_connection(settings.database_url or "") as conn:
            found = await conn.fetchrow(SEGMENT_RUN_COST, tenant_id, start, now, args.segment)
        print(f"segment {args.segment}: {attempts:,} runs, totalCost {total} "
              f"(hand-written SQL: {found['runs']:,} runs, {found['cost']})")  # fmt: skip
        assert (attempts, total) == (found["runs"], found["cost"]), "scoped figures differ"
        buckets = bodies["costBreakdown by segment"]["costBreakdown"]
        print("by segment: " + ", ".join(f"{b['key'][0]} {b['cost']}" for b in buckets))


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--generated", required=True, help="a database kept by bench.generate")
    parser.add_argument("--segment", default="smb")
    parser.add_argument("--requests", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
