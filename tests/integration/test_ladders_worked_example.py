"""A month of outreach, computed by hand: a thousand leads, a per-lead data fee, token costs,
and known counts at every rung — everything sent through /v1/events and read over GraphQL.

March 2026, workflow `outreach`, ladder accepted → reply → positive_reply → deal, no hold.

Spend (all of it loads every rung):
  per lead: LLM 4,000 input tokens at $3/M   = 0.012
            LLM   600 output tokens at $15/M = 0.009
            data fee (THIRD_PARTY)           = 0.050
                                               -----
                                               0.071 × 1,000 leads = 71.00
  workflow-level INFRA booked on March 15                          =  9.00
  total                                                            = 80.00
  (a February lead's $5.00 belongs to February's cohort, not March's)

Counts:
  accepted        800 runs (leads 0..799; 800..999 rejected)      80 / 800 = 0.10
  reply           200 leads (0..199; 160..199 reply in April)     80 / 200 = 0.40   200/800 = 0.25
  positive_reply   50 leads (0..24 by correlationId, 25..49 by subject)
                                                                  80 / 50  = 1.60    50/200 = 0.25
  deal              8 leads (0..7; 0..2 sign in May)              80 / 8   = 10.00    8/50  = 0.16
Not counted: a repeat of lead-0's reply event (same eventId: a duplicate), a second reply of
lead-1 (another event, the same subject), lead-5's reply also linked by its run, February's
lead-feb reply (outside the cohort), and a reply of lead-unknown (no run at all).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from app.auth.principal import Role
from tests.integration.ladder_api import MARCH, Events, ladder_of, upsert
from tests.integration.ladder_factories import costed_run

LEADS = 1000
PRICE = """
mutation { setModelPrice(input: {provider: "anthropic", model: "claude-sonnet-4",
  effectiveFrom: "2026-01-01T00:00:00Z", inputPerMillion: "3", outputPerMillion: "15"}) {
    modelPrice { id } } }
