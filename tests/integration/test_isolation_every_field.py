"""Tenant and client isolation over every field of the served schema.

Given tenants A and B, each seeded through the public API with distinctive values
(isolation_seed.py), every field in CASES is asked three ways with the same document, whose
variables name A's ids, keys, correlation ids and clients:

- as A's OWNER (the positive control, for reads): the document does reveal A's values;
- as B's OWNER (mutations: a fresh tenant per case): the answer is the pinned outcome (null,
  empty, NOT_FOUND, errors as data…), and none of A's values appears anywhere in the body unless
  the request itself carried it;
- as A's CLIENT_VIEWER bound to client X: FORBIDDEN (only `viewer` and its own client are
  open to it), and none of client Y's values appears.

Reads go through `workflow(key: $aKey)` / `client(id: $aY)` / `run(correlationId: $aCorr)` and,
for fields with client or scope arguments, also through B's own objects with A's ids in the
arguments (`mine:` aliases). After every case, A's data is unchanged (a snapshot query).

`test_every_field_has_an_isolation_case` computes the fields from the served schema: a field
added without a case here fails with its name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

import pytest

from app import global_ids
from app.auth.principal import Role
from graphql_schema.schema import build_schema
from tests.integration.isolation_seed import Seeded, seed_tenant

ALLOWED_CODES = {"NOT_FOUND", "FORBIDDEN", "BAD_USER_INPUT"}


@dataclass(frozen=True)
class Case:
    """One field's isolation case. `cross`: the pinned outcome for tenant B ("data", or the
    sorted error codes joined by ","); `viewer`: the same for A's CLIENT_VIEWER of client X;
    `control`: A's owner sees A's values with this document (False when the figure only exists
    after a worker ran, e.g. ROI windows)."""

    body: str
    cross: str = "data"
    viewer: str = "FORBIDDEN"
    control: bool = True
    kind: str = "query"

    @property
    def query(self) -> str:
        """The document, declaring exactly the variables its body uses."""
        names = sorted(set(re.findall(r"\$(\w+)", self.body)))
        declared = ", ".join(f"${name}: {VARIABLE_TYPES[name]}" for name in names)
        return f"{self.kind}({declared}) {self.body}" if names else f"{self.kind} {self.body}"


VARIABLE_TYPES = {
    "aKey": "String!",
    "bKey": "String!",
    "aX": "ID!",
    "aY": "ID!",
    "aXs": "String!",
    "bX": "ID!",
    "aCorr": "String!",
    "aRung": "String!",
    "range": "TimeRange!",
    "at": "DateTime!",
    "aYNode": "ID!",
    "aRunNode": "ID!",
    "aDim": "String!",
}


R = "range: $range"
SCOPE_A = "scope: {clientId: $aX}"


def wf_case(selection: str, *, cross: str = "data", control: bool = True) -> Case:
    """A Workflow field: through A's workflow (null for B) and through B's own with A's ids."""
    return Case(
        f"{{ theirs: workflow(key: $aKey) {{ {selection} }} "
        f"mine: workflow(key: $bKey) {{ {selection} }} }}",
        cross=cross,
        control=control,
    )


def client_case(selection: str, *, cross: str = "data", control: bool = True) -> Case:
    """A Client field: through A's client Y (null for B), and B's own client naming A's key."""
    return Case(
        f"{{ theirs: client(id: $aY) {{ {selection} }} mine: client(id: $bX) {{ {selection} }} }}",
        cross=cross,
        control=control,
    )


RUN = "{ run(correlationId: $aCorr) { correlationId %s } }"

