"""Configuration mutations through HTTP: clients, workflows with ladders, the price book.

Also: who may configure (OWNER/ENGINEER only), and the contract mutations that land later.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app import global_ids
from app.auth.principal import Role
from tests.integration.tenant_rows import rows

CREATE_CLIENT = (
    "mutation($input: ClientInput!) { createClient(input: $input) { id clientId name } }"
)
UPSERT_WORKFLOW = """
mutation($input: WorkflowInput!) {
  upsertWorkflow(input: $input) {
    id key name division autonomyLevel acceptanceHoldHours
  }
}"""
SET_PRICE = """mutation($input: ModelPriceInput!) {
  setModelPrice(input: $input) { modelPrice { id provider model inputPerMillion } } }"""


def error_of(body: dict) -> dict:
    assert body.get("errors"), body
    return body["errors"][0]


# -- clients -------------------------------------------------------------------------------------


async def test_create_client_returns_and_stores_the_client(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    body = await tenant.gql(CREATE_CLIENT, {"input": {"name": "Acme"}})
    client = body["data"]["createClient"]
    assert client["name"] == "Acme"
    stored = await rows(sessions, tenant.tenant_id, "SELECT client_id, name FROM clients")
    assert stored == [{"client_id": uuid.UUID(client["clientId"]), "name": "Acme"}]
    # Client.id is the opaque global id of the same client
    assert global_ids.client_uuid(client["id"]) == uuid.UUID(client["clientId"])


async def test_a_second_client_with_the_same_name_is_bad_input(make_tenant) -> None:
    tenant = await make_tenant()
    await tenant.gql(CREATE_CLIENT, {"input": {"name": "Acme"}})
    error = error_of(await tenant.gql(CREATE_CLIENT, {"input": {"name": "Acme"}}))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "name"}


async def test_a_blank_client_name_is_bad_input(make_tenant) -> None:
    tenant = await make_tenant()
    error = error_of(await tenant.gql(CREATE_CLIENT, {"input": {"name": "  "}}))
    assert error["extensions"]["field"] == "name"


# -- workflows -----------------------------------------------------------------------------------


async def test_new_workflow_gets_the_default_ladder(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    body = await tenant.gql(UPSERT_WORKFLOW, {"input": {"key": "support", "name": "Support"}})
    assert body["data"]["upsertWorkflow"] | {"id": None} == {
        "id": None,
        "key": "support",
        "name": "Support",
        "division": None,
        "autonomyLevel": 0,
        "acceptanceHoldHours": 0,
    }
    ladder = await rows(sessions, tenant.tenant_id, "SELECT key, name, position FROM ladder_rungs")
    assert ladder == [{"key": "accepted", "name": "Accepted", "position": 0}]


async def test_upsert_updates_by_key_and_replaces_the_ladder(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    first = await tenant.gql(UPSERT_WORKFLOW, {"input": {"key": "outreach", "name": "Outreach"}})
    ladder = [
        {"key": "reply", "name": "Reply"},
        {"key": "positive_reply", "name": "Positive reply"},
        {"key": "closed-won", "name": "Closed won"},
    ]
    second = await tenant.gql(
        UPSERT_WORKFLOW,
        {
            "input": {
                "key": "outreach",
                "name": "Outbound",
                "division": "Sales",
                "acceptanceHoldHours": 48,
                "ladder": ladder,
            }
        },
    )
    updated = second["data"]["upsertWorkflow"]
    assert updated["id"] == first["data"]["upsertWorkflow"]["id"]
    assert (updated["name"], updated["division"], updated["acceptanceHoldHours"]) == (
        "Outbound",
        "Sales",
        48,
    )
    stored = await rows(
        sessions,
        tenant.tenant_id,
        "SELECT key, position FROM ladder_rungs WHERE retired_at IS NULL ORDER BY position",
    )
    assert stored == [
        {"key": "reply", "position": 0},
        {"key": "positive_reply", "position": 1},
        {"key": "closed-won", "position": 2},
    ]


async def test_rungs_left_out_are_retired_not_deleted_and_revived(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    token = tenant.token()

    async def ladder(*keys: str) -> None:
        rungs = [{"key": k, "name": k.title()} for k in keys]
        body = await tenant.gql(
            UPSERT_WORKFLOW, {"input": {"key": "wf", "name": "Wf", "ladder": rungs}}, token=token
        )
        assert "errors" not in body, body

    async def stored() -> list[tuple[str, int, bool]]:
        found = await rows(
            sessions,
            tenant.tenant_id,
            "SELECT key, position, retired_at IS NOT NULL AS retired FROM ladder_rungs"
            " ORDER BY key",
        )
        return [(r["key"], r["position"], r["retired"]) for r in found]

    await ladder("reply", "deal")
    await ladder("deal", "won")
    assert await stored() == [("deal", 0, False), ("reply", 0, True), ("won", 1, False)]
    await ladder("reply", "deal", "won")
    assert await stored() == [("deal", 1, False), ("reply", 0, False), ("won", 2, False)]


async def test_upsert_without_a_ladder_keeps_the_existing_one(make_tenant, sessions) -> None:
    tenant = await make_tenant()
    ladder = [{"key": "published", "name": "Published"}, {"key": "ranks", "name": "Ranks"}]
    await tenant.gql(
        UPSERT_WORKFLOW, {"input": {"key": "content", "name": "Content", "ladder": ladder}}
    )
    await tenant.gql(UPSERT_WORKFLOW, {"input": {"key": "content", "name": "Content v2"}})
    stored = await rows(
        sessions, tenant.tenant_id, "SELECT key FROM ladder_rungs ORDER BY position"
    )
    assert [r["key"] for r in stored] == ["published", "ranks"]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"key": ""}, "key"),
        ({"key": "has space"}, "key"),
        ({"key": "k" * 101}, "key"),
        ({"name": " "}, "name"),
        ({"acceptanceHoldHours": -1}, "acceptanceHoldHours"),
        ({"ladder": []}, "ladder"),
        ({"ladder": [{"key": "a", "name": "A"}, {"key": "a", "name": "B"}]}, "ladder[1].key"),
        ({"ladder": [{"key": "", "name": "A"}]}, "ladder[0].key"),
    ],
)
async def test_invalid_workflow_is_bad_input_naming_the_field(
    make_tenant, sessions, patch: dict, field: str
) -> None:
    tenant = await make_tenant()
    body = await tenant.gql(UPSERT_WORKFLOW, {"input": {"key": "wf", "name": "Wf"} | patch})
    assert error_of(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert await rows(sessions, tenant.tenant_id, "SELECT key FROM workflows") == []


# -- prices --------------------------------------------------------------------------------------


async def test_set_model_price_inserts_then_replaces_the_same_version(
    make_tenant, sessions
) -> None:
    tenant = await make_tenant()
    price = {
        "provider": "anthropic",
        "model": "claude-sonnet-4",
        "effectiveFrom": "2026-01-01T00:00:00Z",
        "inputPerMillion": "3",
        "outputPerMillion": "15",
        "cacheReadPerMillion": "0.30",
    }
    answer = (await tenant.gql(SET_PRICE, {"input": price}))["data"]["setModelPrice"]
    # the payload carries the price as stored, with an id a client cache can key it by
    assert answer["modelPrice"]["provider"] == "anthropic"
    assert answer["modelPrice"]["inputPerMillion"] == "3.0000000000"
    assert answer["modelPrice"]["id"]
    await tenant.gql(SET_PRICE, {"input": price | {"inputPerMillion": "2.5"}})
    stored = await rows(
        sessions,
        tenant.tenant_id,
        "SELECT effective_from, input_per_million, output_per_million, cache_read_per_million,"
        " cache_write_per_million FROM model_prices",
    )
    assert stored == [
        {
            "effective_from": datetime(2026, 1, 1, tzinfo=UTC),
            "input_per_million": Decimal("2.5"),
            "output_per_million": Decimal("15"),
            "cache_read_per_million": Decimal("0.3"),
            "cache_write_per_million": None,
        }
    ]


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"inputPerMillion": "-1"}, "inputPerMillion"),
        ({"cacheWritePerMillion": "-0.01"}, "cacheWritePerMillion"),
        ({"provider": ""}, "provider"),
        ({"effectiveFrom": "2026-01-01T00:00:00"}, "effectiveFrom"),
    ],
)
async def test_invalid_price_is_bad_input_naming_the_field(
    make_tenant, sessions, patch: dict, field: str
) -> None:
    tenant = await make_tenant()
    price = {
        "provider": "openai",
        "model": "gpt-5",
        "effectiveFrom": "2026-01-01T00:00:00Z",
        "inputPerMillion": "1.25",
        "outputPerMillion": "10",
    }
    body = await tenant.gql(SET_PRICE, {"input": price | patch})
    assert error_of(body)["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert await rows(sessions, tenant.tenant_id, "SELECT model FROM model_prices") == []


# -- permissions and pending mutations -----------------------------------------------------------

CONFIG_CALLS = [
    (CREATE_CLIENT, {"input": {"name": "Acme"}}),
    (UPSERT_WORKFLOW, {"input": {"key": "wf", "name": "Wf"}}),
    (
        SET_PRICE,
        {
            "input": {
                "provider": "p",
                "model": "m",
                "effectiveFrom": "2026-01-01T00:00:00Z",
                "inputPerMillion": "1",
                "outputPerMillion": "1",
            }
        },
    ),
]


@pytest.mark.parametrize("role", [Role.ANALYST, Role.CLIENT_VIEWER])
async def test_configuration_is_forbidden_for_readers(make_tenant, sessions, role: Role) -> None:
    tenant = await make_tenant()
    client_id = uuid.uuid4() if role is Role.CLIENT_VIEWER else None
    for query, variables in CONFIG_CALLS:
        body = await tenant.gql(query, variables, role=role, client_id=client_id)
        assert body["data"] is None
        assert error_of(body)["extensions"]["code"] == "FORBIDDEN"
    for table in ("clients", "workflows", "model_prices"):
        assert await rows(sessions, tenant.tenant_id, f"SELECT 1 FROM {table}") == []  # noqa: S608


async def test_engineer_may_configure(make_tenant) -> None:
    tenant = await make_tenant()
    body = await tenant.gql(CREATE_CLIENT, {"input": {"name": "Acme"}}, role=Role.ENGINEER)
    assert body["data"]["createClient"]["name"] == "Acme"
