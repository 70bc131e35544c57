"""Revenue, baselines and ROI through the public doors: GraphQL over HTTP with real tokens, the
`/v1/events` batch endpoint with an API key, and a real arq worker (burst) on the real Redis."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from app.auth.principal import Role
from app.services.tenancy.tenants import create_api_key
from tests.integration.roi_helpers import fetch
from tests.integration.worker_support import run_burst
from workers.settings import worker_settings

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")

MARCH = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}

SETUP = """
mutation($client: ClientInput!) {
  createClient(input: $client) { clientId }
  upsertWorkflow(input: {key: "outreach", name: "Outreach"}) { key }
}
"""
INGEST = """
mutation($runs: [RunInput!]!, $usage: [UsageEventInput!]!, $labels: [RunLabelInput!]!) {
  startRuns(runs: $runs) { accepted }
  ingestUsage(events: $usage) { accepted }
  labelRuns(labels: $labels) { accepted }
}
"""
REVENUE = """
mutation($events: [RevenueInput!]!) {
  recordRevenue(events: $events) { accepted duplicates errors { index field message } }
}
"""
BASELINE = """mutation($input: BaselineInput!) {
  setBaseline(input: $input) { baseline { id revenuePerSuccess } } }"""
FIGURES = "cost successes costPerSuccess attributedRevenue baselineRevenue lift roi costVsLabor"
WINDOWS = f"""
query($range: TimeRange) {{
  workflow(key: "outreach") {{
    roiWindows(range: $range) {{
      workflowKey clientId windowStart windowEnd status runs {FIGURES} revision computedAt
    }}
  }}
}}
"""
WORKFLOW_ROI = f"""
query($range: TimeRange!, $scope: Scope) {{
  workflow(key: "outreach") {{ roi(range: $range, scope: $scope) {{
    {FIGURES} unattributedRevenue complete
  }} }}
}}
"""
CLIENT_ROI = f"""
query($id: ID!, $range: TimeRange!) {{
  client(id: $id) {{ roi(range: $range, workflowKey: "outreach") {{
    {FIGURES} unattributedRevenue complete
  }} }}
}}
"""


def data(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    return body["data"]


async def run_worker(settings) -> None:
    """A burst worker on the default queue: runs what ingest enqueued (and anything else)."""
    worker = await run_burst(worker_settings(settings))
    assert worker.jobs_failed == 0


async def agency(make_tenant):
    """A tenant with client Acme, workflow outreach, and the issue's example day: 10 runs on
    2026-03-02, each costing 4.20 and accepted an hour later, each earning 68.00 two days after."""
    tenant = await make_tenant()
    acme = data(await tenant.gql(SETUP, {"client": {"name": "Acme"}}))["createClient"]["clientId"]
    cids = [f"run-{i}" for i in range(10)]
    AT = "2026-03-02T09:30:00Z"

    def of(correlation_id: str) -> dict[str, str]:
        return {"correlationId": correlation_id, "workflowKey": "outreach"}

    body = await tenant.gql(
        INGEST,
        {
            "runs": [
                {**of(c), "clientId": acme, "startedAt": f"2026-03-02T09:{i:02}:00Z"}
                for i, c in enumerate(cids)
            ],
            "usage": [
                {**of(c), "eventId": f"u-{c}", "kind": "TOOL", "cost": "4.20", "occurredAt": AT}
                for c in cids
            ],
            "labels": [
                {"correlationId": c, "status": "ACCEPTED", "at": "2026-03-02T11:00:00Z"}
                for c in cids
            ],
        },
    )
    assert data(body)["labelRuns"]["accepted"] == 10
    deal = {"clientId": acme, "amount": "68.00", "occurredAt": "2026-03-04T10:00:00Z"}
    revenue = [{**deal, "eventId": f"deal-{c}", "correlationId": c, "kind": "won"} for c in cids]
    # Revenue of the workflow before any of its runs finished: nothing can claim it.
    early = {"eventId": "early", "clientId": acme, "amount": "15.00", "workflowKey": "outreach"}
    revenue.append({**early, "occurredAt": "2026-03-01T12:00:00Z"})
    assert data(await tenant.gql(REVENUE, {"events": revenue}))["recordRevenue"]["accepted"] == 11
    baseline = {"workflowKey": "outreach", "revenuePerSuccess": "20.00", "humanCostPerTask": "35"}
    assert data(await tenant.gql(BASELINE, {"input": baseline}))["setBaseline"]["baseline"]["id"]
    return tenant, acme


async def test_the_issue_example_end_to_end(migrated, make_tenant):
    tenant, acme = await agency(make_tenant)

    await run_worker(migrated)

    [window] = data(await tenant.gql(WINDOWS, {"range": MARCH}))["workflow"]["roiWindows"]
    computed_at = window.pop("computedAt")
    assert window == {
        "workflowKey": "outreach",
        "clientId": acme,
        "windowStart": "2026-03-02T00:00:00+00:00",
        "windowEnd": "2026-04-02T00:00:00+00:00",  # + 1 day + 30 days
        "status": "FINAL",
        "runs": 10,
        "cost": "42.0000000000",  # 10 × 4.20
        "successes": 10,
        "costPerSuccess": "4.2000000000",
        "attributedRevenue": "680.0000000000",  # 10 × 68.00
        "baselineRevenue": "200.0000000000",  # 10 × 20.00
        "lift": "480.0000000000",
        "roi": pytest.approx(11.428571428571429),  # 480 / 42: 48.00 more than baseline / 4.20
        "costVsLabor": pytest.approx(0.12),  # 4.20 / 35.00
        "revision": 0,
    }
    assert computed_at.endswith("+00:00")
    summary = data(await tenant.gql(WORKFLOW_ROI, {"range": MARCH}))["workflow"]["roi"]
    assert summary["roi"] == pytest.approx(11.428571428571429)
    assert (summary["unattributedRevenue"], summary["complete"]) == ("15.0000000000", True)
    # The client sees the same figures for itself, and only for itself.
    viewer = {"role": Role.CLIENT_VIEWER, "client_id": uuid.UUID(acme)}
    mine = await tenant.gql(CLIENT_ROI, {"id": acme, "range": MARCH}, **viewer)
    assert data(mine)["client"]["roi"] == summary


async def test_a_new_baseline_revises_final_windows_visibly(migrated, make_tenant):
    tenant, _ = await agency(make_tenant)
    await run_worker(migrated)

    baseline = {"workflowKey": "outreach", "revenuePerSuccess": "30.00"}
    assert data(await tenant.gql(BASELINE, {"input": baseline}))["setBaseline"]["baseline"]["id"]
    await run_worker(migrated)

    [window] = data(await tenant.gql(WINDOWS, {"range": MARCH}))["workflow"]["roiWindows"]
    # 10 × 30.00 = 300; lift 680 − 300 = 380; no human cost any more.
    assert (window["baselineRevenue"], window["lift"], window["revision"]) == (
        "300.0000000000",
        "380.0000000000",
        1,
    )
    assert window["costVsLabor"] is None


async def test_revenue_problems_come_back_as_data_naming_the_field(make_tenant):
    tenant = await make_tenant()
    acme = data(await tenant.gql(SETUP, {"client": {"name": "Acme"}}))["createClient"]["clientId"]
    T = "2026-03-01T00:00:00Z"
    events = [
        {"eventId": "ok", "clientId": acme, "amount": "-12.50", "occurredAt": T},
        {"eventId": "sub-cent", "clientId": acme, "amount": "1.005", "occurredAt": T},
        {"eventId": "ghost", "clientId": str(uuid.UUID(int=15)), "amount": "1", "occurredAt": T},
        {"eventId": "wf", "clientId": acme, "amount": "1", "occurredAt": T, "workflowKey": "no"},
    ]

    result = data(await tenant.gql(REVENUE, {"events": events}))["recordRevenue"]

    assert (result["accepted"], result["duplicates"]) == (0, 0)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (1, "amount"),
        (2, "clientId"),
        (3, "workflowKey"),
    ]
    assert "whole cents" in result["errors"][0]["message"]
    # The valid refund alone is accepted, once.
    once = data(await tenant.gql(REVENUE, {"events": events[:1]}))["recordRevenue"]
    twice = data(await tenant.gql(REVENUE, {"events": events[:1]}))["recordRevenue"]
    assert (once["accepted"], twice["accepted"], twice["duplicates"]) == (1, 0, 1)


async def test_revenue_through_the_batch_endpoint(http, make_tenant, sessions):
    tenant = await make_tenant()
    acme = data(await tenant.gql(SETUP, {"client": {"name": "Acme"}}))["createClient"]["clientId"]
    key = await create_api_key(
        sessions=sessions, tenant_id=tenant.tenant_id, name="crm", scopes=["ingest"]
    )
    headers = {"Authorization": f"Bearer {key.key}", "content-type": "application/x-ndjson"}
    record = {
        "type": "revenue",
        "eventId": "r1",
        "clientId": acme,
        "amount": "AMOUNT",
        "occurredAt": "2026-03-05T00:00:00Z",
        "workflowKey": "outreach",
        "subject": "lead-7",
    }
    good = json.dumps(record).replace('"AMOUNT"', "250.10")  # a JSON number, decoded exactly
    bad = json.dumps({**record, "eventId": "r2", "clientId": None, "amount": "2.50"})

    refused = await http.post("/v1/events", content=f"{good}\n{bad}\n", headers=headers)
    accepted = await http.post("/v1/events", content=good, headers=headers)
    replayed = await http.post("/v1/events", content=good, headers=headers)

    assert refused.status_code == 422
    assert [(e["line"], e["field"]) for e in refused.json()["errors"]] == [(2, "clientId")]
    assert accepted.json() == {"accepted": 1, "duplicates": 0, "errors": []}
    assert replayed.json() == {"accepted": 0, "duplicates": 1, "errors": []}
    rows = await fetch(sessions, tenant.tenant_id, "SELECT amount, subject FROM revenue_events")
    assert rows == [{"amount": Decimal("250.10"), "subject": "lead-7"}]


async def test_who_may_record_revenue_set_baselines_and_read_roi(make_tenant):
    tenant = await make_tenant()
    acme = data(await tenant.gql(SETUP, {"client": {"name": "Acme"}}))["createClient"]["clientId"]
    globex = data(await tenant.gql(SETUP, {"client": {"name": "Globex"}}))["createClient"][
        "clientId"
    ]
    event = {"eventId": "e", "clientId": acme, "amount": "1", "occurredAt": "2026-03-01T00:00Z"}
    revenue = {"events": [event]}
    baseline = {"input": {"workflowKey": "outreach", "revenuePerSuccess": "1"}}
    viewer = {"role": Role.CLIENT_VIEWER, "client_id": uuid.UUID(acme)}

    def code(body: dict[str, Any]) -> str:
        return body["errors"][0]["extensions"]["code"]

    assert code(await tenant.gql(REVENUE, revenue, role=Role.ANALYST)) == "FORBIDDEN"
    assert code(await tenant.gql(BASELINE, baseline, role=Role.ANALYST)) == "FORBIDDEN"
    assert data(await tenant.gql(BASELINE, baseline, role=Role.ENGINEER))["setBaseline"]
    assert code(await tenant.gql(WINDOWS, {}, **viewer)) == "FORBIDDEN"
    other = await tenant.gql(CLIENT_ROI, {"id": globex, "range": MARCH}, **viewer)
    assert code(other) == "FORBIDDEN"
    unknown = await tenant.gql(
        BASELINE, {"input": {"workflowKey": "nope", "revenuePerSuccess": "-1"}}
    )
    # an unknown workflow is NOT_FOUND, as for every field taking one (even with bad figures)
    assert unknown["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "workflowKey"}
    negative = await tenant.gql(
        BASELINE, {"input": {"workflowKey": "outreach", "revenuePerSuccess": "-1"}}
    )
    by_campaign = await tenant.gql(WORKFLOW_ROI, {"range": MARCH, "scope": {"campaign": "x"}})
    expected = [(negative, "revenuePerSuccess")]
    for body, field in [*expected, (by_campaign, "scope.campaign")]:
        assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


ROI_PAGE = """
query($first: Int, $after: String, $last: Int, $before: String) {
  workflow(key: "outreach") {
    roiWindows { id windowStart clientId }
    roiWindowsConnection(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id windowStart clientId runs } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""


async def test_roi_windows_page_both_ways_and_refetch_by_id(migrated, make_tenant):
    tenant = await make_tenant()
    acme = data(await tenant.gql(SETUP, {"client": {"name": "Acme"}}))["createClient"]["clientId"]
    starts = [("a", "2026-03-02", acme), ("b", "2026-03-02", None), ("c", "2026-03-03", acme)]
    runs = [
        {"correlationId": c, "workflowKey": "outreach", "clientId": client,
         "startedAt": f"{day}T09:00:00Z"}
        for c, day, client in starts
    ]  # fmt: skip
    usage = [
        {"correlationId": c, "workflowKey": "outreach", "eventId": f"u-{c}", "kind": "TOOL",
         "cost": "1", "occurredAt": f"{day}T09:30:00Z"}
        for c, day, _ in starts
    ]  # fmt: skip
    labels = [
        {"correlationId": c, "status": "ACCEPTED", "at": f"{day}T10:00:00Z"} for c, day, _ in starts
    ]
    assert data(await tenant.gql(INGEST, {"runs": runs, "usage": usage, "labels": labels}))
    await run_worker(migrated)

    async def page(**variables):
        found = data(await tenant.gql(ROI_PAGE, variables))["workflow"]
        return found["roiWindows"], found["roiWindowsConnection"]

    listed, first = await page(first=2)
    assert len(listed) == 3
    # the connection walks the list's order: by day, then client
    assert [e["node"]["id"] for e in first["edges"]] == [w["id"] for w in listed[:2]]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    _, rest = await page(first=2, after=first["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["edges"]] == [listed[2]["id"]]
    assert (rest["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasPreviousPage"]) == (False, True)
    _, back = await page(last=2, before=rest["pageInfo"]["startCursor"])
    assert [e["node"]["id"] for e in back["edges"]] == [w["id"] for w in listed[:2]]

    refetch = "query($id: ID!) { node(id: $id) { id ... on RoiWindow { windowStart clientId } } }"
    for window in listed:
        node = data(await tenant.gql(refetch, {"id": window["id"]}))["node"]
        assert node == {k: window[k] for k in ("id", "windowStart", "clientId")}