CASES: dict[str, Case] = {
    # --- Query ---------------------------------------------------------------------------------
    "Query.viewer": Case("{ viewer { tenantId role clientId } }", viewer="data"),
    "Query.workflows": Case("{ workflows { id key name ladder { key } } }"),
    "Query.workflow": Case("{ workflow(key: $aKey) { id key name division } }"),
    "Query.clients": Case("{ clients { id name } }"),
    "Query.client": Case("{ client(id: $aY) { id name } }"),
    "Query.run": Case(RUN % "clientId subject campaign cost"),
    "Query.runs": Case(
        "{ all: runs { edges { node { correlationId cost } } } "
        "named: runs(workflowKey: $aKey, scope: {clientId: $aX}) "
        "{ edges { node { correlationId subject } } } }",
        cross="NOT_FOUND",
    ),
    "Query.costBreakdown": Case(
        "{ costBreakdown(range: $range, "
        "groupBy: [CLIENT, MODEL, STEP], scope: {clientId: $aX}) { key cost events } "
        "all: costBreakdown(range: $range, groupBy: [CLIENT, PROVIDER]) { key cost } }"
    ),
    "Query.autonomyReadiness": Case(
        "{ autonomyReadiness(workflowKey: $aKey) "
        "{ ready cost { threshold sampleSize detail } blockers } }",
        cross="NOT_FOUND",
    ),
    "Query.costCeilingStatus": Case(
        "{ costCeilingStatus(workflowKey: $aKey) { rung value ceiling costPerRung } }",
        cross="NOT_FOUND",
    ),
    "Query.failureReasonCodes": Case("{ failureReasonCodes { code label } }"),
    "Query.runDimensions": Case("{ runDimensions { key description allowedValues retired } }"),
    "Query.roiRoadmap": Case(
        "{ roiRoadmap(range: $range) { entries { workflowKey roi cost cacheSavings "
        "runCost { median high } runRoi { median } } } }"
    ),
    "Query.findings": Case(
        "{ all: findings(range: $range) { pattern workflowKey moneyAtStakePerMonth "
        "evidence { name value } runs calls } "
        "one: findings(range: $range, workflowKey: $aKey) { pattern workflowKey } }",
        cross="NOT_FOUND",
    ),
    "Query.findingThresholds": Case("{ findingThresholds { name value } }"),
    "Query.reconciliation": Case("{ reconciliation { provider month invoiced computed events } }"),
    # one node field per document: two failing root fields report their errors in the order
    # they finish, which is no property of the API (nodes(ids:) covers two ids, in order)
    "Query.node": Case("{ node(id: $aYNode) { id ... on Client { name } } }", cross="NOT_FOUND"),
    "Query.nodes": Case(
        "{ nodes(ids: [$aYNode, $aRunNode]) { id ... on Client { name } ... on Run { subject } } }",
        cross="NOT_FOUND",
    ),
    # People and sign-in: the seed signs nobody in, so there is no positive control here; the
    # sign-in tests (test_identity_sign_in.py) hold tenant A's people and invitations from B.
    "Query.identityProvider": Case("{ identityProvider { issuer clientId } }", control=False),
    "Query.people": Case("{ people { id email role clientId } }", control=False),
    "Query.invitations": Case("{ invitations { id email clientId } }", control=False),
    # The seed ingests no OTLP spans: B's answer is its own (empty) health, never A's.
    "Query.ingestHealth": Case(
        "{ ingestHealth(range: $range) { day source workflowKey reason spans examples } }",
        control=False,
    ),
    "Query.auditLog": Case("{ auditLog { at actor action detail } }", control=False),
    # --- Workflow ------------------------------------------------------------------------------
    "Workflow.ladder": wf_case("key ladder { key name }"),
    "Workflow.costPerOutcome": wf_case(
        f"costPerOutcome({R}, {SCOPE_A}) {{ attempts totalCost costPerOutcome }}"
    ),
    "Workflow.ladderCosts": wf_case(
        f"ladderCosts({R}, {SCOPE_A}) {{ rung count totalCost costPerRung }}"
    ),
    "Workflow.ladderSeries": wf_case(
        f'ladderSeries({R}, bucket: "P1D", rung: $aRung, {SCOPE_A}) {{ count totalCost }}',
        cross="BAD_USER_INPUT",
    ),
    "Workflow.risingSlices": wf_case(
        f"risingSlices(rung: $aRung, {R}, dimension: CLIENT) {{ value currentCostPerRung }}",
        cross="BAD_USER_INPUT",
        control=False,
    ),
    "Workflow.failureCostShare": wf_case(
        f"failureCostShare({R}, {SCOPE_A}) {{ totalCost failedCost }}"
    ),
    "Workflow.runCostStats": wf_case(f"runCostStats({R}, {SCOPE_A}) {{ runs max p50 }}"),
    "Workflow.roiWindows": wf_case(
        "roiWindows(clientId: $aX) { clientId cost attributedRevenue }", control=False
    ),
    "Workflow.roiWindowsConnection": wf_case(
        "roiWindowsConnection(clientId: $aX) { edges { node { id clientId cost } } }",
        control=False,
    ),
    "Workflow.roi": wf_case(
        f"roi({R}, {SCOPE_A}) {{ cost attributedRevenue unattributedRevenue }}"
    ),
    "Workflow.gate": wf_case("gate { maxCostPerOutcome setBy }"),
    "Workflow.readiness": wf_case("readiness { workflowKey cost { threshold } }"),
    "Workflow.gateHistory": wf_case("gateHistory { version maxCostPerOutcome }"),
    "Workflow.gateEvaluations": wf_case(
        "gateEvaluations(first: 5) { status blockers }", control=False
    ),
    "Workflow.autonomyHistory": wf_case(
        "autonomyHistory(first: 5) { kind actor readiness { cost { threshold } } }"
    ),
    "Workflow.gateEvaluationsConnection": wf_case(
        "gateEvaluationsConnection(first: 5) { edges { node { status blockers } } }",
        control=False,
    ),
    "Workflow.autonomyHistoryConnection": wf_case(
        "autonomyHistoryConnection(first: 5) "
        "{ edges { node { kind actor readiness { cost { threshold } } } } }"
    ),
    "Workflow.caching": wf_case(
        f"key caching({R}, {SCOPE_A}) {{ cacheReadTokens inputTokens savings totalCost }}"
    ),
    "Workflow.costByVariant": wf_case(
        f"key costByVariant({R}, {SCOPE_A}) {{ value attempts totalCost costPerOutcome }}"
    ),
    "Workflow.costByModel": wf_case(
        f"key costByModel({R}, {SCOPE_A}) {{ value attempts totalCost costPerOutcome }}"
    ),
    "Workflow.effortTiers": wf_case(
        f"key effortTiers({R}, {SCOPE_A}) {{ baseline tiers {{ tier attempts totalCost }} }}"
    ),
    "Workflow.failureReasons": wf_case(
        f"key failureReasons({R}, {SCOPE_A}) {{ totalCost failedCost reasons {{ code cost }} }}"
    ),
    # --- Client --------------------------------------------------------------------------------
    "Client.costPerOutcome": client_case(
        f"name costPerOutcome(workflowKey: $aKey, {R}) {{ attempts totalCost }}",
        cross="NOT_FOUND",
    ),
    "Client.ladderCosts": client_case(
        f"name ladderCosts(workflowKey: $aKey, {R}) {{ rung count totalCost }}",
        cross="NOT_FOUND",
    ),
    "Client.roi": client_case(
        f"name roi({R}) {{ cost attributedRevenue unattributedRevenue }} "
        f"keyed: roi({R}, workflowKey: $aKey) {{ cost }}",
        cross="NOT_FOUND",
    ),
    "Client.workflows": client_case("name workflows { key name ladder { key name } }"),
    "Client.ladderSeries": client_case(
        f'name ladderSeries(workflowKey: $aKey, {R}, bucket: "P1D", rung: $aRung) '
        "{ start count totalCost costPerRung }",
        cross="NOT_FOUND",
    ),
    # --- Run -----------------------------------------------------------------------------------
    "Run.cost": Case(RUN % "cost"),
    "Run.dimensions": Case(RUN % "dimensions { key value }"),
    "Run.usage": Case(RUN % "usage { eventId model step cost }"),
    "Run.usageConnection": Case(
        RUN % "usageConnection(first: 5) { totalCount edges { node { eventId model cost } } }"
    ),
}

