"""Invoice reconciliation through GraphQL: recordInvoice, basis RECONCILED on costPerOutcome and
costBreakdown (totals equal the invoice to the cent), the reconciliation report, permissions."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.auth.principal import Role

MARCH = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}
SETUP = """mutation($runs: [RunInput!]!, $events: [UsageEventInput!]!) {
  upsertWorkflow(input: {key: "support", name: "Support"}) { key }
  startRuns(runs: $runs) { accepted }
  ingestUsage(events: $events) { accepted } }"""
INVOICE = """mutation($provider: String!, $month: String!, $amount: Decimal!) {
  recordInvoice(input: {provider: $provider, month: $month, amount: $amount}) {
    invoice { id provider month invoiced computed } } }"""
FIGURES = """query($r: TimeRange!, $basis: CostBasis!) {
  workflow(key: "support") {
    costPerOutcome(range: $r, basis: $basis) { totalCost }
    ladderCosts(range: $r, basis: $basis) { totalCost } }
  costBreakdown(range: $r, groupBy: [PROVIDER], basis: $basis) { key cost events } }"""
REPORT = """query($provider: String, $from: String, $to: String) {
  reconciliation(provider: $provider, fromMonth: $from, toMonth: $to) {
    provider month invoiced computed difference factor reconciled events } }"""


def usage(event_id: str, run: str, provider: str, day: str, cost: str, kind: str = "LLM") -> dict:
    return {
        "eventId": event_id,
        "correlationId": run,
        "workflowKey": "support",
        "kind": kind,
        "occurredAt": f"2026-{day}T12:00:00Z",
        "provider": provider,
        "model": "m",
        "cost": cost,
    }


async def agency(make_tenant) -> Any:
    """March: anthropic LLM 10 + 20 + 50 = 80, openai LLM 5, a tool call 1; April: anthropic 30."""
    tenant = await make_tenant()
    runs = [
        {"correlationId": r, "workflowKey": "support", "startedAt": "2026-03-02T00:00:00Z"}
        for r in ("a", "b")
    ]
    events = [
        usage("u1", "a", "anthropic", "03-05", "10.00"),
        usage("u2", "a", "anthropic", "03-20", "20.00"),
        usage("u3", "b", "anthropic", "03-10", "50.00"),
        usage("u4", "b", "openai", "03-11", "5.00"),
        usage("u5", "b", "anthropic", "03-12", "1.00", kind="TOOL"),
        usage("u6", "a", "anthropic", "04-02", "30.00"),
    ]
    await tenant.data(SETUP, {"runs": runs, "events": events})
    return tenant


async def figures(tenant: Any, basis: str) -> tuple[Decimal, dict[str, Decimal]]:
    body = await tenant.gql(FIGURES, {"r": MARCH, "basis": basis})
    assert "errors" not in body, body
    total = Decimal(body["data"]["workflow"]["costPerOutcome"]["totalCost"])
    [rung] = body["data"]["workflow"]["ladderCosts"]  # the default ladder: "accepted"
    assert Decimal(rung["totalCost"]) == total
    buckets = {b["key"][0]: Decimal(b["cost"]) for b in body["data"]["costBreakdown"]}
    return total, buckets


async def record(tenant: Any, provider: str, month: str, amount: str, **kw: Any) -> dict:
    return await tenant.gql(INVOICE, {"provider": provider, "month": month, "amount": amount}, **kw)


async def test_reconciled_figures_equal_the_invoice(make_tenant) -> None:
    tenant = await agency(make_tenant)
    # before any invoice both bases agree: 80 + 5 + 1 (the tool call is not an LLM cost)
    assert await figures(tenant, "RECONCILED") == await figures(tenant, "RACK_RATE")

    assert (await record(tenant, "anthropic", "2026-03", "72.00"))["data"]["recordInvoice"]
    total, buckets = await figures(tenant, "RECONCILED")
    # anthropic's March LLM costs × 72/80 = 9 + 18 + 45 = 72; openai 5 and the tool call 1 stay
    assert buckets == {"anthropic": Decimal("73"), "openai": Decimal("5")}  # 72 + the tool's 1
    # the cohort (runs started in March) also owns run a's April call, which has no invoice:
    # 72 + 5 + 1 + 30 = 108
    assert total == Decimal("108")
    assert await figures(tenant, "RACK_RATE") == (
        Decimal("116"),  # 80 + 5 + 1 + 30
        {"anthropic": Decimal("81"), "openai": Decimal("5")},
    )


async def test_the_report_and_late_usage(make_tenant) -> None:
    tenant = await agency(make_tenant)
    await record(tenant, "anthropic", "2026-03", "72.00")
    await record(tenant, "openai", "2026-02", "3.00")  # no February usage: nothing to scale
    body = await tenant.gql(REPORT)
    assert body["data"]["reconciliation"] == [
        {
            "provider": "anthropic",
            "month": "2026-03",
            "invoiced": "72.0000000000",
            "computed": "80.0000000000",
            "difference": "-8.0000000000",
            "factor": "0.90000000000000000000",
            "reconciled": "72.0000000000",
            "events": 3,
        },
        {
            "provider": "openai",
            "month": "2026-02",
            "invoiced": "3.0000000000",
            "computed": "0",
            "difference": "3.0000000000",
            "factor": None,
            "reconciled": "0",
            "events": 0,
        },
    ]
    # A late March call of 1.00 moves the factor to 72/81; the reconciled total stays the invoice.
    late = usage("u7", "b", "anthropic", "03-30", "1.00")
    await tenant.gql(SETUP, {"runs": [], "events": [late]})
    body = await tenant.gql(REPORT, {"provider": "anthropic", "from": "2026-03", "to": "2026-03"})
    [row] = body["data"]["reconciliation"]
    # 72 / 81 = 0.88888888888888888889 (20 places, half up); each event × it at 10 places:
    # 8.8888888889 + 17.7777777778 + 44.4444444444 + 0.8888888889 = 72.0000000000
    assert (row["factor"], row["reconciled"]) == ("0.88888888888888888889", "72.0000000000")
    total, buckets = await figures(tenant, "RECONCILED")
    assert buckets["anthropic"] - 1 == Decimal("72.0000000000")  # minus the tool call
    assert total == Decimal("108.0000000000")  # 72 + 5 + 1 + April's 30


async def test_an_invoice_that_does_not_divide_evenly_is_met_to_the_cent(make_tenant) -> None:
    tenant = await agency(make_tenant)
    await record(tenant, "anthropic", "2026-03", "70.01")
    _, buckets = await figures(tenant, "RECONCILED")
    # factor 70.01 / 80 = 0.875125 exactly: 8.75125 + 17.5025 + 43.75625 = 70.01
    assert (buckets["anthropic"] - 1).quantize(Decimal("0.01")) == Decimal("70.01")
    await record(tenant, "anthropic", "2026-03", "100")  # a corrected invoice replaces it
    body = await tenant.gql(REPORT, {"provider": "anthropic"})
    assert [r["invoiced"] for r in body["data"]["reconciliation"]] == ["100.0000000000"]
    _, buckets = await figures(tenant, "RECONCILED")
    assert buckets["anthropic"] == Decimal("101")


@pytest.mark.parametrize(
    ("provider", "month", "amount", "field"),
    [
        ("", "2026-03", "1", "provider"),
        ("anthropic", "2026-3", "1", "month"),
        ("anthropic", "March", "1", "month"),
        ("anthropic", "2026-03", "-1", "amount"),
        ("anthropic", "2026-03", "10000000000", "amount"),
    ],
)
async def test_bad_invoices_name_the_field(make_tenant, provider, month, amount, field) -> None:
    tenant = await make_tenant()
    body = await record(tenant, provider, month, amount)
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert (await tenant.gql(REPORT))["data"]["reconciliation"] == []


async def test_permissions(make_tenant) -> None:
    tenant = await make_tenant()
    forbidden = await record(tenant, "anthropic", "2026-03", "1", role=Role.ANALYST)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await record(tenant, "anthropic", "2026-03", "1", role=Role.ENGINEER))["data"]
    analyst = await tenant.gql(REPORT, role=Role.ANALYST)
    assert [r["invoiced"] for r in analyst["data"]["reconciliation"]] == ["1.0000000000"]
    viewer = await tenant.gql(REPORT, role=Role.CLIENT_VIEWER, client_id=tenant.tenant_id)
    assert viewer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    other = await make_tenant()  # row-level security: another agency sees none of it
    assert (await other.gql(REPORT))["data"]["reconciliation"] == []
    bad = await tenant.gql(REPORT, {"from": "2026"})
    assert bad["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "fromMonth"}
