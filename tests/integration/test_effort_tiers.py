"""Workflow.effortTiers and the EFFORT breakdown over HTTP, against hand-computed figures.

Cohort (runs started 2026-03-02; statuses set an hour later):
  medium  40 runs, 30 ACCEPTED + 10 REJECTED; each run: LLM 0.10 effort " Medium " (normalised
          to "medium") + LLM 0.01 effort "high" → dominant effort medium (0.10 > 0.01)
          totalCost 40 x 0.11 = 4.40; per attempt 0.11; per outcome 4.40 / 30 = 0.1466666667
  high    40 runs, 32 ACCEPTED + 8 REJECTED; each run: LLM 0.70 effort "high"
          totalCost 28.00; per attempt 0.70; per outcome 28.00 / 32 = 0.875
  null    1 RUNNING run with a TOOL call 0.05 (no effort)
Baseline = medium (cheapest per attempt). high: cost multiple 0.70 / 0.11 = 6.3636363636;
outcome multiple (28 x 30) / (32 x 4.40) = 840 / 140.8 = 5.9659090909; lift 0.80 − 0.75 = 0.05,
whose interval holds 0 → NOT_DISTINGUISHABLE; default medium.
By event (EFFORT breakdown): medium 40 x 0.10 = 4.00; high 40 x 0.01 + 40 x 0.70 = 28.40;
(none) 0.05.
"""

from __future__ import annotations

from tests.integration.reads_factories import MARCH, day, insert, run, usage, workflow

EFFORT = """
query($range: TimeRange!, $scope: Scope, $min: Int! = 30) {
  workflow(key: "outreach") {
    effortTiers(range: $range, scope: $scope, minFinished: $min) {
      baseline recommendedDefault minFinished confidence
      tiers {
        tier attempts finishedRuns acceptedOutcomes totalCost costPerAttempt costPerOutcome
        successRate isBaseline costMultiple outcomeCostMultiple qualityLift qualityLiftLow
        qualityLiftHigh verdict
      }
    }
  }
}
"""


async def seed(sessions, t) -> None:
    wf = workflow(t)
    rows: list = [wf]
    for i in range(40):
        status = "ACCEPTED" if i < 30 else "REJECTED"
        rows.append(run(t, wf, f"m{i}", started_at=day(1), status=status, channel="email"))
        rows.append(
            usage(
                t,
                wf,
                "0.10",
                correlation_id=f"m{i}",
                occurred_at=day(1),
                model="gpt",
                reasoning_effort=" Medium ",
            )
        )
        rows.append(
            usage(
                t,
                wf,
                "0.01",
                correlation_id=f"m{i}",
                occurred_at=day(1),
                model="gpt",
                reasoning_effort="high",
            )
        )
        status = "ACCEPTED" if i < 32 else "REJECTED"
        rows.append(run(t, wf, f"h{i}", started_at=day(1), status=status, channel="sms"))
        rows.append(
            usage(
                t,
                wf,
                "0.70",
                correlation_id=f"h{i}",
                occurred_at=day(1),
                model="gpt",
                reasoning_effort="high",
            )
        )
    rows.append(run(t, wf, "n0", started_at=day(1)))
    rows.append(usage(t, wf, "0.05", correlation_id="n0", occurred_at=day(1), kind="TOOL"))
    await insert(sessions, t, *rows)


async def test_a_seven_times_dearer_tier_without_proven_lift(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    found = (await tenant.data(EFFORT, {"range": MARCH}))["workflow"]["effortTiers"]
    assert found["baseline"] == "medium"
    assert found["recommendedDefault"] == "medium"
    assert (found["minFinished"], found["confidence"]) == (30, 0.95)
    medium, high, none = found["tiers"]
    assert medium["tier"] == "medium" and medium["isBaseline"]
    assert (medium["attempts"], medium["finishedRuns"], medium["acceptedOutcomes"]) == (40, 40, 30)
    assert medium["totalCost"] == "4.4000000000"
    assert medium["costPerAttempt"] == "0.1100000000"
    assert medium["costPerOutcome"] == "0.1466666667"
    assert medium["costMultiple"] == "1.0000000000"
    assert high["tier"] == "high" and not high["isBaseline"]
    assert high["totalCost"] == "28.0000000000"
    assert high["costMultiple"] == "6.3636363636"
    assert high["outcomeCostMultiple"] == "5.9659090909"
    assert abs(high["qualityLift"] - 0.05) < 1e-12
    assert high["qualityLiftLow"] < 0 < high["qualityLiftHigh"]
    assert high["verdict"] == "NOT_DISTINGUISHABLE"
    assert none["tier"] is None and none["attempts"] == 1
    assert none["costMultiple"] is None and none["verdict"] == "INSUFFICIENT_DATA"


async def test_too_few_runs_for_a_verdict_recommend_nothing(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    body = await tenant.gql(EFFORT, {"range": MARCH, "min": 41})

    found = body["data"]["workflow"]["effortTiers"]
    assert found["recommendedDefault"] is None
    assert {t["verdict"] for t in found["tiers"]} == {"INSUFFICIENT_DATA"}


async def test_scope_filters_the_tiers(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    body = await tenant.gql(EFFORT, {"range": MARCH, "scope": {"channel": "sms"}})

    found = body["data"]["workflow"]["effortTiers"]
    assert [t["tier"] for t in found["tiers"]] == ["high"]
    assert found["baseline"] == "high" and found["recommendedDefault"] == "high"


async def test_min_finished_must_be_positive(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    body = await tenant.gql(EFFORT, {"range": MARCH, "min": 0})

    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "minFinished"


async def test_effort_is_a_breakdown_dimension(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    body = await tenant.gql(
        "query($range: TimeRange!) { costBreakdown(range: $range, groupBy: [EFFORT]) "
        "{ key cost events } }",
        {"range": MARCH},
    )

    assert "errors" not in body, body
    buckets = {tuple(b["key"]): (b["cost"], b["events"]) for b in body["data"]["costBreakdown"]}
    assert buckets == {
        ("high",): ("28.4000000000", 80),
        ("medium",): ("4.0000000000", 40),
        ("(none)",): ("0.0500000000", 1),
    }