# Mutations: B (a fresh tenant per case) names A's keys, ids and correlation ids.
INGEST = "{ accepted duplicates errors { field message } }"
MUTATIONS: dict[str, Case] = {
    "Mutation.createClient": Case('{ createClient(input: {name: "isolation-probe"}) { id name } }'),
    "Mutation.upsertWorkflow": Case(
        '{ upsertWorkflow(input: {key: $aKey, name: "probe"}) { id key name ladder { key } } }'
    ),
    "Mutation.setModelPrice": Case(
        '{ setModelPrice(input: {provider: "p", model: "m", effectiveFrom: $at, '
        'inputPerMillion: "1", outputPerMillion: "2"}) { modelPrice { id } } }'
    ),
    "Mutation.startRuns": Case(
        "{ startRuns(runs: [{correlationId: $aCorr, workflowKey: $aKey, clientId: $aX, "
        "startedAt: $at}]) " + INGEST + " }"
    ),
    "Mutation.ingestUsage": Case(
        '{ ingestUsage(events: [{eventId: "probe-1", correlationId: $aCorr, workflowKey: $aKey, '
        'clientId: $aX, kind: TOOL, occurredAt: $at, cost: "1"}]) ' + INGEST + " }"
    ),
    "Mutation.labelRuns": Case(
        "{ labelRuns(labels: [{correlationId: $aCorr, status: REJECTED, at: $at}]) " + INGEST + " }"
    ),
    "Mutation.recordOutcomes": Case(
        "{ recordOutcomes(outcomes: [{workflowKey: $aKey, rung: $aRung, correlationId: $aCorr, "
        'occurredAt: $at, eventId: "probe-o"}]) ' + INGEST + " }"
    ),
    "Mutation.recordRevenue": Case(
        '{ recordRevenue(events: [{eventId: "probe-r", clientId: $aX, amount: "5", '
        "occurredAt: $at, workflowKey: $aKey, correlationId: $aCorr}]) " + INGEST + " }"
    ),
    "Mutation.recordInvoice": Case(
        '{ recordInvoice(input: {provider: "p", month: "2026-01", amount: "1"}) '
        "{ invoice { id invoiced } } }"
    ),
    "Mutation.setCostCeiling": Case(
        "{ setCostCeiling(input: {workflowKey: $aKey, rung: $aRung, dimension: CLIENT, "
        'value: $aXs, ceiling: "1"}) { ceiling { id ceiling } } }',
        cross="NOT_FOUND",  # the unknown workflowKey, as for every field taking one
    ),
    "Mutation.setAutonomyGate": Case(
        "{ setAutonomyGate(input: {workflowKey: $aKey, targetLevel: 1, "
        'minAcceptanceRate: 0.5, minSampleSize: 1, maxCostPerOutcome: "100"}) { version } }',
        cross="NOT_FOUND",
    ),
    "Mutation.promoteAutonomy": Case(
        "{ promoteAutonomy(workflowKey: $aKey, toLevel: 1) { promoted level } }",
        cross="NOT_FOUND",
    ),
    "Mutation.demoteAutonomy": Case(
        "{ demoteAutonomy(workflowKey: $aKey, toLevel: 0) { promoted level } }",
        cross="NOT_FOUND",
    ),
    "Mutation.setBaseline": Case(
        '{ setBaseline(input: {workflowKey: $aKey, clientId: $aX, revenuePerSuccess: "1"}) '
        "{ baseline { id revenuePerSuccess } } }",
        cross="NOT_FOUND",  # the unknown workflowKey, as for every field taking one
    ),
    "Mutation.declareFailureReason": Case(
        '{ declareFailureReason(code: $aXs, label: "probe") { code label } }'
    ),
    "Mutation.removeFailureReason": Case("{ removeFailureReason(code: $aXs) }"),
    "Mutation.declareRunDimension": Case(
        '{ declareRunDimension(input: {key: $aDim, description: "probe"}) { key description } }'
    ),
    "Mutation.retireRunDimension": Case(
        "{ retireRunDimension(key: $aDim) { key retired } }", cross="BAD_USER_INPUT"
    ),
    "Mutation.setFindingThreshold": Case(
        '{ setFindingThreshold(name: "unplaced_min_share", value: "0.5") { name value } }'
    ),
}

