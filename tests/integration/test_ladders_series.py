"""Where a cost per rung is rising: ladder series in ISO 8601 buckets, and rising slices."""

from __future__ import annotations

from tests.integration.ladder_api import MARCH, Events, upsert

SERIES = """
query($range: TimeRange!, $bucket: String!, $rung: String!, $scope: Scope) {
  workflow(key: "outreach") {
    ladderSeries(range: $range, bucket: $bucket, rung: $rung, scope: $scope) {
      start end count totalCost costPerRung
    }
  }
}
"""

RISING = """
query($range: TimeRange!, $dimension: CostDimension!, $min: Float) {
  workflow(key: "outreach") {
    risingSlices(rung: "reply", range: $range, dimension: $dimension, minRisePct: $min) {
      dimension value previousCostPerRung currentCostPerRung risePct
    }
  }
}
"""


def lead(i: str, day: str, cost: str, channel: str = "email", replied: bool = False) -> list[dict]:
    """A run started on 2026-03-<day>, its cost, and (optionally) a reply from its lead."""
    at = f"2026-03-{day}T09:00:00Z"
    records = [
        {"type": "run", "correlationId": i, "workflowKey": "outreach", "startedAt": at,
         "subject": f"lead-{i}", "channel": channel},
        {"type": "usage", "eventId": f"u-{i}", "correlationId": i, "workflowKey": "outreach",
         "kind": "TOOL", "occurredAt": at, "cost": cost},
    ]  # fmt: skip
    if replied:
        records.append(
            {"type": "outcome", "eventId": f"o-{i}", "workflowKey": "outreach", "rung": "reply",
             "subject": f"lead-{i}", "occurredAt": "2026-04-20T00:00:00Z"}
        )  # fmt: skip
    return records


async def series_tenant(make_tenant, http, sessions, records: list[dict]):
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "accepted", "reply")
    await (await Events.for_tenant(http, sessions, tenant)).post(records)
    return tenant


async def test_weekly_buckets_of_march_end_with_a_clipped_one(make_tenant, http, sessions):
    records = [
        # week 1 (Mar 1–8): 4 × $5 = $20, 2 replies → 10
        *lead("a", "01", "5", replied=True), *lead("b", "02", "5", replied=True),
        *lead("c", "03", "5"), *lead("d", "07", "5"),
        # week 2 (Mar 8–15): 4 × $5 = $20, 1 reply → 20
        *lead("e", "08", "5", replied=True), *lead("f", "10", "5"),
        *lead("g", "12", "5"), *lead("h", "14", "5"),
        # week 3 (Mar 15–22): 2 × $5 = $10, no reply → null
        *lead("i", "15", "5"), *lead("j", "21", "5"),
        # week 4 (Mar 22–29): nothing
        # Mar 29–Apr 1 (3 days): $3 and $1 of workflow-level cost booked on Mar 30, 1 reply → 4
        *lead("k", "30", "3", replied=True),
        {"type": "usage", "eventId": "infra", "workflowKey": "outreach", "kind": "INFRA",
         "occurredAt": "2026-03-30T00:00:00Z", "cost": "1"},
    ]  # fmt: skip
    tenant = await series_tenant(make_tenant, http, sessions, records)

    body = await tenant.gql(SERIES, {"range": MARCH, "bucket": "P7D", "rung": "reply"})

    assert "errors" not in body, body
    assert body["data"]["workflow"]["ladderSeries"] == [
        {"start": "2026-03-01T00:00:00+00:00", "end": "2026-03-08T00:00:00+00:00",
         "count": 2, "totalCost": "20.0000000000", "costPerRung": "10.0000000000"},
        {"start": "2026-03-08T00:00:00+00:00", "end": "2026-03-15T00:00:00+00:00",
         "count": 1, "totalCost": "20.0000000000", "costPerRung": "20.0000000000"},
        {"start": "2026-03-15T00:00:00+00:00", "end": "2026-03-22T00:00:00+00:00",
         "count": 0, "totalCost": "10.0000000000", "costPerRung": None},
        {"start": "2026-03-22T00:00:00+00:00", "end": "2026-03-29T00:00:00+00:00",
         "count": 0, "totalCost": "0", "costPerRung": None},
        {"start": "2026-03-29T00:00:00+00:00", "end": "2026-04-01T00:00:00+00:00",
         "count": 1, "totalCost": "4.0000000000", "costPerRung": "4.0000000000"},
    ]  # fmt: skip

    # the same instants given with an offset answer in UTC
    offset = {"from": "2026-03-01T02:00:00+02:00", "to": "2026-04-01T02:00:00+02:00"}
    shifted = await tenant.gql(SERIES, {"range": offset, "bucket": "P7D", "rung": "reply"})
    assert shifted["data"]["workflow"]["ladderSeries"] == body["data"]["workflow"]["ladderSeries"]

    # a channel scope leaves the workflow-level $1 out of the last bucket
    scoped = await tenant.gql(
        SERIES, {"range": MARCH, "bucket": "P1W", "rung": "reply", "scope": {"channel": "email"}}
    )
    assert scoped["data"]["workflow"]["ladderSeries"][-1]["totalCost"] == "3.0000000000"


