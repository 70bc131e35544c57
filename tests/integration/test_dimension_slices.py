"""Rising slices and cost ceilings by a tenant's own run dimension (CUSTOM + dimensionKey), over
HTTP with runs ingested through /v1/events carrying `dimensions`; hand-computed.

Outreach, ladder accepted → reply; every lead replied unless said (outcomes a day ago):

  current window (the last 10 days)        previous window (10-20 days ago)
  e1 enterprise 10.00 replied              pe enterprise 2.00 replied
  e2 enterprise 10.00 replied              ps smb        4.00 replied
  s1 smb         4.00 replied
  m1 mid-market  1.00 no reply             old smb 100.00, 40 days ago (outside 30 days)

Ceilings over the last 30 days: enterprise (10 + 10 + 2) / 3 = 7.33 against 10 (fine);
smb (4 + 4) / 2 = 4.00 against 3 (throttle); mid-market 1.00 spent, no reply (throttle).
Rising (reply, segment): enterprise 2.00 → 10.00 = +400 %; smb 4.00 → 4.00 is no rise;
mid-market had no reply before (not listed).
"""

from __future__ import annotations

from tests.integration.ladder_api import Events, upsert
from tests.integration.ladder_factories import ago, lead_records

DECLARE = """mutation($key: String!) {
  declareRunDimension(input: {key: $key, description: "d"}) { key } }"""
SET = """mutation($input: CeilingInput!) {
  setCostCeiling(input: $input) { ceiling { id dimension dimensionKey value ceiling } } }"""
STATUS = """query { costCeilingStatus(workflowKey: "outreach") {
  dimension dimensionKey value ceiling costPerRung throttle } }"""
RISING = """query($range: TimeRange!, $dimension: CostDimension!, $key: String) {
  workflow(key: "outreach") {
    risingSlices(range: $range, rung: "reply", dimension: $dimension, dimensionKey: $key) {
      dimension dimensionKey value previousCostPerRung currentCostPerRung risePct
    }
  }
}"""


def lead(i: str, days_ago: float, cost: str, segment: str, replied: bool = True) -> list:
    dimensions = {"segment": segment}
    return lead_records(i, days_ago, cost, replied=replied, channel="email", dimensions=dimensions)


async def segment_tenant(make_tenant, http, sessions):
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "accepted", "reply")
    assert "errors" not in await tenant.gql(DECLARE, {"key": "segment"})
    events = await Events.for_tenant(http, sessions, tenant)
    await events.post(
        [
            *lead("e1", 5, "10", "enterprise"),
            *lead("e2", 6, "10", "enterprise"),
            *lead("s1", 7, "4", "smb"),
            *lead("m1", 8, "1", "mid-market", replied=False),
            *lead("pe", 15, "2", "enterprise"),
            *lead("ps", 15, "4", "smb"),
            *lead("old", 40, "100", "smb", replied=False),
        ]
    )
    return tenant


def ceiling(value: str, amount: str, key: str | None = "segment") -> dict:
    return {"input": {"workflowKey": "outreach", "rung": "reply", "dimension": "CUSTOM",
                      "dimensionKey": key, "value": value, "ceiling": amount}}  # fmt: skip


async def test_ceilings_on_a_run_dimension_throttle_exactly(make_tenant, http, sessions) -> None:
    tenant = await segment_tenant(make_tenant, http, sessions)
    for variables in (
        ceiling("enterprise", "10"),
        ceiling("smb", "3"),
        ceiling("mid-market", "10"),
    ):
        body = await tenant.gql(SET, variables)
        assert "errors" not in body, body
        stored = body["data"]["setCostCeiling"]["ceiling"]
        assert (stored["dimension"], stored["dimensionKey"]) == ("CUSTOM", "segment")
    # a built-in dimension's ceiling on the same value lives beside it
    channel = {"input": {**ceiling("email", "100")["input"], "dimension": "CHANNEL"}}
    channel["input"].pop("dimensionKey")
    assert "errors" not in await tenant.gql(SET, channel)

    body = await tenant.gql(STATUS)
    assert "errors" not in body, body
    found = {(s["dimension"], s["value"]): s for s in body["data"]["costCeilingStatus"]}
    assert found[("CUSTOM", "enterprise")]["costPerRung"] == "7.3333333333"
    assert found[("CUSTOM", "enterprise")]["throttle"] is False
    assert (found[("CUSTOM", "smb")]["costPerRung"], found[("CUSTOM", "smb")]["throttle"]) == (
        "4.0000000000",
        True,
    )
    assert found[("CUSTOM", "mid-market")]["costPerRung"] is None
    assert found[("CUSTOM", "mid-market")]["throttle"] is True
    assert {s["dimensionKey"] for s in body["data"]["costCeilingStatus"]} == {"segment", None}
    # email: every run of the window, 10 + 10 + 4 + 1 + 2 + 4 = 31.00 / 5 replies = 6.20
    assert found[("CHANNEL", "email")]["costPerRung"] == "6.2000000000"


async def test_ceiling_refusals_name_dimension_key(make_tenant, http, sessions) -> None:
    tenant = await segment_tenant(make_tenant, http, sessions)
    for variables, fragment in (
        (ceiling("smb", "3", key=None), "CUSTOM needs dimensionKey"),
        (ceiling("smb", "3", key="tier"), "UNDECLARED_DIMENSION"),
    ):
        body = await tenant.gql(SET, variables)
        [error] = body["errors"]
        assert error["extensions"]["field"] == "dimensionKey", body
        assert fragment in error["message"]


async def test_rising_slices_by_a_run_dimension(make_tenant, http, sessions) -> None:
    tenant = await segment_tenant(make_tenant, http, sessions)
    window = {"from": ago(10), "to": ago(0)}
    body = await tenant.gql(RISING, {"range": window, "dimension": "CUSTOM", "key": "segment"})
    assert "errors" not in body, body
    assert body["data"]["workflow"]["risingSlices"] == [
        {
            "dimension": "CUSTOM",
            "dimensionKey": "segment",
            "value": "enterprise",
            "previousCostPerRung": "2.0000000000",
            "currentCostPerRung": "10.0000000000",
            "risePct": 400.0,
        }
    ]
    missing = await tenant.gql(RISING, {"range": window, "dimension": "CUSTOM", "key": None})
    assert missing["errors"][0]["extensions"]["field"] == "dimensionKey"
    stray = await tenant.gql(RISING, {"range": window, "dimension": "CHANNEL", "key": "segment"})
    assert stray["errors"][0]["extensions"]["field"] == "dimensionKey"