MUTATIONS.update(
    {
        "Mutation.setIdentityProvider": Case(
            '{ setIdentityProvider(input: {issuer: "https://idp.example", clientId: "c", '
            'clientSecret: "s", allowedDomains: ["agency.example"], roleMap: []}) { issuer } }'
        ),
        "Mutation.removeIdentityProvider": Case("{ removeIdentityProvider }"),
        "Mutation.inviteClientViewer": Case(
            '{ inviteClientViewer(input: {clientId: $aX, email: "p@probe.example"}) '
            "{ link invitation { id } } }",
            cross="BAD_USER_INPUT",  # A's client is not B's
        ),
        "Mutation.revokeInvitation": Case("{ revokeInvitation(id: $aX) { id } }"),
        "Mutation.removePerson": Case("{ removePerson(id: $aX) { id } }", cross="NOT_FOUND"),
        "Mutation.signOutEverywhere": Case(
            "{ signOutEverywhere }", cross="BAD_USER_INPUT", viewer="BAD_USER_INPUT"
        ),
    }
)

MUTATIONS = {name: replace(case, kind="mutation") for name, case in MUTATIONS.items()}

SNAPSHOT = """
query($aKey: String!, $range: TimeRange!) {
  workflows { id key name autonomyLevel ladder { key } gateHistory { version }
              autonomyHistory { kind } }
  clients { id name }
  runs(first: 50) { edges { node { correlationId status cost clientId usage { eventId } } } }
  costBreakdown(range: $range, groupBy: [CLIENT, STEP]) { key cost events }
  costCeilingStatus(workflowKey: $aKey) { value ceiling }
  reconciliation { provider month invoiced }
  w: workflow(key: $aKey) { roi(range: $range) { attributedRevenue unattributedRevenue } }
}
"""


