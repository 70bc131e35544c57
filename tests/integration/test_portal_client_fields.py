"""Client fields the portal's client view reads: its workflows and a rung's series, both scoped
to the client (the figures of other clients' runs never enter)."""

from __future__ import annotations

from decimal import Decimal

from app.auth.principal import Role

SETUP = """
mutation($x: String!, $y: String!) {
  a: upsertWorkflow(input: {key: "outreach", name: "Outreach",
       ladder: [{key: "accepted", name: "Accepted"}, {key: "replied", name: "Replied"}]}) { key }
  b: upsertWorkflow(input: {key: "support", name: "Support"}) { key }
  x: createClient(input: {name: $x}) { clientId }
  y: createClient(input: {name: $y}) { clientId }
}
"""
RANGE = {"from": "2026-03-01T00:00:00Z", "to": "2026-03-03T00:00:00Z"}


async def test_client_workflows_and_series_are_the_clients_own(make_tenant) -> None:
    tenant = await make_tenant()
    made = (await tenant.gql(SETUP, {"x": "X", "y": "Y"}))["data"]
    x, y = made["x"]["clientId"], made["y"]["clientId"]
    runs = [
        {
            "correlationId": "x1",
            "workflowKey": "outreach",
            "clientId": x,
            "startedAt": "2026-03-01T10:00:00Z",
        },
        {
            "correlationId": "y1",
            "workflowKey": "support",
            "clientId": y,
            "startedAt": "2026-03-02T10:00:00Z",
        },
    ]
    usage = [
        {
            "eventId": "u1",
            "correlationId": "x1",
            "workflowKey": "outreach",
            "kind": "TOOL",
            "occurredAt": "2026-03-01T10:01:00Z",
            "cost": "1.25",
        },
        {
            "eventId": "u2",
            "correlationId": "y1",
            "workflowKey": "support",
            "kind": "TOOL",
            "occurredAt": "2026-03-02T10:01:00Z",
            "cost": "7.00",
        },
    ]
    ingest = await tenant.gql(
        "mutation($r: [RunInput!]!, $u: [UsageEventInput!]!) { startRuns(runs: $r) { accepted } "
        "ingestUsage(events: $u) { accepted } }",
        {"r": runs, "u": usage},
    )
    assert ingest["data"] == {"startRuns": {"accepted": 2}, "ingestUsage": {"accepted": 2}}

    query = """query($id: ID!, $range: TimeRange!) { client(id: $id) {
      workflows { key name acceptanceHoldHours ladder { key name position } }
      ladderSeries(workflowKey: "outreach", range: $range, bucket: "P1D", rung: "accepted") {
        start count totalCost costPerRung } } }"""
    body = await tenant.gql(query, {"id": x, "range": RANGE}, role=Role.CLIENT_VIEWER, client_id=x)
    client = body["data"]["client"]
    assert client["workflows"] == [
        {
            "key": "outreach",
            "name": "Outreach",
            "acceptanceHoldHours": 0,
            "ladder": [
                {"key": "accepted", "name": "Accepted", "position": 0},
                {"key": "replied", "name": "Replied", "position": 1},
            ],
        }
    ]
    series = client["ladderSeries"]
    assert [(p["start"][:10], Decimal(p["totalCost"]), p["count"]) for p in series] == [
        ("2026-03-01", Decimal("1.25"), 0),  # Y's 7.00 on the 2nd is not X's
        ("2026-03-02", Decimal("0"), 0),
    ]
    assert all(p["costPerRung"] is None for p in client["ladderSeries"])  # nobody accepted yet

    other = await tenant.gql(query, {"id": y, "range": RANGE}, role=Role.CLIENT_VIEWER, client_id=x)
    assert other["data"]["client"] is None
    assert {e["extensions"]["code"] for e in other["errors"]} == {"FORBIDDEN"}