"""


def lead_records() -> tuple[list[dict], list[dict], list[dict]]:
    runs, usage, labels = [], [], []
    for i in range(LEADS):
        started = f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z"
        runs.append(
            {"type": "run", "correlationId": f"m-{i}", "workflowKey": "outreach",
             "startedAt": started, "subject": f"lead-{i}", "channel": "email"}
        )  # fmt: skip
        common = {"type": "usage", "correlationId": f"m-{i}", "workflowKey": "outreach",
                  "occurredAt": started}  # fmt: skip
        usage.append(
            common | {"eventId": f"llm-{i}", "kind": "LLM", "provider": "anthropic",
                      "model": "claude-sonnet-4", "inputTokens": 4000, "outputTokens": 600}
        )  # fmt: skip
        usage.append(common | {"eventId": f"data-{i}", "kind": "THIRD_PARTY", "cost": "0.05"})
        status = "ACCEPTED" if i < 800 else "REJECTED"
        reviewed = started.replace(":00:00Z", ":30:00Z")  # half an hour after the start
        labels.append(
            {"type": "label", "correlationId": f"m-{i}", "status": status, "at": reviewed}
        )
    return runs, usage, labels


def outcome(event_id: str, rung: str, when: str, **link: str) -> dict:
    return {"type": "outcome", "eventId": event_id, "workflowKey": "outreach", "rung": rung,
            "occurredAt": when, **link}  # fmt: skip


def outcome_records() -> list[dict]:
    records = []
    for i in range(200):
        when = "2026-04-10T00:00:00Z" if i >= 160 else "2026-03-29T00:00:00Z"
        records.append(outcome(f"reply-{i}", "reply", when, subject=f"lead-{i}"))
    for i in range(50):
        link = {"correlationId": f"m-{i}"} if i < 25 else {"subject": f"lead-{i}"}
        records.append(outcome(f"positive-{i}", "positive_reply", "2026-03-30T00:00:00Z", **link))
    for i in range(8):
        when = "2026-05-20T00:00:00Z" if i < 3 else "2026-03-31T00:00:00Z"
        records.append(outcome(f"deal-{i}", "deal", when, subject=f"lead-{i}"))
    records += [
        outcome("reply-0", "reply", "2026-03-29T00:00:00Z", subject="lead-0"),  # replayed id
        outcome("reply-1-again", "reply", "2026-03-30T00:00:00Z", subject="lead-1"),
        outcome("reply-5-run", "reply", "2026-03-30T00:00:00Z", correlationId="m-5"),
        outcome("reply-feb", "reply", "2026-03-02T00:00:00Z", subject="lead-feb"),
        outcome("reply-unknown", "reply", "2026-03-02T00:00:00Z", subject="lead-unknown"),
    ]
    return records


OTHER_SPEND = [
    {"type": "usage", "eventId": "infra-march", "workflowKey": "outreach", "kind": "INFRA",
     "occurredAt": "2026-03-15T00:00:00Z", "cost": "9.00"},
    {"type": "run", "correlationId": "feb-0", "workflowKey": "outreach",
     "startedAt": "2026-02-20T00:00:00Z", "subject": "lead-feb"},
    {"type": "usage", "eventId": "feb-fee", "correlationId": "feb-0", "workflowKey": "outreach",
     "kind": "THIRD_PARTY", "occurredAt": "2026-03-02T00:00:00Z", "cost": "5.00"},
]  # fmt: skip


async def test_a_month_of_outreach_costs_per_rung(make_tenant, http, sessions):
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "accepted", "reply", "positive_reply", "deal")
    assert "errors" not in await tenant.gql(PRICE)
    events = await Events.for_tenant(http, sessions, tenant)
    runs, usage, labels = lead_records()

    await events.post(runs + usage + labels + OTHER_SPEND)
    sent = await events.post(outcome_records())

    # 200 + 50 + 8 + 4 new events; the replayed reply-0 is the one duplicate
    assert sent == {"accepted": 262, "duplicates": 1}
    figures = await ladder_of(tenant)
    assert figures["costPerOutcome"] == {"acceptedOutcomes": 800, "totalCost": "80.0000000000"}
    assert figures["ladderCosts"] == [
        {"rung": "accepted", "position": 0, "count": 800, "totalCost": "80.0000000000",
         "costPerRung": "0.1000000000", "conversionFromPrevious": None},
        {"rung": "reply", "position": 1, "count": 200, "totalCost": "80.0000000000",
         "costPerRung": "0.4000000000", "conversionFromPrevious": 0.25},
        {"rung": "positive_reply", "position": 2, "count": 50, "totalCost": "80.0000000000",
         "costPerRung": "1.6000000000", "conversionFromPrevious": 0.25},
        {"rung": "deal", "position": 3, "count": 8, "totalCost": "80.0000000000",
         "costPerRung": "10.0000000000", "conversionFromPrevious": 0.16},
    ]  # fmt: skip

    # the same figures for email (every lead); none for sms
    email = await ladder_of(tenant, scope={"channel": "email"})
    # channel scopes leave out the workflow-level INFRA: 71 / 8 = 8.875 per deal
    assert email["ladderCosts"][3]["costPerRung"] == "8.8750000000"
    sms = await ladder_of(tenant, scope={"channel": "sms"})
    assert [(c["count"], c["costPerRung"]) for c in sms["ladderCosts"]] == [(0, None)] * 4

    # February's cohort: lead-feb's $5 fee, and its reply (recorded in March) counts there
    february = await ladder_of(
        tenant, time_range={"from": "2026-02-01T00:00:00Z", "to": "2026-03-01T00:00:00Z"}
    )
    reply = february["ladderCosts"][1]
    assert (reply["count"], reply["totalCost"], reply["costPerRung"]) == (
        1,
        "5.0000000000",
        "5.0000000000",
    )


async def test_late_outcomes_flow_back_to_the_month_that_paid_for_them(make_tenant, http, sessions):
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "reply", "deal")
    events = await Events.for_tenant(http, sessions, tenant)
    await events.post(
        [
            {
                "type": "run",
                "correlationId": "m-1",
                "workflowKey": "outreach",
                "startedAt": "2026-03-31T23:00:00Z",
                "subject": "lead-1",
            },
            {
                "type": "usage",
                "eventId": "fee-1",
                "correlationId": "m-1",
                "workflowKey": "outreach",
                "kind": "TOOL",
                "occurredAt": "2026-04-01T01:00:00Z",
                "cost": "12.00",
            },
        ]
    )
    before = await ladder_of(tenant)
    assert [c["costPerRung"] for c in before["ladderCosts"]] == [None, None]

    # a deal signed in June for a lead contacted on March 31 is March's deal
    await events.post([outcome("deal-1", "deal", "2026-06-15T00:00:00Z", subject="lead-1")])

    after = await ladder_of(tenant)
    assert after["ladderCosts"][1] == {
        "rung": "deal", "position": 1, "count": 1, "totalCost": "12.0000000000",
        "costPerRung": "12.0000000000", "conversionFromPrevious": None,  # 0 replies before it
    }  # fmt: skip
    april = await ladder_of(
        tenant, time_range={"from": "2026-04-01T00:00:00Z", "to": "2026-05-01T00:00:00Z"}
    )
    assert april["ladderCosts"][1]["count"] == 0


async def test_totals_are_exact_for_any_ladder(make_tenant, http, sessions):
    """costPerRung × count = totalCost within half a unit of the 10th place per outcome."""
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "reply")
    events = await Events.for_tenant(http, sessions, tenant)
    records = [
        record
        for i in range(7)
        for record in costed_run(
            f"r{i}", "2026-03-02T00:00:00Z", "0.3333333333", event_id=f"u{i}", subject=f"s{i}"
        )
    ]
    records += [
        outcome(f"o{i}", "reply", "2026-03-03T00:00:00Z", subject=f"s{i}") for i in (0, 2, 4)
    ]
    await events.post(records)

    (reply,) = (await ladder_of(tenant))["ladderCosts"]

    # 7 × 0.3333333333 = 2.3333333331; / 3 = 0.7777777777
    assert (reply["totalCost"], reply["count"], reply["costPerRung"]) == (
        "2.3333333331",
        3,
        "0.7777777777",
    )
    diff = abs(Decimal(reply["costPerRung"]) * 3 - Decimal(reply["totalCost"]))
    assert diff <= 3 * Decimal("0.5e-10")


async def test_a_client_viewer_sees_its_own_ladder_and_no_other(make_tenant, http, sessions):
    tenant = await make_tenant()
    await upsert(tenant, "outreach", "accepted", "reply")
    ids = {}
    for name in ("Acme", "Globex"):
        body = await tenant.gql(
            "mutation($n: String!) { createClient(input: {name: $n}) { clientId } }", {"n": name}
        )
        ids[name] = body["data"]["createClient"]["clientId"]
    events = await Events.for_tenant(http, sessions, tenant)
    await events.post(
        [
            {
                "type": "run",
                "correlationId": "a1",
                "workflowKey": "outreach",
                "clientId": ids["Acme"],
                "startedAt": "2026-03-02T00:00:00Z",
                "subject": "lead-a",
            },
            {
                "type": "run",
                "correlationId": "g1",
                "workflowKey": "outreach",
                "clientId": ids["Globex"],
                "startedAt": "2026-03-02T00:00:00Z",
            },
            {
                "type": "usage",
                "eventId": "ua",
                "correlationId": "a1",
                "workflowKey": "outreach",
                "kind": "TOOL",
                "occurredAt": "2026-03-02T00:00:00Z",
                "cost": "6",
            },
            {
                "type": "usage",
                "eventId": "ug",
                "correlationId": "g1",
                "workflowKey": "outreach",
                "kind": "TOOL",
                "occurredAt": "2026-03-02T00:00:00Z",
                "cost": "50",
            },
            outcome("ra", "reply", "2026-03-05T00:00:00Z", subject="lead-a"),
            outcome("rg", "reply", "2026-03-05T00:00:00Z", correlationId="g1"),
        ]
    )
    query = """
    query($id: ID!, $range: TimeRange!) {
      client(id: $id) {
        ladderCosts(workflowKey: "outreach", range: $range) { rung count costPerRung }
      }
    }
    """
    acme_viewer = {"role": Role.CLIENT_VIEWER, "client_id": uuid.UUID(ids["Acme"])}

    own = await tenant.gql(query, {"id": ids["Acme"], "range": MARCH}, **acme_viewer)
    other = await tenant.gql(query, {"id": ids["Globex"], "range": MARCH}, **acme_viewer)
    tenant_wide = await tenant.gql('{ workflow(key: "outreach") { key } }', **acme_viewer)

    assert own["data"]["client"]["ladderCosts"] == [
        {"rung": "accepted", "count": 0, "costPerRung": None},
        {"rung": "reply", "count": 1, "costPerRung": "6.0000000000"},  # Globex's $50 not here
    ]
    assert other["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert tenant_wide["errors"][0]["extensions"]["code"] == "FORBIDDEN"