def figure_fields() -> set[str]:
    """Every Query and Mutation field, and every Workflow/Client/Run field that takes arguments
    or exposes figures (an object, a list of objects, or a Decimal) — from the served schema."""
    from app.settings import Settings

    schema = build_schema(Settings())._schema
    names = {f"Query.{name}" for name in schema.query_type.fields}
    assert schema.mutation_type is not None
    names |= {f"Mutation.{name}" for name in schema.mutation_type.fields}
    for type_name in ("Workflow", "Client", "Run"):
        for name, field in schema.type_map[type_name].fields.items():  # type: ignore[union-attr]
            named = field.type
            while hasattr(named, "of_type"):
                named = named.of_type
            if field.args or hasattr(named, "fields") or named.name == "Decimal":
                names.add(f"{type_name}.{name}")
    return names


def test_every_field_has_an_isolation_case() -> None:
    served = figure_fields()
    registered = set(CASES) | set(MUTATIONS)
    missing = sorted(served - registered)
    stale = sorted(registered - served)
    assert not missing, f"fields without an isolation case in {__name__}: {missing}"
    assert not stale, f"isolation cases for fields no longer served: {stale}"


def outcome(body: dict[str, Any]) -> str:
    """ "data" or the sorted, distinct error codes; every error must carry an allowed code."""
    errors = body.get("errors") or []
    codes = sorted({(e.get("extensions") or {}).get("code", "NO_CODE") for e in errors})
    assert set(codes) <= ALLOWED_CODES, body
    return ",".join(codes) if codes else "data"


def leaked(body: dict[str, Any], markers: dict[str, str], request: str) -> dict[str, str]:
    """Markers present in the response that the request did not carry itself."""
    text = json.dumps(body)
    return {m: what for m, what in markers.items() if m in text and m not in request}


def variables(a: Seeded, b: Seeded) -> dict[str, Any]:
    return {
        "aKey": a.workflow_key,
        "bKey": b.workflow_key,
        "aX": a.client_x,
        "aY": a.client_y,
        "aXs": a.client_x,
        "bX": b.client_x,
        "aCorr": a.correlation_x,
        "aRung": a.rung,
        "range": a.range,
        "at": a.range["from"],
        "aYNode": global_ids.encode("Client", a.client_y),
        "aRunNode": global_ids.encode("Run", a.correlation_x),
        "aDim": a.dimension,
    }


