"""Bad input and faults answer a clear coded error through HTTP, and store nothing: unpaired
surrogates in variables, oversized ladders, ladder series at the end of the calendar, autonomy
levels out of range, tokens for unknown tenants, PostgreSQL away. Client errors are logged at
INFO without a traceback."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.auth.principal import Role
from app.auth.tokens import issue_token
from app.db.urls import application_url
from app.main import create_app
from app.settings import Settings
from tests.integration.db_proxy import DatabaseRelay

GR_JSON = "application/graphql-response+json"
UPSERT = "mutation($input: WorkflowInput!) { upsertWorkflow(input: $input) { key } }"
WORKFLOW = "query($key: String!) { workflow(key: $key) { key ladder { key } } }"
CLIENTS = "{ clients { name } }"


async def post_raw(http: httpx.AsyncClient, tenant: Any, body: bytes) -> httpx.Response:
    """POST a body as given: `\\ud800` stays the JSON escape of an unpaired surrogate."""
    return await http.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {tenant.token()}",
            "Content-Type": "application/json",
            "Accept": GR_JSON,
        },
    )


# -- unpaired surrogates ------------------------------------------------------------------------

SURROGATE_CASES = [
    (
        "mutation($name: String!) { createClient(input: {name: $name}) { id } }",
        '{"name": "Acme \\ud800"}',
        "name",
    ),
    (
        "mutation($input: ClientInput!) { createClient(input: $input) { id } }",
        '{"input": {"name": "\\udfff"}}',
        "input.name",
    ),
    (
        "mutation($input: WorkflowInput!) { upsertWorkflow(input: $input) { key } }",
        '{"input": {"key": "w", "name": "W", "ladder": [{"key": "a", "name": "\\ud83d"}]}}',
        "input.ladder.0.name",
    ),
    (
        "mutation($input: ModelPriceInput!) "
        "{ setModelPrice(input: $input) { modelPrice { model } } }",
        '{"input": {"provider": "openai", "model": "gpt\\ud800", "effectiveFrom": '
        '"2026-01-01T00:00:00Z", "inputPerMillion": "1", "outputPerMillion": "2"}}',
        "input.model",
    ),
    (
        "mutation($input: InvoiceInput!) { recordInvoice(input: $input) { invoice { provider } } }",
        '{"input": {"provider": "\\ud800", "month": "2026-03", "amount": "10"}}',
        "input.provider",
    ),
    ("query($id: String!) { run(correlationId: $id) { id } }", '{"id": "\\ud800"}', "id"),
    ("query($key: String!) { workflow(key: $key) { key } }", '{"key": "\\udbff"}', "key"),
]


@pytest.mark.parametrize(("query", "variables", "field"), SURROGATE_CASES)
async def test_an_unpaired_surrogate_in_any_string_variable_is_bad_user_input(
    make_tenant, http, query: str, variables: str, field: str
) -> None:
    tenant = await make_tenant()
    body = b'{"query": ' + json.dumps(query).encode() + b', "variables": ' + variables.encode()
    response = await post_raw(http, tenant, body + b"}")
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert "surrogate" in error["message"] and field in error["message"]
    assert (await tenant.gql(CLIENTS))["data"]["clients"] == []


async def test_an_unpaired_surrogate_in_a_string_literal_is_a_parse_error(
    make_tenant, http
) -> None:
    tenant = await make_tenant()
    query = 'mutation { createClient(input: {name: "\\ud800"}) { id } }'
    response = await post_raw(http, tenant, json.dumps({"query": query}).encode())
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert "Invalid Unicode escape sequence" in error["message"]
    assert (await tenant.gql(CLIENTS))["data"]["clients"] == []


# -- ladder size, series range, autonomy level --------------------------------------------------


@pytest.mark.parametrize("rungs", [51, 10_000])
async def test_a_ladder_over_50_rungs_is_refused_naming_the_ladder(make_tenant, rungs) -> None:
    tenant = await make_tenant()
    ladder = [{"key": f"r{i}", "name": f"Rung {i}"} for i in range(rungs)]
    body = await tenant.gql(UPSERT, {"input": {"key": "big", "name": "Big", "ladder": ladder}})
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "ladder"}
    assert f"has {rungs} rungs" in error["message"] and "at most 50" in error["message"]
    assert (await tenant.gql(WORKFLOW, {"key": "big"}))["data"]["workflow"] is None


async def test_a_ladder_of_50_rungs_is_accepted(make_tenant) -> None:
    tenant = await make_tenant()
    ladder = [{"key": f"r{i}", "name": f"Rung {i}"} for i in range(50)]
    await tenant.data(UPSERT, {"input": {"key": "tall", "name": "Tall", "ladder": ladder}})
    stored = (await tenant.gql(WORKFLOW, {"key": "tall"}))["data"]["workflow"]["ladder"]
    assert [r["key"] for r in stored] == [f"r{i}" for i in range(50)]


SERIES = """
query($range: TimeRange!) {
  workflow(key: "late") { ladderSeries(range: $range, bucket: "P7D", rung: "accepted") {
    start end count } }
}
"""


async def test_a_ladder_series_in_the_year_9999_answers(make_tenant) -> None:
    tenant = await make_tenant()
    await tenant.gql(UPSERT, {"input": {"key": "late", "name": "Late"}})
    range_ = {"from": "9999-12-20T00:00:00Z", "to": "9999-12-31T00:00:00Z"}
    body = await tenant.gql(SERIES, {"range": range_})
    assert "errors" not in body, body
    assert body["data"]["workflow"]["ladderSeries"] == [
        {"start": "9999-12-20T00:00:00+00:00", "end": "9999-12-27T00:00:00+00:00", "count": 0},
        {"start": "9999-12-27T00:00:00+00:00", "end": "9999-12-31T00:00:00+00:00", "count": 0},
    ]


SET_GATE = """
mutation($level: Int!) {
  setAutonomyGate(input: {workflowKey: "gated", targetLevel: $level, minAcceptanceRate: 0.8,
                          minSampleSize: 10, maxCostPerOutcome: "5"}) { targetLevel }
}
"""


async def stored_gate_levels(sessions: Any, tenant_id: uuid.UUID) -> list[int]:
    async with sessions(tenant_id) as session:
        rows = await session.execute(text("SELECT target_level FROM autonomy_gates"))
        return sorted(level for (level,) in rows)


@pytest.mark.parametrize("level", [2_147_483_647, 4, 0, -1])
async def test_an_autonomy_level_outside_1_to_3_is_refused(
    make_tenant, sessions, level: int
) -> None:
    tenant = await make_tenant()
    await tenant.gql(UPSERT, {"input": {"key": "gated", "name": "Gated"}})
    body = await tenant.gql(SET_GATE, {"level": level})
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "targetLevel"}
    assert "from 1 to 3" in error["message"]
    assert await stored_gate_levels(sessions, tenant.tenant_id) == []
    accepted = await tenant.gql(SET_GATE, {"level": 3})
    assert accepted["data"]["setAutonomyGate"] == {"targetLevel": 3}
    assert await stored_gate_levels(sessions, tenant.tenant_id) == [3]


# -- unknown tenant -----------------------------------------------------------------------------


async def test_a_signed_token_for_an_unknown_tenant_is_unauthenticated(
    http, migrated: Settings
) -> None:
    token = issue_token(migrated, tenant_id=uuid.uuid4(), role=Role.OWNER)
    for query in ("{ viewer { tenantId } }", CLIENTS):
        response = await http.post(
            "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401, response.text
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": "UNKNOWN_TENANT"}
        assert "does not exist" in error["message"]
    write = await http.post(
        "/graphql",
        json={"query": 'mutation { createClient(input: {name: "x"}) { id } }'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert write.status_code == 401


async def test_an_expired_token_says_so(make_tenant, http) -> None:
    tenant = await make_tenant()
    token = tenant.token(ttl_seconds=-3600)
    response = await http.post(
        "/graphql", json={"query": CLIENTS}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["reason"] == "TOKEN_EXPIRED"


# -- logging ------------------------------------------------------------------------------------


async def test_client_errors_are_logged_at_info_without_a_traceback(
    make_tenant, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await make_tenant()
    caplog.set_level(logging.INFO)
    await tenant.gql(UPSERT, {"input": {"key": "bad key", "name": "x"}})
    await tenant.gql("{ viewer { nope } }")
    graphql_records = [
        r for r in caplog.records if r.name.startswith(("ledger.graphql", "strawberry"))
    ]
    assert graphql_records, "the errors were not logged"
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in graphql_records), [
        (r.name, r.levelname, r.getMessage()) for r in graphql_records
    ]
    assert any("BAD_USER_INPUT" in r.getMessage() for r in graphql_records)
    assert any("GRAPHQL_VALIDATION_FAILED" in r.getMessage() for r in graphql_records)


# -- PostgreSQL away ----------------------------------------------------------------------------


async def test_while_postgres_is_away_graphql_answers_database_unavailable(
    make_tenant, migrated: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    relay = DatabaseRelay(application_url(migrated))
    await relay.start()
    settings = migrated.model_copy(
        update={"app_database_url": relay.url_for(application_url(migrated))}
    )
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {tenant.token()}"}
    try:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://down") as client:
                up = await client.post("/graphql", json={"query": CLIENTS}, headers=headers)
                assert up.json() == {"data": {"clients": []}}, up.text

                await relay.cut()
                caplog.set_level(logging.INFO)
                for accept, status in ((GR_JSON, 503), ("application/json", 200)):
                    down = await client.post(
                        "/graphql",
                        json={"query": CLIENTS},
                        headers={**headers, "Accept": accept},
                    )
                    assert down.status_code == status, down.text
                    assert down.headers["retry-after"] == "5"
                    (error,) = down.json()["errors"]
                    assert error["extensions"] == {
                        "code": "DATABASE_UNAVAILABLE",
                        "retryAfter": 5,
                    }, error
                    assert error["path"] == ["clients"]

                write = await client.post(
                    "/graphql",
                    json={"query": 'mutation { createClient(input: {name: "lost"}) { id } }'},
                    headers={**headers, "Accept": GR_JSON},
                )
                assert write.status_code == 503
                assert write.json()["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"

                # a tenant not yet known cannot be checked: 503 before any resolver runs
                cold = await client.post(
                    "/graphql",
                    json={"query": CLIENTS},
                    headers={"Authorization": f"Bearer {other.token()}"},
                )
                assert cold.status_code == 503 and cold.headers["retry-after"] == "5"
                assert cold.json()["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
    finally:
        await relay.cut()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
    ]
    assert (await tenant.gql(CLIENTS))["data"]["clients"] == []
