"""Query.findings and the findings thresholds over HTTP, against hand-computed figures.

March 2026 (31 days; money per month = amount × 30 / 31):
  outreach  40 medium runs (30 accepted) at 0.11 and 40 high runs (32 accepted) at 0.70, every
            call with a step → HIGH_EFFORT_LOW_VALUE: 28.00 − 40 × 0.11 = 23.60 → 22.8387096774;
            18 failed runs cost 10 × 0.11 + 8 × 0.70 = 6.70 of 32.40 (20.7 %) → FAILURE_WASTE
            6.70 → 6.4838709677
  ops       25 events without a step and 25 with one, 1.00 each → UNPLACED_SPEND 25.00 →
            24.1935483871
  support   30 priced LLM calls of 10,000 uncached input tokens (input 10.00, cache read 1.00 per
            million): full saving 30 × 0.09 = 2.70, half assumed cacheable 1.35 → RESENT_CONTEXT
            1.3064516129
  research  one call of 300,000 input tokens costing 3.00: 1.00 above 200,000 → LONG_CONTEXT
            0.9677419355
"""

from __future__ import annotations

from tests.integration.reads_factories import (
    LONG_AGO,
    MARCH,
    day,
    insert,
    model_price,
    run,
    usage,
    workflow,
)

FINDINGS = """
query($range: TimeRange!, $key: String) {
  findings(range: $range, workflowKey: $key) {
    pattern workflowKey moneyAtStakePerMonth summary suggestedChange
    evidence { name value } runs calls
  }
}
"""

SET = """
mutation($name: String!, $value: Decimal) {
  setFindingThreshold(name: $name, value: $value) { name value default description }
}
"""


async def seed(sessions, t) -> None:
    outreach, ops = workflow(t, "outreach"), workflow(t, "ops")
    support, research = workflow(t, "support"), workflow(t, "research")
    rows: list = [outreach, ops, support, research]
    for i in range(40):
        status = "ACCEPTED" if i < 30 else "REJECTED"
        rows.append(run(t, outreach, f"m{i}", started_at=day(1), status=status))
        rows.append(
            usage(
                t,
                outreach,
                "0.11",
                correlation_id=f"m{i}",
                occurred_at=day(1),
                reasoning_effort="medium",
                step="drafter",
            )
        )
        status = "ACCEPTED" if i < 32 else "REJECTED"
        rows.append(run(t, outreach, f"h{i}", started_at=day(1), status=status))
        rows.append(
            usage(
                t,
                outreach,
                "0.70",
                correlation_id=f"h{i}",
                occurred_at=day(1),
                reasoning_effort="high",
                step="drafter",
            )
        )
    for i in range(25):
        rows.append(usage(t, ops, "1.00", occurred_at=day(2), kind="TOOL", event_id=f"ops-{i:02d}"))
        rows.append(usage(t, ops, "1.00", occurred_at=day(2), kind="TOOL", step="enrich"))
    rows.append(model_price(t, "p", "m", LONG_AGO, "10", "20", cache_read_rate="1"))
    for i in range(30):
        call = usage(
            t,
            support,
            "0.10",
            occurred_at=day(3),
            provider="p",
            model="m",
            input_tokens=10_000,
            step="answer",
            price_effective_from=LONG_AGO,
            event_id=f"support-{i:02d}",
        )
        call.cost_source = "priced"
        rows.append(call)
    rows.append(
        usage(
            t,
            research,
            "3.00",
            occurred_at=day(4),
            input_tokens=250_000,
            cache_read_tokens=50_000,
            event_id="research-big",
        )
    )
    await insert(sessions, t, *rows)


async def test_every_pattern_ranked_by_money(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    found = (await tenant.data(FINDINGS, {"range": MARCH}))["findings"]
    assert [(f["pattern"], f["workflowKey"], f["moneyAtStakePerMonth"]) for f in found] == [
        ("UNPLACED_SPEND", "ops", "24.1935483871"),
        ("HIGH_EFFORT_LOW_VALUE", "outreach", "22.8387096774"),
        ("FAILURE_WASTE", "outreach", "6.4838709677"),
        ("RESENT_CONTEXT", "support", "1.3064516129"),
        ("LONG_CONTEXT", "research", "0.9677419355"),
    ]
    unplaced, effort, failure, resent, long = found
    assert unplaced["calls"] == [f"ops-{i:02d}" for i in range(5)]
    assert {e["name"]: e["value"] for e in effort["evidence"]}["extraCost"] == "23.6000000000"
    assert len(failure["runs"]) == 5 and all(r.startswith("h") for r in failure["runs"])
    assert {e["name"]: e["value"] for e in resent["evidence"]}["fullCacheSaving"] == (
        "2.7000000000"
    )
    assert long["calls"] == ["research-big"]
    assert all(f["suggestedChange"] and f["summary"] for f in found)


async def test_one_workflow_and_unknown_ones(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    mine = await tenant.gql(FINDINGS, {"range": MARCH, "key": "outreach"})
    unknown = await tenant.gql(FINDINGS, {"range": MARCH, "key": "nope"})

    assert [f["pattern"] for f in mine["data"]["findings"]] == [
        "HIGH_EFFORT_LOW_VALUE",
        "FAILURE_WASTE",
    ]
    assert unknown["errors"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_tenant_threshold_silences_a_pattern(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await seed(sessions, tenant.tenant_id)

    made = await tenant.gql(SET, {"name": "unplaced_min_share", "value": "0.6"})
    after = await tenant.gql(FINDINGS, {"range": MARCH})
    listed = await tenant.gql("{ findingThresholds { name value default } }")
    reset = await tenant.gql(SET, {"name": "unplaced_min_share", "value": None})
    again = await tenant.gql(FINDINGS, {"range": MARCH})

    assert made["data"]["setFindingThreshold"]["value"] == "0.6000000000"
    assert "UNPLACED_SPEND" not in {f["pattern"] for f in after["data"]["findings"]}
    by_name = {t["name"]: t for t in listed["data"]["findingThresholds"]}
    assert by_name["unplaced_min_share"]["value"] == "0.6000000000"
    assert by_name["long_context_input_tokens"]["value"] == "200000"
    assert reset["data"]["setFindingThreshold"]["value"] == "0.10"
    assert "UNPLACED_SPEND" in {f["pattern"] for f in again["data"]["findings"]}


async def test_bad_thresholds_are_refused_by_field(make_tenant) -> None:
    tenant = await make_tenant()

    for variables, field in (
        ({"name": "nope", "value": "1"}, "name"),
        ({"name": "unplaced_min_share", "value": "1.5"}, "value"),
        ({"name": "long_context_min_calls", "value": "2.5"}, "value"),
    ):
        body = await tenant.gql(SET, variables)
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_no_data_no_findings(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    await insert(sessions, tenant.tenant_id, workflow(tenant.tenant_id, "empty"))

    body = await tenant.gql(FINDINGS, {"range": MARCH})

    assert body["data"]["findings"] == []
