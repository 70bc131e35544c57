"""Workflow.costByVariant / costByModel over HTTP, against hand-computed figures.

Cohort (runs started 2026-03-02; statuses set an hour later):
  premium  4 runs, 3 ACCEPTED + 1 REJECTED; each run: model "big" 0.90 + model "small" 0.10
           totalCost 4 x 1.00 = 4.00; costPerOutcome 4.00 / 3 = 1.3333333333; success 3/4
  cheap    4 runs, 1 ACCEPTED + 3 failures; each run: model "small" 0.50
           totalCost 4 x 0.50 = 2.00; costPerOutcome 2.00 / 1 = 2.00; success 1/4
  (none)   1 RUNNING run, a TOOL call 0.10: no variant, no LLM usage -> value null;
           costPerOutcome null (no outcome), successRate null (nothing finished)
Plus a workflow-level event (no run) of 1.00: it belongs to no slice.
The cheaper variant (0.50 a run against 1.00) costs 2.00 per outcome against 1.33.
Dominant model per run: premium runs -> big (0.90 > 0.10); cheap runs -> small.
"""

from __future__ import annotations

from tests.integration.reads_factories import MARCH, day, insert, run, usage, workflow

MIX = """
query($range: TimeRange!, $scope: Scope) {
  workflow(key: "outreach") {
    costByVariant(range: $range, scope: $scope) {
      value attempts acceptedOutcomes totalCost costPerOutcome successRate
    }
    costByModel(range: $range, scope: $scope) {
      value attempts acceptedOutcomes totalCost costPerOutcome successRate
    }
    costPerOutcome(range: $range, scope: $scope) { totalCost }
  }
}
"""

FAILURES = ["REJECTED", "TOOL_ERROR", "TIMED_OUT"]


async def seed(sessions, t):
    wf = workflow(t)
    rows: list = [wf]
    for i in range(4):
        status = "ACCEPTED" if i < 3 else "REJECTED"
        rows.append(run(t, wf, f"p{i}", started_at=day(1), status=status, variant="premium"))
        rows.append(usage(t, wf, "0.90", correlation_id=f"p{i}", occurred_at=day(1), model="big"))
        rows.append(usage(t, wf, "0.10", correlation_id=f"p{i}", occurred_at=day(1), model="small"))
        status = "ACCEPTED" if i == 0 else FAILURES[i - 1]
        rows.append(run(t, wf, f"c{i}", started_at=day(1), status=status, variant="cheap"))
        rows.append(usage(t, wf, "0.50", correlation_id=f"c{i}", occurred_at=day(1), model="small"))
    rows.append(run(t, wf, "n0", started_at=day(1)))
    rows.append(usage(t, wf, "0.10", correlation_id="n0", occurred_at=day(1), kind="TOOL"))
    rows.append(usage(t, wf, "1.00", occurred_at=day(2), kind="INFRA"))
    await insert(sessions, t, *rows)


def slices(found: list[dict]) -> dict:
    return {s["value"]: s for s in found}


async def test_the_cheaper_variant_costs_more_per_outcome(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    found = (await tenant.data(MIX, {"range": MARCH}))["workflow"]
    by_variant = found["costByVariant"]
    assert [s["value"] for s in by_variant] == ["cheap", "premium", None]
    cheap, premium, none = (slices(by_variant)[v] for v in ("cheap", "premium", None))
    assert cheap == {
        "value": "cheap",
        "attempts": 4,
        "acceptedOutcomes": 1,
        "totalCost": "2.0000000000",
        "costPerOutcome": "2.0000000000",
        "successRate": 0.25,
    }
    assert premium["totalCost"] == "4.0000000000" and premium["acceptedOutcomes"] == 3
    assert premium["costPerOutcome"] == "1.3333333333" and premium["successRate"] == 0.75
    assert none["attempts"] == 1 and none["costPerOutcome"] is None
    assert none["successRate"] is None and none["totalCost"] == "0.1000000000"
    # the slices hold the run cost 6.10; the workflow-level 1.00 belongs to none of them
    assert found["costPerOutcome"]["totalCost"] == "7.1000000000"


async def test_each_run_counts_once_under_its_dominant_model(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    body = await tenant.gql(MIX, {"range": MARCH})

    by_model = slices(body["data"]["workflow"]["costByModel"])
    assert set(by_model) == {"big", "small", None}
    # premium runs: big 0.90 > small 0.10, the whole run (1.00) goes to "big"
    assert by_model["big"]["attempts"] == 4 and by_model["big"]["totalCost"] == "4.0000000000"
    assert by_model["big"]["costPerOutcome"] == "1.3333333333"
    assert by_model["small"]["attempts"] == 4 and by_model["small"]["costPerOutcome"] == (
        "2.0000000000"
    )
    assert by_model[None]["attempts"] == 1


async def test_scope_filters_the_slices(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    body = await tenant.gql(MIX, {"range": MARCH, "scope": {"variant": "cheap"}})

    found = body["data"]["workflow"]
    assert [s["value"] for s in found["costByVariant"]] == ["cheap"]
    assert [s["value"] for s in found["costByModel"]] == ["small"]
