"""Workflow.failureCostShare and Workflow.runCostStats over HTTP, on known cohorts."""

from __future__ import annotations

from decimal import Decimal

from app.domain.run_cost_stats import run_cost_stats
from tests.integration.reads_factories import MARCH, day, insert, outreach_tenant, run, usage

FAILURES = """
query($range: TimeRange!) {
  workflow(key: "outreach") {
    failureCostShare(range: $range) {
      totalCost failedCost share byStatus { status runs cost share }
    }
  }
}
"""

STATS = """
query($range: TimeRange!, $scope: Scope) {
  workflow(key: "outreach") {
    runCostStats(range: $range, scope: $scope) {
      runs p50 p90 p99 max medianCi95Low medianCi95High
    }
  }
}
"""


async def test_failure_cost_share_by_status(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    cohort = [
        ("a1", "ACCEPTED", "10"),
        ("r1", "REJECTED", "5"),
        ("r2", "REJECTED", "5"),
        ("t1", "TIMED_OUT", "20"),
        ("e1", "ESCALATED", "8"),
        ("run", "RUNNING", "2"),  # still running: not a failure yet
    ]
    rows = [run(t, wf, cid, started_at=day(1), status=status) for cid, status, _ in cohort]
    spend = [usage(t, wf, cost, correlation_id=cid, occurred_at=day(1)) for cid, _, cost in cohort]
    await insert(sessions, t, *rows, *spend, usage(t, wf, "0", occurred_at=day(2)))

    body = await tenant.gql(FAILURES, {"range": MARCH})
    result = body["data"]["workflow"]["failureCostShare"]

    assert Decimal(result["totalCost"]) == Decimal(50)
    assert Decimal(result["failedCost"]) == Decimal(38)
    assert result["share"] == 0.76
    assert [
        (s["status"], s["runs"], Decimal(s["cost"]), s["share"]) for s in result["byStatus"]
    ] == [
        ("REJECTED", 2, Decimal(10), 0.2),
        ("ABANDONED", 0, Decimal(0), 0.0),
        ("TIMED_OUT", 1, Decimal(20), 0.4),
        ("TOOL_ERROR", 0, Decimal(0), 0.0),
        ("ESCALATED", 1, Decimal(8), 0.16),
    ]


async def test_failure_cost_share_without_spend_is_null(make_tenant, sessions):
    tenant, _, _ = await outreach_tenant(make_tenant, sessions)

    body = await tenant.gql(FAILURES, {"range": MARCH})
    result = body["data"]["workflow"]["failureCostShare"]

    assert result["share"] is None and Decimal(result["failedCost"]) == 0
    assert len(result["byStatus"]) == 5


async def test_run_cost_stats_on_a_known_set(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    # per-run costs 0 (no usage), 1, 2, ..., 19: twenty runs; run 7 has two events (3 + 4)
    rows = [run(t, wf, f"r{i:02}", started_at=day(1), status="ACCEPTED") for i in range(20)]
    spend = [
        usage(t, wf, str(i), correlation_id=f"r{i:02}", occurred_at=day(1))
        for i in range(1, 20)
        if i != 7
    ]
    spend += [
        usage(t, wf, "3", correlation_id="r07", occurred_at=day(1)),
        usage(t, wf, "4", correlation_id="r07", occurred_at=day(40)),  # after the range: counts
    ]
    await insert(sessions, t, *rows, *spend)

    body = await tenant.gql(STATS, {"range": MARCH})
    result = body["data"]["workflow"]["runCostStats"]

    expected = run_cost_stats([Decimal(i) for i in range(20)])
    assert result["runs"] == 20
    # nearest rank: p50 is the 10th smallest (9), p90 the 18th (17), p99 the 20th (19)
    assert Decimal(result["p50"]) == 9 and Decimal(result["p90"]) == 17
    assert Decimal(result["p99"]) == 19 and Decimal(result["max"]) == 19
    assert Decimal(result["medianCi95Low"]) == expected.median_ci95_low
    assert Decimal(result["medianCi95High"]) == expected.median_ci95_high
    assert Decimal(result["medianCi95Low"]) <= 9 <= Decimal(result["medianCi95High"])


async def test_run_cost_stats_of_an_empty_cohort_are_null(make_tenant, sessions):
    tenant, _, _ = await outreach_tenant(make_tenant, sessions)

    body = await tenant.gql(STATS, {"range": MARCH})

    assert body["data"]["workflow"]["runCostStats"] == {
        "runs": 0,
        "p50": None,
        "p90": None,
        "p99": None,
        "max": None,
        "medianCi95Low": None,
        "medianCi95High": None,
    }


async def test_run_cost_stats_respect_the_scope(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(t, wf, "email", started_at=day(1), channel="email"),
        run(t, wf, "sms", started_at=day(1), channel="sms"),
        usage(t, wf, "3", correlation_id="email", occurred_at=day(1)),
        usage(t, wf, "30", correlation_id="sms", occurred_at=day(1)),
    )

    body = await tenant.gql(STATS, {"range": MARCH, "scope": {"channel": "sms"}})

    result = body["data"]["workflow"]["runCostStats"]
    assert result["runs"] == 1 and Decimal(result["max"]) == 30