def used(query: str, values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if f"${name}" in query}


@pytest.fixture
async def two_tenants(make_tenant) -> tuple[Any, Seeded, Any, Seeded]:
    a_handle, b_handle = await make_tenant(), await make_tenant()
    a = await seed_tenant(a_handle, "tnta", salt=3)
    b = await seed_tenant(b_handle, "tntb", salt=5)
    return a_handle, a, b_handle, b


async def as_viewer_of_x(
    a_handle: Any, a: Seeded, name: str, case: Case, v: dict[str, Any], problems: list[str]
) -> Any:
    """A's client viewer of X sends the case; a problem unless its outcome is `case.viewer`."""
    viewer = await a_handle.gql(case.query, v, role=Role.CLIENT_VIEWER, client_id=a.client_x_uuid)
    if outcome(viewer) != case.viewer:
        problems.append(f"{name}: client viewer got {outcome(viewer)}, not {case.viewer}")
    return viewer


async def test_no_read_field_leaks_across_tenants_or_clients(two_tenants) -> None:
    a_handle, a, b_handle, b = two_tenants
    values = variables(a, b)
    snapshot_vars = {"aKey": a.workflow_key, "range": a.range}
    before = await a_handle.gql(SNAPSHOT, snapshot_vars)
    assert "errors" not in before, before
    problems: list[str] = []
    for name, case in CASES.items():
        v = used(case.query, values)
        request = case.query + json.dumps(v)
        if case.control:
            mine = await a_handle.gql(case.query, v)
            if not leaked(mine, a.markers, request):
                problems.append(f"{name}: control shows none of A's values: {mine}")
        crossed = await b_handle.gql(case.query, v)
        if outcome(crossed) != case.cross:
            problems.append(f"{name}: tenant B got {outcome(crossed)}, not {case.cross}")
        if found := leaked(crossed, a.markers, request):
            problems.append(f"{name}: tenant B sees A's {found}: {crossed}")
        viewer = await as_viewer_of_x(a_handle, a, name, case, v, problems)
        if found := leaked(viewer, a.y_markers, request):
            problems.append(f"{name}: client viewer of X sees client Y's {found}")
    assert problems == [], "\n".join(problems)
    assert await a_handle.gql(SNAPSHOT, snapshot_vars) == before


async def test_no_mutation_reaches_another_tenant_or_a_client_viewer(
    two_tenants, make_tenant
) -> None:
    a_handle, a, _, b = two_tenants
    values = variables(a, b)
    snapshot_vars = {"aKey": a.workflow_key, "range": a.range}
    before = await a_handle.gql(SNAPSHOT, snapshot_vars)
    problems: list[str] = []
    for name, case in MUTATIONS.items():
        v = used(case.query, values)
        request = case.query + json.dumps(v)
        other = await make_tenant()  # fresh: A's keys are unknown there
        crossed = await other.gql(case.query, v)
        if outcome(crossed) != case.cross:
            problems.append(f"{name}: another tenant got {outcome(crossed)}, not {case.cross}")
        if name in {f"Mutation.{m}" for m in INGEST_MUTATIONS}:
            [result] = crossed["data"].values()
            if result["accepted"] != 0 or not result["errors"]:
                problems.append(f"{name}: naming A's ids was not refused as data: {crossed}")
        if found := leaked(crossed, a.markers, request):
            problems.append(f"{name}: another tenant sees A's {found}: {crossed}")
        await as_viewer_of_x(a_handle, a, name, case, v, problems)
    assert problems == [], "\n".join(problems)
    assert await a_handle.gql(SNAPSHOT, snapshot_vars) == before


# Ingest mutations answer errors as data; naming A's workflow, client or run must be one.
INGEST_MUTATIONS = ("startRuns", "ingestUsage", "labelRuns", "recordOutcomes", "recordRevenue")
