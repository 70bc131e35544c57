"""A tenant's own run dimensions over HTTP with real tokens: declare, list, retire; runs carry
them through all three ingest doors (GraphQL startRuns, /v1/events, OTLP attributes); every
refusal has its stable code and names the key and the fix."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.auth.principal import Role
from app.services.tenancy.tenants import create_api_key
from tests.integration.otlp_support import new_id, otlp_tenant, serve

DECLARE = """
mutation($input: DeclareRunDimensionInput!) {
  declareRunDimension(input: $input) { key description allowedValues retired retiredAt }
}
"""
RETIRE = "mutation($key: String!) { retireRunDimension(key: $key) { key retired retiredAt } }"
LIST = "{ runDimensions { key description allowedValues retired } }"
START_RUNS = """
mutation($runs: [RunInput!]!) {
  startRuns(runs: $runs) { accepted duplicates errors { index field message code } }
}
"""
RUN = "query($id: String!) { run(correlationId: $id) { dimensions { key value } } }"
SEGMENTS = ["enterprise", "mid-market", "smb"]


async def declare(tenant: Any, key: str, allowed: list[str] | None, **extra: Any) -> dict:
    variables = {"input": {"key": key, "description": f"The {key}.", "allowedValues": allowed}}
    return await tenant.gql(DECLARE, variables, **extra)


async def dimension_tenant(make_tenant: Any) -> Any:
    tenant = await make_tenant()
    body = await tenant.gql(
        'mutation { upsertWorkflow(input: {key: "outreach", name: "Outreach"}) { key } }'
    )
    assert "errors" not in body, body
    assert "errors" not in await declare(tenant, "segment", SEGMENTS)
    assert "errors" not in await declare(tenant, "region", None)
    return tenant


def run_input(correlation_id: str, dimensions: list[dict[str, str]] | None) -> dict:
    return {
        "correlationId": correlation_id,
        "workflowKey": "outreach",
        "startedAt": "2026-03-02T10:00:00Z",
        "dimensions": dimensions,
    }


async def dimensions_of(tenant: Any, correlation_id: str) -> dict[str, str] | None:
    body = await tenant.gql(RUN, {"id": correlation_id})
    assert "errors" not in body, body
    run = body["data"]["run"]
    return None if run is None else {d["key"]: d["value"] for d in run["dimensions"]}


# -- declaration ---------------------------------------------------------------------------------


async def test_declare_list_redeclare_and_retire(make_tenant) -> None:
    tenant = await make_tenant()
    made = await declare(tenant, "segment", [" smb ", "enterprise", "smb", ""])
    assert made["data"]["declareRunDimension"] == {
        "key": "segment",
        "description": "The segment.",
        "allowedValues": ["smb", "enterprise"],  # trimmed, blanks and repeats dropped
        "retired": False,
        "retiredAt": None,
    }
    await declare(tenant, "region", None)
    listed = (await tenant.gql(LIST))["data"]["runDimensions"]
    assert [(d["key"], d["allowedValues"]) for d in listed] == [
        ("region", None),
        ("segment", ["smb", "enterprise"]),
    ]

    retired = (await tenant.gql(RETIRE, {"key": "region"}))["data"]["retireRunDimension"]
    assert retired["retired"] is True and retired["retiredAt"] is not None
    again = (await tenant.gql(RETIRE, {"key": "region"}))["data"]["retireRunDimension"]
    assert again["retiredAt"] == retired["retiredAt"]  # retiring twice keeps the first time
    back = (await declare(tenant, "region", ["eu", "us"]))["data"]["declareRunDimension"]
    assert (back["retired"], back["allowedValues"]) == (False, ["eu", "us"])


@pytest.mark.parametrize(
    ("key", "allowed", "field"),
    [
        ("Segment", None, "key"),
        ("1segment", None, "key"),
        ("deal-size", None, "key"),
        ("segment", [], "allowedValues"),
        ("segment", ["  "], "allowedValues"),
        ("segment", ["x" * 201], "allowedValues"),
    ],
)
async def test_declaration_refusals_name_the_field(make_tenant, key, allowed, field) -> None:
    tenant = await make_tenant()
    body = await declare(tenant, key, allowed)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    assert (await tenant.gql(LIST))["data"]["runDimensions"] == []


async def test_retiring_an_undeclared_key_is_an_error(make_tenant) -> None:
    tenant = await make_tenant()
    [error] = (await tenant.gql(RETIRE, {"key": "segment"}))["errors"]
    assert error["extensions"]["field"] == "key"
    assert "no run dimension 'segment'" in error["message"]


async def test_only_configuring_roles_declare_or_retire(make_tenant) -> None:
    tenant = await make_tenant()
    for role in (Role.ANALYST,):
        body = await declare(tenant, "segment", None, role=role)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await tenant.gql(LIST))["data"]["runDimensions"] == []
    await declare(tenant, "segment", None)
    body = await tenant.gql(RETIRE, {"key": "segment"}, role=Role.ANALYST)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # readers list them
    listed = await tenant.gql(LIST, role=Role.ANALYST)
    assert [d["key"] for d in listed["data"]["runDimensions"]] == ["segment"]


# -- GraphQL ingest ------------------------------------------------------------------------------


async def test_start_runs_stores_declared_dimensions(make_tenant) -> None:
    tenant = await dimension_tenant(make_tenant)
    body = await tenant.gql(
        START_RUNS,
        {
            "runs": [
                run_input(
                    "r1", [{"key": "segment", "value": "smb"}, {"key": "region", "value": "EU"}]
                ),
                run_input("r2", None),
            ]
        },
    )
    assert body["data"]["startRuns"] == {"accepted": 2, "duplicates": 0, "errors": []}
    assert await dimensions_of(tenant, "r1") == {"region": "EU", "segment": "smb"}
    assert await dimensions_of(tenant, "r2") == {}


async def test_start_runs_refusals_carry_codes(make_tenant) -> None:
    tenant = await dimension_tenant(make_tenant)
    await declare(tenant, "band", None)
    await tenant.gql(RETIRE, {"key": "band"})
    body = await tenant.gql(
        START_RUNS,
        {
            "runs": [
                run_input("ok", [{"key": "segment", "value": "smb"}]),
                run_input("undeclared", [{"key": "tier", "value": "gold"}]),
                run_input("outside", [{"key": "segment", "value": "startup"}]),
                run_input("retired", [{"key": "band", "value": "10k"}]),
                run_input(
                    "twice", [{"key": "region", "value": "a"}, {"key": "region", "value": "b"}]
                ),
            ]
        },
    )
    result = body["data"]["startRuns"]
    assert (result["accepted"], result["duplicates"]) == (0, 0)  # all or nothing
    errors = {e["index"]: e for e in result["errors"]}
    assert sorted(errors) == [1, 2, 3, 4]
    assert (errors[1]["field"], errors[1]["code"]) == ("dimensions.tier", "UNDECLARED_DIMENSION")
    assert "declareRunDimension" in errors[1]["message"] and "'tier'" in errors[1]["message"]
    assert (errors[2]["field"], errors[2]["code"]) == (
        "dimensions.segment",
        "DIMENSION_VALUE_NOT_ALLOWED",
    )
    assert "'enterprise', 'mid-market', 'smb'" in errors[2]["message"]
    assert (errors[3]["field"], errors[3]["code"]) == ("dimensions.band", "RETIRED_DIMENSION")
    assert (errors[4]["field"], errors[4]["code"]) == ("dimensions", None)
    assert "given twice" in errors[4]["message"]
    assert await dimensions_of(tenant, "ok") is None


async def test_retired_values_stay_readable(make_tenant) -> None:
    tenant = await dimension_tenant(make_tenant)
    body = await tenant.gql(
        START_RUNS, {"runs": [run_input("r1", [{"key": "region", "value": "EU"}])]}
    )
    assert body["data"]["startRuns"]["accepted"] == 1
    await tenant.gql(RETIRE, {"key": "region"})
    assert await dimensions_of(tenant, "r1") == {"region": "EU"}


# -- /v1/events ----------------------------------------------------------------------------------


async def post_events(http: httpx.AsyncClient, key: str, records: list[dict]) -> httpx.Response:
    return await http.post(
        "/v1/events",
        content=json.dumps(records),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )


def event_run(correlation_id: str, dimensions: Any) -> dict:
    record = {
        "type": "run",
        "correlationId": correlation_id,
        "workflowKey": "outreach",
        "startedAt": "2026-03-02T10:00:00Z",
    }
    if dimensions is not None:
        record["dimensions"] = dimensions
    return record


async def test_events_store_dimensions_and_refuse_with_codes(http, make_tenant, sessions) -> None:
    tenant = await dimension_tenant(make_tenant)
    key = await create_api_key(
        sessions=sessions, tenant_id=tenant.tenant_id, name="ci", scopes=["ingest"]
    )
    usage = {
        "type": "usage",
        "eventId": "e1",
        "correlationId": "ev-1",
        "workflowKey": "outreach",
        "kind": "TOOL",
        "occurredAt": "2026-03-02T10:01:00Z",
        "cost": "0.25",
    }
    bad = await post_events(
        http,
        key.key,
        [
            event_run("ev-1", {"segment": "smb"}),
            usage,
            event_run("ev-2", {"segmnt": "smb"}),
            event_run("ev-3", {"segment": "huge"}),
            event_run("ev-4", ["smb"]),
            event_run("ev-5", {"segment": 3}),
        ],
    )
    assert bad.status_code == 422, bad.text
    errors = bad.json()["errors"]
    assert [(e["index"], e["field"], e.get("code")) for e in errors] == [
        (2, "dimensions.segmnt", "UNDECLARED_DIMENSION"),
        (3, "dimensions.segment", "DIMENSION_VALUE_NOT_ALLOWED"),
        (4, "dimensions", None),
        (5, "dimensions", None),
    ]
    assert await dimensions_of(tenant, "ev-1") is None  # nothing written

    good = await post_events(http, key.key, [event_run("ev-1", {"segment": "smb"}), usage])
    assert good.json() == {"accepted": 2, "duplicates": 0, "errors": []}
    assert await dimensions_of(tenant, "ev-1") == {"segment": "smb"}


# -- OTLP ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
async def live(app) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client


def attr(key: str, value: Any) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def otlp_body(spans: list[tuple[str, str, list[dict]]], resource: list[dict]) -> bytes:
    """One resource with `spans`: (correlation id, span id, extra attributes) each, a tool
    call of 0.10 USD starting at 2026-03-01T10:00:00Z."""
    out = []
    for i, (correlation_id, span_id, extra) in enumerate(spans):
        start = 1_772_359_200_000_000_000 + i * 10**9
        out.append(
            {
                "traceId": "5b8efff798038103d269b633813fc60c",
                "spanId": span_id,
                "name": "tool",
                "startTimeUnixNano": str(start),
                "endTimeUnixNano": str(start + 10**8),
                "attributes": [
                    attr("ledger.correlation_id", correlation_id),
                    attr("gen_ai.operation.name", "execute_tool"),
                    attr("gen_ai.usage.cost.amount", "0.10"),
                    *extra,
                ],
            }
        )
    body = {
        "resourceSpans": [{"resource": {"attributes": resource}, "scopeSpans": [{"spans": out}]}]
    }
    return json.dumps(body).encode()


async def test_otlp_attributes_set_dimensions_and_report_refusals(
    make_tenant, sessions, live
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    tenant = t.handle
    assert "errors" not in await declare(tenant, "segment", SEGMENTS)
    assert "errors" not in await declare(tenant, "region", None)
    good, undeclared = f"good-{new_id()}", f"bad-{new_id()}"
    body = otlp_body(
        [
            (good, "00000000000000a1", [attr("ledger.dimension.segment", "smb")]),
            # a later span of the same run: the earliest value wins
            (good, "00000000000000a2", [attr("ledger.dimension.segment", "enterprise")]),
            (undeclared, "00000000000000a3", [attr("ledger.dimension.tier", "gold")]),
        ],
        resource=[attr("ledger.workflow", "support"), attr("ledger.dimension.region", "EU")],
    )
    response = await live.post(
        "/v1/traces",
        content=body,
        headers={"Authorization": f"Bearer {t.ingest_key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    message = response.json()["partialSuccess"]["errorMessage"]
    assert "ledger.dimension.tier: UNDECLARED_DIMENSION" in message
    assert undeclared in message
    assert await dimensions_of(tenant, good) == {"region": "EU", "segment": "smb"}
    # the refused run is not stored; its span's cost is kept as a workflow-level cost
    assert await dimensions_of(tenant, undeclared) is None