async def test_bad_buckets_and_rungs_are_refused(make_tenant, http, sessions):
    tenant = await series_tenant(make_tenant, http, sessions, lead("a", "01", "5"))

    cases = [
        ({"bucket": "P1M", "rung": "reply"}, "bucket"),  # months have no fixed length
        ({"bucket": "one week", "rung": "reply"}, "bucket"),
        ({"bucket": "PT1H", "rung": "reply"}, "bucket"),  # 744 hourly buckets > 400
        ({"bucket": "P1D", "rung": "deal"}, "rung"),
    ]
    for arguments, field in cases:
        body = await tenant.gql(SERIES, {"range": MARCH, **arguments})
        error = body["errors"][0]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, arguments

    hourly = await tenant.gql(
        SERIES,
        {"range": {"from": "2026-03-01T00:00:00Z", "to": "2026-03-17T16:00:00Z"},
         "bucket": "PT1H", "rung": "reply"},
    )  # fmt: skip
    assert len(hourly["data"]["workflow"]["ladderSeries"]) == 400  # 16 days 16 h: exactly 400


RISING_RECORDS = [
    # previous window, Mar 1–15: every channel at $10 per reply
    *lead("e1", "02", "10", "email", True), *lead("e2", "03", "10", "email", True),
    *lead("s1", "02", "10", "sms", True), *lead("s2", "04", "10", "sms", True),
    *lead("c1", "05", "10", "chat", True),
    *lead("p1", "06", "10", "push"),
    # current window, Mar 15–29
    *lead("e3", "16", "15", "email", True), *lead("e4", "17", "15", "email", True),  # 15: +50 %
    *lead("s3", "16", "10.5", "sms", True), *lead("s4", "18", "10.5", "sms", True),  # 10.5: +5 %
    *lead("c2", "19", "8", "chat"),  # $8 and no reply: unbounded
    *lead("w1", "20", "5", "web", True),  # new: no previous cost to rise from
    *lead("p2", "21", "10", "push"),  # no reply in either window
]  # fmt: skip
SECOND_HALF = {"from": "2026-03-15T00:00:00Z", "to": "2026-03-29T00:00:00Z"}


async def test_rising_slices_list_what_rose_and_not_what_is_flat(make_tenant, http, sessions):
    tenant = await series_tenant(make_tenant, http, sessions, RISING_RECORDS)

    body = await tenant.gql(RISING, {"range": SECOND_HALF, "dimension": "CHANNEL"})

    assert "errors" not in body, body
    assert body["data"]["workflow"]["risingSlices"] == [
        {"dimension": "CHANNEL", "value": "chat", "previousCostPerRung": "10.0000000000",
         "currentCostPerRung": None, "risePct": None},
        {"dimension": "CHANNEL", "value": "email", "previousCostPerRung": "10.0000000000",
         "currentCostPerRung": "15.0000000000", "risePct": 50.0},
    ]  # fmt: skip

    strict = await tenant.gql(RISING, {"range": SECOND_HALF, "dimension": "CHANNEL", "min": 60})
    assert [s["value"] for s in strict["data"]["workflow"]["risingSlices"]] == ["chat"]
    loose = await tenant.gql(RISING, {"range": SECOND_HALF, "dimension": "CHANNEL", "min": 4.9})
    assert [s["value"] for s in loose["data"]["workflow"]["risingSlices"]] == [
        "chat",
        "email",
        "sms",
    ]


async def test_rising_slices_take_only_slicing_dimensions(make_tenant, http, sessions):
    tenant = await series_tenant(make_tenant, http, sessions, lead("a", "01", "5"))
    body = await tenant.gql(RISING, {"range": SECOND_HALF, "dimension": "MODEL"})
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "dimension"}
