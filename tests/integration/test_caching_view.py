"""Workflow.caching over HTTP: events priced by ingest at two price versions, hand-computed.

Price book (per million tokens)            input   cache read
  v1  in force from 2026-02-01             3.00    0.30
  v2  in force from 2026-03-10             2.00    0.50

Cohort: runs r1, r2 (ACCEPTED) and r3 (REJECTED), started 2026-03-02.
  e1  r1 LLM 2026-03-02 (v1)  input 1,000    reads 1,000,000  cost 0.003 + 0.30 = 0.303
                              savings (3.00 - 0.30) x 1,000,000 / 1e6 = 2.70
  e2  r2 LLM 2026-03-15 (v2)  input 500,000  reads 2,000,000  cost 1.00 + 1.00 = 2.00
                              savings (2.00 - 0.50) x 2,000,000 / 1e6 = 3.00
  e3  r3 LLM, reported 5.00   input 100,000  reads 400,000    no price version: savings 0
  e4  r1 TOOL, reported 0.697
totalCost = 0.303 + 2.00 + 5.00 + 0.697 = 8.00; savings = 5.70; 2 accepted outcomes:
costPerOutcome = 4.00; costPerOutcomeWithoutCache = (8.00 + 5.70) / 2 = 6.85;
cacheHitShare = 3,400,000 / (3,400,000 + 601,000).
"""

from __future__ import annotations

from decimal import Decimal

SEED = """
mutation($v1: ModelPriceInput!, $v2: ModelPriceInput!, $runs: [RunInput!]!,
         $usage: [UsageEventInput!]!, $labels: [RunLabelInput!]!) {
  upsertWorkflow(input: {key: "support", name: "Support"}) { id }
  v1: setModelPrice(input: $v1) { modelPrice { id } }
  v2: setModelPrice(input: $v2) { modelPrice { id } }
  startRuns(runs: $runs) { accepted errors { field message } }
  ingestUsage(events: $usage) { accepted errors { field message } }
  labelRuns(labels: $labels) { accepted errors { field message } }
}
"""

CACHING = """
query($range: TimeRange!) {
  workflow(key: "support") {
    caching(range: $range) {
      cacheReadTokens inputTokens cacheHitShare savings totalCost costPerOutcome
      costPerOutcomeWithoutCache
    }
    costPerOutcome(range: $range) { totalCost costPerOutcome }
  }
}
"""

MARCH = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}


def price(effective_from: str, input_rate: str, read_rate: str) -> dict:
    return {
        "provider": "anthropic",
        "model": "claude-x",
        "effectiveFrom": effective_from,
        "inputPerMillion": input_rate,
        "outputPerMillion": "15",
        "cacheReadPerMillion": read_rate,
    }


def llm(event_id: str, run: str, at: str, inputs: int, reads: int, **extra) -> dict:
    return {
        "eventId": event_id,
        "correlationId": run,
        "workflowKey": "support",
        "kind": "LLM",
        "occurredAt": at,
        "provider": "anthropic",
        "model": "claude-x",
        "inputTokens": inputs,
        "cacheReadTokens": reads,
        **extra,
    }


async def test_savings_use_the_price_version_that_priced_each_event(make_tenant) -> None:
    tenant = await make_tenant()
    started = "2026-03-02T09:00:00Z"
    seeded = await tenant.gql(
        SEED,
        {
            "v1": price("2026-02-01T00:00:00Z", "3.00", "0.30"),
            "v2": price("2026-03-10T00:00:00Z", "2.00", "0.50"),
            "runs": [
                {"correlationId": r, "workflowKey": "support", "startedAt": started}
                for r in ("r1", "r2", "r3")
            ],
            "usage": [
                llm("e1", "r1", "2026-03-02T10:00:00Z", 1_000, 1_000_000),
                llm("e2", "r2", "2026-03-15T10:00:00Z", 500_000, 2_000_000),
                llm("e3", "r3", "2026-03-02T10:00:00Z", 100_000, 400_000, cost="5.00"),
                {
                    "eventId": "e4",
                    "correlationId": "r1",
                    "workflowKey": "support",
                    "kind": "TOOL",
                    "occurredAt": "2026-03-02T11:00:00Z",
                    "cost": "0.697",
                },
            ],
            "labels": [
                {"correlationId": "r1", "status": "ACCEPTED", "at": "2026-03-03T00:00:00Z"},
                {"correlationId": "r2", "status": "ACCEPTED", "at": "2026-03-16T00:00:00Z"},
                {"correlationId": "r3", "status": "REJECTED", "at": "2026-03-03T00:00:00Z"},
            ],
        },
    )
    assert "errors" not in seeded, seeded
    assert seeded["data"]["ingestUsage"] == {"accepted": 4, "errors": []}

    body = await tenant.gql(CACHING, {"range": MARCH})

    assert "errors" not in body, body
    view = body["data"]["workflow"]["caching"]
    assert view["cacheReadTokens"] == 3_400_000 and view["inputTokens"] == 601_000
    assert view["cacheHitShare"] == 3_400_000 / 4_001_000
    assert Decimal(view["savings"]) == Decimal("5.70")
    assert Decimal(view["totalCost"]) == Decimal("8.00")
    assert view["totalCost"] == body["data"]["workflow"]["costPerOutcome"]["totalCost"]
    assert view["costPerOutcome"] == "4.0000000000"
    assert view["costPerOutcomeWithoutCache"] == "6.8500000000"


async def test_an_empty_cohort_answers_null_not_zero(make_tenant) -> None:
    tenant = await make_tenant()
    await tenant.gql('mutation { upsertWorkflow(input: {key: "support", name: "S"}) { id } }')

    body = await tenant.gql(CACHING, {"range": MARCH})

    view = body["data"]["workflow"]["caching"]
    assert view["cacheHitShare"] is None and view["costPerOutcomeWithoutCache"] is None
    assert view["cacheReadTokens"] == 0 and Decimal(view["savings"]) == 0
