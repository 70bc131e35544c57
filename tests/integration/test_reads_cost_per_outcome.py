"""Workflow.costPerOutcome over HTTP, against hand-computed figures (the cohort rule)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from tests.integration.reads_factories import (
    MARCH,
    acme_and_globex,
    day,
    insert,
    outreach_tenant,
    run,
    usage,
)

FIGURES = """
query($range: TimeRange!, $scope: Scope, $basis: CostBasis) {
  workflow(key: "outreach") {
    costPerOutcome(range: $range, scope: $scope, basis: $basis) {
      attempts acceptedOutcomes pendingOutcomes totalCost costPerAttempt costPerOutcome
      successRate failureCostShare
    }
  }
}
"""


async def figures(tenant, scope=None, time_range=MARCH, basis=None) -> dict:
    body = await tenant.gql(FIGURES, {"range": time_range, "scope": scope, "basis": basis})
    assert "errors" not in body, body
    return body["data"]["workflow"]["costPerOutcome"]


async def test_a_thousand_dollars_over_500_accepted_runs_is_two_dollars(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    runs = [run(t, wf, f"r{i}", started_at=day(1), status="ACCEPTED") for i in range(500)]
    spend = [usage(t, wf, "2", correlation_id=f"r{i}", occurred_at=day(1)) for i in range(500)]
    await insert(sessions, t, *runs, *spend)

    result = await figures(tenant)

    assert result["costPerOutcome"] == "2.0000000000"
    assert result["attempts"] == 500 and result["acceptedOutcomes"] == 500
    assert Decimal(result["totalCost"]) == Decimal(1000)
    assert Decimal(result["costPerAttempt"]) == Decimal(2)
    assert result["successRate"] == 1.0 and result["failureCostShare"] == 0.0


async def test_failures_raise_the_cost_per_outcome_never_the_outcome_count(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    statuses = ["ACCEPTED"] * 4 + ["REJECTED", "ABANDONED", "TIMED_OUT", "TOOL_ERROR"]
    runs = [run(t, wf, f"r{i}", started_at=day(2), status=s) for i, s in enumerate(statuses)]
    spend = [usage(t, wf, "1.50", correlation_id=f"r{i}", occurred_at=day(2)) for i in range(8)]
    await insert(sessions, t, *runs, *spend)

    result = await figures(tenant)

    assert result["acceptedOutcomes"] == 4 and result["attempts"] == 8
    assert Decimal(result["totalCost"]) == Decimal(12)
    assert result["costPerOutcome"] == "3.0000000000"  # 12 / 4, not 6 / 4
    assert result["successRate"] == 0.5
    assert result["failureCostShare"] == 0.5


async def test_running_runs_are_attempts_but_neither_finished_nor_failures(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(t, wf, "done", started_at=day(1), status="ACCEPTED"),
        run(t, wf, "busy", started_at=day(1)),
        usage(t, wf, "3", correlation_id="done", occurred_at=day(1)),
        usage(t, wf, "1", correlation_id="busy", occurred_at=day(1)),
    )

    result = await figures(tenant)

    assert result["attempts"] == 2 and result["acceptedOutcomes"] == 1
    assert result["successRate"] == 1.0  # 1 accepted of 1 finished
    assert result["failureCostShare"] == 0.0
    assert result["costPerOutcome"] == "4.0000000000"


async def test_acceptances_inside_the_hold_are_pending_not_outcomes(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions, hold_hours=48)
    now = datetime.now(UTC)
    await insert(
        sessions,
        t,
        # accepted 3 days ago: the 48 h hold has passed
        run(
            t,
            wf,
            "old",
            started_at=now - timedelta(days=4),
            status="ACCEPTED",
            status_at=now - timedelta(days=3),
        ),
        # accepted an hour ago: still inside the hold
        run(
            t,
            wf,
            "new",
            started_at=now - timedelta(hours=2),
            status="ACCEPTED",
            status_at=now - timedelta(hours=1),
        ),
        usage(t, wf, "5", correlation_id="old", occurred_at=now - timedelta(days=4)),
        usage(t, wf, "5", correlation_id="new", occurred_at=now - timedelta(hours=2)),
    )
    recent = {
        "from": (now - timedelta(days=7)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }

    result = await figures(tenant, time_range=recent)

    assert result["attempts"] == 2
    assert result["acceptedOutcomes"] == 1 and result["pendingOutcomes"] == 1
    assert result["costPerOutcome"] == "10.0000000000"
    assert result["successRate"] == 1.0  # the pending run is not finished yet
    assert result["failureCostShare"] == 0.0  # nor a failure


async def test_workflow_level_costs_in_range_are_included(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(t, wf, "r1", started_at=day(1), status="ACCEPTED"),
        usage(t, wf, "2", correlation_id="r1", occurred_at=day(1)),
        usage(t, wf, "10", kind="INFRA", occurred_at=day(5)),  # no correlation id
        usage(t, wf, "3", correlation_id="never-started", occurred_at=day(6)),  # names no run
        usage(t, wf, "100", kind="INFRA", occurred_at=day(40)),  # booked after the range
    )

    result = await figures(tenant)

    assert Decimal(result["totalCost"]) == Decimal(15)
    assert result["costPerOutcome"] == "15.0000000000"


async def test_the_cohort_is_runs_started_in_range_with_all_their_usage(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    await insert(
        sessions,
        t,
        # started before March: excluded, though its usage falls inside March
        run(t, wf, "february", started_at=day(-3), status="ACCEPTED"),
        usage(t, wf, "50", correlation_id="february", occurred_at=day(2)),
        # started at the end of March: included, with usage that occurs in April
        run(t, wf, "march", started_at=day(30, hours=23), status="ACCEPTED", status_at=day(32)),
        usage(t, wf, "4", correlation_id="march", occurred_at=day(30, hours=23)),
        usage(t, wf, "6", correlation_id="march", occurred_at=day(31, hours=2)),
    )

    result = await figures(tenant)

    assert result["attempts"] == 1 and result["acceptedOutcomes"] == 1
    assert Decimal(result["totalCost"]) == Decimal(10)


async def test_the_range_is_half_open(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(t, wf, "at-start", started_at=day(0), status="ACCEPTED"),
        run(t, wf, "at-end", started_at=day(31), status="ACCEPTED"),  # 2026-04-01 00:00
    )

    result = await figures(tenant)

    assert result["attempts"] == 1


async def test_scope_filters_runs_and_workflow_level_costs(make_tenant, sessions):
    tenant, t, wf, acme, globex = await acme_and_globex(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(
            t,
            wf,
            "a1",
            started_at=day(1),
            status="ACCEPTED",
            client_id=acme.client_id,
            campaign="spring",
            team="red",
        ),
        run(
            t,
            wf,
            "g1",
            started_at=day(1),
            status="ACCEPTED",
            client_id=globex.client_id,
            campaign="spring",
            team="blue",
        ),
        usage(t, wf, "2", correlation_id="a1", occurred_at=day(1)),
        usage(t, wf, "4", correlation_id="g1", occurred_at=day(1)),
        usage(t, wf, "8", kind="INFRA", occurred_at=day(3), client_id=acme.client_id),
        usage(t, wf, "16", kind="INFRA", occurred_at=day(3), team="blue"),
    )

    acme_only = await figures(tenant, scope={"clientId": str(acme.client_id)})
    blue_only = await figures(tenant, scope={"team": "blue"})
    spring = await figures(tenant, scope={"campaign": "spring"})
    everything = await figures(tenant)

    assert (acme_only["attempts"], Decimal(acme_only["totalCost"])) == (1, Decimal(10))
    assert (blue_only["attempts"], Decimal(blue_only["totalCost"])) == (1, Decimal(20))
    # workflow-level costs carry no campaign: a campaign scope leaves them out
    assert (spring["attempts"], Decimal(spring["totalCost"])) == (2, Decimal(6))
    assert Decimal(everything["totalCost"]) == Decimal(30)


async def test_an_empty_cohort_gives_nulls_not_fake_zeros(make_tenant, sessions):
    tenant, _, _ = await outreach_tenant(make_tenant, sessions)

    result = await figures(tenant)

    assert result["attempts"] == 0 and Decimal(result["totalCost"]) == 0
    assert result["costPerAttempt"] is None and result["costPerOutcome"] is None
    assert result["successRate"] is None and result["failureCostShare"] is None


async def test_reconciled_basis_returns_the_rack_rate_figures_for_now(make_tenant, sessions):
    tenant, t, wf = await outreach_tenant(make_tenant, sessions)
    await insert(
        sessions,
        t,
        run(t, wf, "r1", started_at=day(1), status="ACCEPTED"),
        usage(t, wf, "7", correlation_id="r1", occurred_at=day(1)),
    )

    assert await figures(tenant, basis="RECONCILED") == await figures(tenant, basis="RACK_RATE")


async def test_a_bad_range_is_bad_user_input_naming_the_field(make_tenant, sessions):
    tenant, _, _ = await outreach_tenant(make_tenant, sessions)

    backwards = await tenant.gql(FIGURES, {"range": {"from": MARCH["to"], "to": MARCH["from"]}})
    naive = await tenant.gql(FIGURES, {"range": {"from": "2026-03-01T00:00:00", "to": MARCH["to"]}})

    assert backwards["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "range"}
    assert naive["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "range.from"}


async def test_a_malformed_scope_client_id_is_bad_user_input(make_tenant, sessions):
    tenant, _, _ = await outreach_tenant(make_tenant, sessions)

    body = await tenant.gql(FIGURES, {"range": MARCH, "scope": {"clientId": "acme"}})

    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "scope.clientId"}
