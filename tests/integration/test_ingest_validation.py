"""Bad input gets a precise error naming the field, and changes nothing.

Each case sends one good run plus one bad record through `POST /v1/events`; the answer must be
422 with exactly the expected (index, field) errors, and the good run must not be stored.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from app.auth.principal import Role
from app.services.tenancy.tenants import create_api_key, create_client
from app.services.tenancy.workflows import upsert_workflow

INGEST_USAGE = """
mutation($events: [UsageEventInput!]!) {
  ingestUsage(events: $events) { accepted duplicates errors { index field message } }
}"""

GOOD_RUN = {
    "type": "run",
    "correlationId": "good",
    "workflowKey": "outreach",
    "startedAt": "2026-03-01T00:00:00Z",
}
RUN = GOOD_RUN | {"correlationId": "r2"}
TOOL = {
    "type": "usage",
    "eventId": "e1",
    "workflowKey": "outreach",
    "kind": "TOOL",
    "occurredAt": "2026-03-01T00:00:00Z",
    "cost": "0.01",
}
LLM = TOOL | {"kind": "LLM", "provider": "anthropic", "model": "claude-sonnet-4"}
LABEL = {"type": "label", "correlationId": "good", "status": "REJECTED", "at": "2026-03-02T00:00Z"}


async def stored_rows(sessions, tenant_id: uuid.UUID) -> int:
    async with sessions(tenant_id) as session:
        result = await session.execute(
            text(
                "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM usage_events)"
                " + (SELECT count(*) FROM run_labels)"
            )
        )
        return int(result.scalar_one())


@pytest.fixture
async def tenant_with_key(make_tenant, sessions):
    """A tenant with the `outreach` workflow and an ingest key (set up through the services)."""
    tenant = await make_tenant()
    async with sessions(tenant.tenant_id) as session:
        await upsert_workflow(
            session=session, tenant_id=tenant.tenant_id, key="outreach", name="Outreach"
        )
    key = await create_api_key(
        sessions=sessions, tenant_id=tenant.tenant_id, name="ci", scopes=["ingest"]
    )
    return tenant, key.key


CASES = [
    ("negative tokens", TOOL | {"inputTokens": -1}, ["inputTokens"]),
    ("tokens as a string", TOOL | {"outputTokens": "12"}, ["outputTokens"]),
    ("tokens as a fraction", TOOL | {"reasoningTokens": 1.5}, ["reasoningTokens"]),
    ("tokens as a boolean", TOOL | {"cacheReadTokens": True}, ["cacheReadTokens"]),
    ("tokens beyond bigint", TOOL | {"cacheWriteTokens": 2**63}, ["cacheWriteTokens"]),
    ("latency beyond int", TOOL | {"latencyMs": 2**31}, ["latencyMs"]),
    ("unknown workflow", TOOL | {"workflowKey": "nope"}, ["workflowKey"]),
    ("missing workflow", {k: v for k, v in TOOL.items() if k != "workflowKey"}, ["workflowKey"]),
    ("malformed date", TOOL | {"occurredAt": "March 1st"}, ["occurredAt"]),
    ("naive date", TOOL | {"occurredAt": "2026-03-01T10:00:00"}, ["occurredAt"]),
    ("date as a number", RUN | {"startedAt": 1772323200}, ["startedAt"]),
    ("unknown kind", TOOL | {"kind": "GPU"}, ["kind"]),
    ("lower-case kind", TOOL | {"kind": "tool"}, ["kind"]),
    ("tool without cost", TOOL | {"cost": None}, ["cost"]),
    (
        "infra without cost",
        {k: v for k, v in TOOL.items() if k != "cost"} | {"kind": "INFRA"},
        ["cost"],
    ),
    ("negative cost", TOOL | {"cost": "-0.01"}, ["cost"]),
    ("cost not a number", TOOL | {"cost": "ten"}, ["cost"]),
    ("cost NaN", TOOL | {"cost": "NaN"}, ["cost"]),
    ("cost a boolean", TOOL | {"cost": True}, ["cost"]),
    ("cost too large", TOOL | {"cost": "10000000000"}, ["cost"]),
    ("unpriced llm without provider", LLM | {"cost": None, "provider": None}, ["provider"]),
    ("event id empty", TOOL | {"eventId": " "}, ["eventId"]),
    ("event id too long", TOOL | {"eventId": "e" * 201}, ["eventId"]),
    ("campaign too long", RUN | {"campaign": "c" * 201}, ["campaign"]),
    ("string as a number", RUN | {"channel": 7}, ["channel"]),
    ("NUL in a string", RUN | {"team": "a\x00b"}, ["team"]),
    ("malformed client id", RUN | {"clientId": "acme"}, ["clientId"]),
    ("unknown client id", RUN | {"clientId": str(uuid.uuid4())}, ["clientId"]),
    ("unknown field", TOOL | {"input_tokens": 5}, ["input_tokens"]),
    ("unknown type", {"type": "invoice"}, ["type"]),
    ("label for an unknown run", LABEL | {"correlationId": "ghost"}, ["correlationId"]),
    ("label with unknown status", LABEL | {"status": "DONE"}, ["status"]),
    ("label without at", {k: v for k, v in LABEL.items() if k != "at"}, ["at"]),
    (
        "several problems",
        TOOL | {"inputTokens": -1, "occurredAt": "x", "kind": "GPU"},
        ["inputTokens", "occurredAt", "kind"],
    ),
]


@pytest.mark.parametrize(("record", "fields"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_a_bad_record_is_named_and_nothing_is_written(
    http, sessions, tenant_with_key, record: dict, fields: list[str]
) -> None:
    tenant, key = tenant_with_key
    response = await http.post(
        "/v1/events", json=[GOOD_RUN, record], headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert sorted((e["index"], e["field"]) for e in errors) == sorted((1, f) for f in fields)
    assert all(e["message"] for e in errors)
    assert await stored_rows(sessions, tenant.tenant_id) == 0


async def test_an_unknown_reference_is_named_in_its_message(http, tenant_with_key) -> None:
    """The workflow key, client id or correlation id that was not found, in the message."""
    _, key = tenant_with_key
    client = uuid.uuid4()
    response = await http.post(
        "/v1/events",
        json=[
            GOOD_RUN,
            TOOL | {"workflowKey": "nope"},
            RUN | {"clientId": str(client)},
            LABEL | {"correlationId": "ghost"},
        ],
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 422, response.text
    assert sorted((e["index"], e["field"], e["message"]) for e in response.json()["errors"]) == [
        (1, "workflowKey", "no workflow 'nope' in this tenant; create it with upsertWorkflow"),
        (2, "clientId", f"no client {client} in this tenant"),
        (3, "correlationId", "no run 'ghost' is stored or started in this batch"),
    ]


async def test_a_label_may_name_a_run_started_in_the_same_batch(
    http, sessions, tenant_with_key
) -> None:
    tenant, key = tenant_with_key
    response = await http.post(
        "/v1/events", json=[LABEL, GOOD_RUN], headers={"Authorization": f"Bearer {key}"}
    )
    assert response.json() == {"accepted": 2, "duplicates": 0, "errors": []}
    assert await stored_rows(sessions, tenant.tenant_id) == 2


async def test_a_known_client_is_accepted(http, sessions, tenant_with_key) -> None:
    tenant, key = tenant_with_key
    async with sessions(tenant.tenant_id) as session:
        client = await create_client(session=session, tenant_id=tenant.tenant_id, name="Acme")
    client_id = str(client.client_id)
    response = await http.post(
        "/v1/events",
        json=[GOOD_RUN | {"clientId": client_id}, TOOL | {"clientId": client_id}],
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.json()["accepted"] == 2


# -- the same rules through GraphQL ----------------------------------------------------------------


def graphql_event(**fields) -> dict:
    return {k: v for k, v in TOOL.items() if k != "type"} | fields


async def test_graphql_returns_semantic_problems_as_data(sessions, tenant_with_key) -> None:
    tenant, _ = tenant_with_key
    events = [
        graphql_event(eventId="ok"),
        graphql_event(eventId="naive", occurredAt="2026-03-01T10:00:00"),
        graphql_event(eventId="neg", inputTokens=-3, workflowKey="nope"),
    ]
    body = await tenant.gql(INGEST_USAGE, {"events": events})
    result = body["data"]["ingestUsage"]
    assert (result["accepted"], result["duplicates"]) == (0, 0)
    assert [(e["index"], e["field"]) for e in result["errors"]] == [
        (1, "occurredAt"),
        (2, "inputTokens"),
        (2, "workflowKey"),
    ]
    assert await stored_rows(sessions, tenant.tenant_id) == 0


async def test_graphql_rejects_a_bad_enum_before_running(tenant_with_key) -> None:
    tenant, _ = tenant_with_key
    body = await tenant.gql(INGEST_USAGE, {"events": [graphql_event(kind="GPU")]})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body.get("data") is None


async def test_graphql_refuses_an_oversize_batch(sessions, tenant_with_key, migrated) -> None:
    tenant, _ = tenant_with_key
    events = [graphql_event(eventId=f"e{i}") for i in range(migrated.max_batch_records + 1)]
    body = await tenant.gql(INGEST_USAGE, {"events": events})
    error = body["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "events"}
    assert await stored_rows(sessions, tenant.tenant_id) == 0


@pytest.mark.parametrize("role", [Role.ANALYST, Role.CLIENT_VIEWER])
async def test_graphql_ingest_is_forbidden_for_readers(tenant_with_key, role: Role) -> None:
    tenant, _ = tenant_with_key
    client_id = uuid.uuid4() if role is Role.CLIENT_VIEWER else None
    body = await tenant.gql(
        INGEST_USAGE, {"events": [graphql_event()]}, role=role, client_id=client_id
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
