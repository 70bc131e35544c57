"""Seed a tenant through the public GraphQL API with distinctive values, for the isolation tests.

Every value a leak could expose (ids, names, keys, correlation and event ids, subjects, amounts)
carries the tenant's tag or is a number no other tenant uses, and is listed in `markers`: a test
asserts that none of them appears in another principal's response.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app import global_ids

CREATE_CLIENTS = """
mutation($x: ClientInput!, $y: ClientInput!) {
  x: createClient(input: $x) { clientId }
  y: createClient(input: $y) { clientId }
}
"""

SEED = """
mutation($wf: WorkflowInput!, $price: ModelPriceInput!, $runs: [RunInput!]!,
         $usage: [UsageEventInput!]!, $labels: [RunLabelInput!]!, $outcomes: [OutcomeInput!]!,
         $revenue: [RevenueInput!]!, $invoice: InvoiceInput!, $ceiling: CeilingInput!,
         $gate: GateInput!, $baseline: BaselineInput!, $key: String!,
         $dimension: DeclareRunDimensionInput!) {
  upsertWorkflow(input: $wf) { id }
  declareRunDimension(input: $dimension) { key }
  setModelPrice(input: $price) { modelPrice { id } }
  startRuns(runs: $runs) { accepted errors { field message } }
  ingestUsage(events: $usage) { accepted errors { field message } }
  labelRuns(labels: $labels) { accepted errors { field message } }
  recordOutcomes(outcomes: $outcomes) { accepted errors { field message } }
  recordRevenue(events: $revenue) { accepted errors { field message } }
  recordInvoice(input: $invoice) { invoice { id } }
  setCostCeiling(input: $ceiling) { ceiling { id } }
  setAutonomyGate(input: $gate) { version }
  promoteAutonomy(workflowKey: $key, toLevel: 1) { promoted }
  setBaseline(input: $baseline) { baseline { id } }
}
"""


@dataclass
class Seeded:
    """What one seeded tenant holds, by the names the isolation queries use."""

    tenant_id: uuid.UUID
    tag: str
    workflow_key: str
    workflow_id: str
    client_x: str  # the client its CLIENT_VIEWER is bound to
    client_y: str  # another client of the same tenant
    correlation_x: str
    correlation_y: str
    rung: str
    start: datetime
    markers: dict[str, str] = field(default_factory=dict)  # marker -> what it is
    y_markers: dict[str, str] = field(default_factory=dict)  # client Y's own values
    dimension: str = ""  # the key of its declared run dimension

    @property
    def client_x_uuid(self) -> uuid.UUID:
        return uuid.UUID(self.client_x)

    @property
    def range(self) -> dict[str, str]:
        return {
            "from": iso(self.start - timedelta(days=10)),
            "to": iso(self.start + timedelta(days=5)),
        }


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


async def seed_tenant(handle: Any, tag: str, *, salt: int) -> Seeded:
    """Clients X and Y, a workflow with a two-rung ladder, runs of both clients with usage,
    labels, an outcome, revenue, an invoice, a ceiling, a gate (a refused promotion), a baseline.
    `salt` (one digit) makes every amount differ between tenants."""
    suffix = uuid.uuid4().hex[:6]
    tag = f"{tag}{suffix}"
    made = await handle.gql(
        CREATE_CLIENTS, {"x": {"name": f"{tag}-clientx"}, "y": {"name": f"{tag}-clienty"}}
    )
    assert "errors" not in made, made
    x, y = made["data"]["x"]["clientId"], made["data"]["y"]["clientId"]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    key, rung = f"{tag}-flow", f"{tag}-replied"
    cx, cy = f"{tag}-corr-x", f"{tag}-corr-y"
    dimension = f"seg_{tag}"
    variables = {
        "key": key,
        "dimension": {"key": dimension, "description": f"{tag}-dimension-description"},
        "wf": {
            "key": key,
            "name": f"{tag}-Flow-Name",
            "ladder": [{"key": "accepted", "name": "Accepted"}, {"key": rung, "name": "Replied"}],
        },
        "price": {
            "provider": f"{tag}-prov",
            "model": f"{tag}-model",
            "effectiveFrom": iso(start - timedelta(days=30)),
            "inputPerMillion": f"3.33{salt}1",
            "outputPerMillion": "15.1501",
        },
        "runs": [
            {
                "correlationId": corr,
                "workflowKey": key,
                "clientId": client,
                "startedAt": iso(start),
                "campaign": f"{tag}-campaign",
                "channel": f"{tag}-channel",
                "subject": f"{tag}-subject-{n}",
                "dimensions": [{"key": dimension, "value": f"{tag}-segment-{n}"}],
            }
            for n, (corr, client) in enumerate(((cx, x), (cy, y)))
        ],
        "usage": [
            {
                "eventId": f"{tag}-usage-x",
                "correlationId": cx,
                "workflowKey": key,
                "clientId": x,
                "kind": "TOOL",
                "occurredAt": iso(start + timedelta(minutes=1)),
                "step": f"{tag}-step",
                "cost": f"7.31{salt}1",
            },
            {
                "eventId": f"{tag}-usage-y",
                "correlationId": cy,
                "workflowKey": key,
                "clientId": y,
                "kind": "LLM",
                "provider": f"{tag}-prov",
                "model": f"{tag}-model",
                "occurredAt": iso(start + timedelta(minutes=2)),
                "inputTokens": 777_777,
                "outputTokens": 3_333,
            },
        ],
        "labels": [
            {"correlationId": cx, "status": "ACCEPTED", "at": iso(start + timedelta(hours=1))},
            {"correlationId": cy, "status": "ACCEPTED", "at": iso(start + timedelta(hours=1))},
        ],
        "outcomes": [
            {
                "workflowKey": key,
                "rung": rung,
                "subject": f"{tag}-subject-0",
                "correlationId": cx,
                "occurredAt": iso(start + timedelta(hours=2)),
                "eventId": f"{tag}-outcome",
            }
        ],
        "revenue": [
            {
                "eventId": f"{tag}-revenue-{n}",
                "clientId": client,
                "amount": amount,
                "occurredAt": iso(start + timedelta(hours=3)),
                "workflowKey": key,
            }
            for n, (client, amount) in enumerate(((x, f"42{salt}2.17"), (y, f"91{salt}1.29")))
        ],
        "invoice": {
            "provider": f"{tag}-prov",
            "month": start.strftime("%Y-%m"),
            "amount": f"86{salt}5.31",
        },
        "ceiling": {
            "workflowKey": key,
            "rung": rung,
            "dimension": "CHANNEL",
            "value": f"{tag}-channel",
            "ceiling": f"61.80{salt}3",
        },
        "gate": {
            "workflowKey": key,
            "targetLevel": 1,
            "minAcceptanceRate": 0.9,
            "minSampleSize": 5,
            "maxCostPerOutcome": f"14.14{salt}1",
        },
        "baseline": {
            "workflowKey": key,
            "clientId": x,
            "revenuePerSuccess": f"27.18{salt}8",
            "humanCostPerTask": "31.4159",
        },
    }
    body = await handle.gql(SEED, variables)
    assert "errors" not in body, body
    for name in ("startRuns", "ingestUsage", "labelRuns", "recordOutcomes", "recordRevenue"):
        assert body["data"][name]["errors"] == [], (name, body)
        assert body["data"][name]["accepted"] > 0, (name, body)
    declared = await handle.gql(
        "mutation($c: String!) { declareFailureReason(code: $c, label: $c) { code } }",
        {"c": f"{tag}-reason"},
    )
    assert "errors" not in declared, declared
    # Findings thresholds low enough for the seed's few events to be findings (and one marker).
    for name, value in (
        ("unplaced_min_events", "1"),
        ("unplaced_min_share", "0"),
        ("long_context_input_tokens", f"5{salt}3{salt}1"),
    ):
        made = await handle.gql(
            "mutation($n: String!, $v: Decimal) { setFindingThreshold(name: $n, value: $v) "
            "{ name } }",
            {"n": name, "v": value},
        )
        assert "errors" not in made, made
    workflow_node_id = body["data"]["upsertWorkflow"]["id"]
    workflow_id = global_ids.decode(workflow_node_id)[1]  # the workflow's UUID
    markers = {
        str(handle.tenant_id): "tenant id",
        workflow_id: "workflow id",
        workflow_node_id: "workflow global id",
        key: "workflow key",
        f"{tag}-Flow-Name": "workflow name",
        x: "client X id",
        f"{tag}-clientx": "client X name",
        rung: "rung key",
        cx: "correlation id X",
        f"{tag}-usage-x": "event id X",
        f"{tag}-campaign": "campaign",
        f"{tag}-channel": "channel",
        f"{tag}-subject-0": "subject X",
        f"{tag}-prov": "provider",
        f"{tag}-model": "model",
        f"{tag}-step": "step",
        f"7.31{salt}1": "usage cost X",
        f"42{salt}2.17": "revenue X",
        f"86{salt}5.31": "invoice",
        f"61.80{salt}3": "ceiling",
        f"14.14{salt}1": "gate max cost",
        f"27.18{salt}8": "baseline revenue per success",
        f"{tag}-reason": "declared failure reason code",
        f"5{salt}3{salt}1": "findings threshold",
        dimension: "run dimension key",
        f"{tag}-dimension-description": "run dimension description",
        f"{tag}-segment-0": "run dimension value X",
    }
    y_markers = {
        y: "client Y id",
        f"{tag}-clienty": "client Y name",
        cy: "correlation id Y",
        f"{tag}-usage-y": "event id Y",
        f"{tag}-subject-1": "subject Y",
        f"91{salt}1.29": "revenue Y",
        f"{tag}-segment-1": "run dimension value Y",
    }
    markers.update(y_markers)
    return Seeded(
        tenant_id=handle.tenant_id,
        tag=tag,
        workflow_key=key,
        workflow_id=workflow_id,
        client_x=x,
        client_y=y,
        correlation_x=cx,
        correlation_y=cy,
        rung=rung,
        start=start,
        markers=markers,
        y_markers=y_markers,
        dimension=dimension,
    )
