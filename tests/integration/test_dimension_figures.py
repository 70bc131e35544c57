"""Figures filtered and grouped by a tenant's own run dimensions, over HTTP, hand-computed.

Workflow outreach (no acceptance hold); runs started 2026-03-02, each with one usage event:

  e1 enterprise           ACCEPTED 4.00     s1 smb  region EU  ACCEPTED 1.00
  e2 enterprise           REJECTED 2.00     s2 smb  region US  ACCEPTED 0.50
  m1 mid-market           REJECTED 3.00     s3 smb  region EU  REJECTED 0.25
  n1 (no dimension)       ACCEPTED 1.50     + a workflow-level event (no run) of 0.75

Total 13.00. segment=smb: 1.75 over 2 outcomes = 0.875; segment=enterprise: 6.00 / 1;
segment=smb AND region=EU: 1.25 / 1 (s1, s3); the workflow-level 0.75 is in no segment.
By segment: enterprise 6.00, mid-market 3.00, (none) 1.50 + 0.75 = 2.25, smb 1.75 = 13.00.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.auth.principal import Role
from tests.integration.reads_factories import MARCH, day, insert, run, usage, workflow

DECLARE = """
mutation($key: String!, $allowed: [String!]) {
  declareRunDimension(input: {key: $key, description: "d", allowedValues: $allowed}) { key }
}
"""
CPO = """
query($range: TimeRange!, $scope: Scope) {
  workflow(key: "outreach") {
    costPerOutcome(range: $range, scope: $scope) {
      attempts acceptedOutcomes totalCost costPerOutcome
    }
  }
}
"""
BREAKDOWN = """
query($range: TimeRange!, $groupBy: [CostDimension!]!, $key: String, $scope: Scope) {
  costBreakdown(range: $range, groupBy: $groupBy, dimensionKey: $key, scope: $scope) {
    key cost events
  }
}
"""

RUNS = [
    ("e1", {"segment": "enterprise"}, "ACCEPTED", "4.00"),
    ("e2", {"segment": "enterprise"}, "REJECTED", "2.00"),
    ("m1", {"segment": "mid-market"}, "REJECTED", "3.00"),
    ("s1", {"segment": "smb", "region": "EU"}, "ACCEPTED", "1.00"),
    ("s2", {"segment": "smb", "region": "US"}, "ACCEPTED", "0.50"),
    ("s3", {"segment": "smb", "region": "EU"}, "REJECTED", "0.25"),
    ("n1", {}, "ACCEPTED", "1.50"),
]


async def seed(make_tenant, sessions):
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf = workflow(t)
    rows: list = [wf]
    for corr, dims, status, cost in RUNS:
        rows.append(run(t, wf, corr, started_at=day(1), status=status, dimensions=dims))
        rows.append(usage(t, wf, cost, correlation_id=corr, occurred_at=day(1, 0.5)))
    rows.append(usage(t, wf, "0.75", occurred_at=day(1, 2), kind="INFRA"))
    await insert(sessions, t, *rows)
    for key, allowed in (("segment", ["enterprise", "mid-market", "smb"]), ("region", None)):
        made = await tenant.gql(DECLARE, {"key": key, "allowed": allowed})
        assert "errors" not in made, made
    return tenant


def filters(**pairs: str) -> dict:
    return {"dimensions": [{"key": k, "value": v} for k, v in pairs.items()]}


async def cpo(tenant, scope: dict | None, range_: dict = MARCH) -> dict:
    body = await tenant.gql(CPO, {"range": range_, "scope": scope})
    assert "errors" not in body, body
    return body["data"]["workflow"]["costPerOutcome"]


async def test_cost_per_outcome_honours_dimension_filters(make_tenant, sessions) -> None:
    tenant = await seed(make_tenant, sessions)
    # The unscoped month reads the daily rollup; the scoped ones must not (it keeps no segment).
    assert await cpo(tenant, None) == {
        "attempts": 7,
        "acceptedOutcomes": 4,
        "totalCost": "13.0000000000",
        "costPerOutcome": "3.2500000000",
    }
    assert await cpo(tenant, filters(segment="smb")) == {
        "attempts": 3,
        "acceptedOutcomes": 2,
        "totalCost": "1.7500000000",
        "costPerOutcome": "0.8750000000",
    }
    assert (await cpo(tenant, filters(segment="enterprise")))["costPerOutcome"] == "6.0000000000"
    both = await cpo(tenant, filters(segment="smb", region="EU"))
    assert (both["attempts"], both["totalCost"]) == (2, "1.2500000000")
    nobody = await cpo(tenant, filters(segment="smb", region="APAC"))
    assert (nobody["attempts"], nobody["totalCost"]) == (0, "0")
    # A range with partial days (live head and tail) gives the same figure.
    partial = {"from": "2026-03-01T06:00:00Z", "to": "2026-03-20T18:00:00Z"}
    assert (await cpo(tenant, filters(segment="smb"), partial))["totalCost"] == "1.7500000000"


async def test_an_undeclared_filter_key_is_an_error_not_a_zero(make_tenant, sessions) -> None:
    tenant = await seed(make_tenant, sessions)
    body = await tenant.gql(CPO, {"range": MARCH, "scope": filters(segmnt="smb")})
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == "scope.dimensions"
    assert "UNDECLARED_DIMENSION" in error["message"] and "declareRunDimension" in error["message"]
    twice = {"dimensions": [{"key": "segment", "value": "a"}, {"key": "segment", "value": "b"}]}
    body = await tenant.gql(CPO, {"range": MARCH, "scope": twice})
    assert "given twice" in body["errors"][0]["message"]


async def test_roi_refuses_a_dimension_scope(make_tenant, sessions) -> None:
    tenant = await seed(make_tenant, sessions)
    query = """query($range: TimeRange!, $scope: Scope) {
      workflow(key: "outreach") { roi(range: $range, scope: $scope) { attributedRevenue } } }"""
    body = await tenant.gql(query, {"range": MARCH, "scope": filters(segment="smb")})
    assert body["errors"][0]["extensions"]["field"] == "scope.dimensions"


async def breakdown(tenant, group_by, key=None, scope=None) -> list[dict]:
    body = await tenant.gql(
        BREAKDOWN, {"range": MARCH, "groupBy": group_by, "key": key, "scope": scope}
    )
    assert "errors" not in body, body
    return body["data"]["costBreakdown"]


async def test_breakdown_by_a_custom_dimension_adds_up_to_the_total(make_tenant, sessions) -> None:
    tenant = await seed(make_tenant, sessions)
    buckets = await breakdown(tenant, ["CUSTOM"], "segment")
    assert [(b["key"], b["cost"], b["events"]) for b in buckets] == [
        (["enterprise"], "6.0000000000", 2),
        (["mid-market"], "3.0000000000", 1),
        (["(none)"], "2.2500000000", 2),
        (["smb"], "1.7500000000", 3),
    ]
    [total] = await breakdown(tenant, [])
    assert total["cost"] == "13.0000000000"
    assert sum(Decimal(b["cost"]) for b in buckets) == Decimal(total["cost"])
    two = await breakdown(tenant, ["CUSTOM", "KIND"], "region", filters(segment="smb"))
    assert [(b["key"], b["cost"]) for b in two] == [
        (["EU", "LLM"], "1.2500000000"),
        (["US", "LLM"], "0.5000000000"),
    ]


async def test_breakdown_custom_refusals(make_tenant, sessions) -> None:
    tenant = await seed(make_tenant, sessions)
    cases = [
        (["CUSTOM"], None, "CUSTOM needs dimensionKey"),
        (["CUSTOM"], "tier", "UNDECLARED_DIMENSION"),
        (["CUSTOM", "CUSTOM"], "segment", "CUSTOM may appear once"),
        (["KIND"], "segment", "only read with the dimension CUSTOM"),
    ]
    for group_by, key, fragment in cases:
        body = await tenant.gql(BREAKDOWN, {"range": MARCH, "groupBy": group_by, "key": key})
        [error] = body["errors"]
        assert error["extensions"]["field"] == "dimensionKey", body
        assert fragment in error["message"], body


async def test_a_tenant_reader_groups_by_a_custom_dimension(make_tenant, sessions) -> None:
    tenant = await seed(make_tenant, sessions)
    body = await tenant.gql(
        BREAKDOWN, {"range": MARCH, "groupBy": ["CUSTOM"], "key": "segment"}, role=Role.ANALYST
    )
    assert "errors" not in body, body
    assert len(body["data"]["costBreakdown"]) == 4


SEGMENTS = ["a", "b", "c"]


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*SEGMENTS, None]),
            st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False),
        ),
        min_size=1,
        max_size=12,
    )
)
async def test_custom_buckets_always_sum_to_the_total(make_tenant, sessions, runs) -> None:
    """Property: whatever the runs' segments and costs, the CUSTOM buckets partition the total,
    and each bucket equals the sum of its runs' costs."""
    tenant = await make_tenant()
    t = tenant.tenant_id
    wf = workflow(t)
    rows: list = [wf]
    expected: dict[str, Decimal] = {}
    for i, (segment, cost) in enumerate(runs):
        dims = {} if segment is None else {"segment": segment}
        rows.append(run(t, wf, f"r{i}", started_at=day(1), dimensions=dims))
        rows.append(usage(t, wf, cost, correlation_id=f"r{i}", occurred_at=day(1)))
        bucket = segment or "(none)"
        expected[bucket] = expected.get(bucket, Decimal(0)) + cost
    await insert(sessions, t, *rows)
    await tenant.gql(DECLARE, {"key": "segment", "allowed": SEGMENTS})
    buckets = await breakdown(tenant, ["CUSTOM"], "segment")
    assert {b["key"][0]: Decimal(b["cost"]) for b in buckets} == expected
    [total] = await breakdown(tenant, [])
    assert sum(Decimal(b["cost"]) for b in buckets) == Decimal(total["cost"])
