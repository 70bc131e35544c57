"""`POST /v1/events`: JSON arrays and NDJSON with API keys or tokens, every refusal with its
status code, and idempotent replay — also of two identical batches sent at the same time."""

from __future__ import annotations

import asyncio
import json
import uuid
from decimal import Decimal

import pytest

from app.auth.principal import Role
from app.services.tenancy.tenants import create_api_key, revoke_api_key
from app.services.tenancy.workflows import upsert_workflow
from tests.integration.tenant_rows import rows


async def ingest_tenant(make_tenant, sessions, scopes: list[str] | None = None):
    """A tenant with the `support` workflow (48 h hold) and an API key."""
    tenant = await make_tenant()
    async with sessions(tenant.tenant_id) as session:
        await upsert_workflow(
            session=session,
            tenant_id=tenant.tenant_id,
            key="support",
            name="Support",
            acceptance_hold_hours=48,
        )
    key = await create_api_key(
        sessions=sessions, tenant_id=tenant.tenant_id, name="ci", scopes=scopes or ["ingest"]
    )
    return tenant, key


def batch(n: int = 3) -> list[dict]:
    """n runs, each with one usage event, and an acceptance label on the first run."""
    records: list[dict] = []
    for i in range(n):
        records.append(
            {
                "type": "run",
                "correlationId": f"run-{i}",
                "workflowKey": "support",
                "startedAt": "2026-03-01T00:00:00Z",
            }
        )
        records.append(
            {
                "type": "usage",
                "eventId": f"ev-{i}",
                "correlationId": f"run-{i}",
                "workflowKey": "support",
                "kind": "TOOL",
                "occurredAt": "2026-03-01T00:01:00Z",
                "cost": "0.1000000001",
            }
        )
    records.append(
        {"type": "label", "correlationId": "run-0", "status": "ACCEPTED", "at": "2026-03-01T01:00Z"}
    )
    return records


async def post(http, key, body, content_type: str = "application/json", header: str = "bearer"):
    headers = {"Content-Type": content_type}
    if header == "bearer":
        headers["Authorization"] = f"Bearer {key.key}"
    elif header == "x-api-key":
        headers["X-API-Key"] = key.key
    content = body if isinstance(body, str | bytes) else json.dumps(body)
    return await http.post("/v1/events", content=content, headers=headers)


async def totals(sessions, tenant_id: uuid.UUID) -> dict:
    [counts] = await rows(
        sessions,
        tenant_id,
        "SELECT (SELECT count(*) FROM runs) AS runs,"
        " (SELECT count(*) FROM usage_events) AS usage,"
        " (SELECT coalesce(sum(cost), 0) FROM usage_events) AS cost,"
        " (SELECT count(*) FROM run_labels) AS labels,"
        " (SELECT count(*) FROM runs WHERE status = 'ACCEPTED') AS accepted",
    )
    return counts


# -- success -------------------------------------------------------------------------------------


async def test_a_json_array_is_stored_and_acknowledged(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    response = await post(http, key, batch(3))
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 7, "duplicates": 0, "errors": []}
    assert await totals(sessions, tenant.tenant_id) == {
        "runs": 3,
        "usage": 3,
        "cost": Decimal("0.3000000003"),
        "labels": 1,
        "accepted": 1,
    }


async def test_ndjson_with_x_api_key_and_blank_lines(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    body = "\n".join(json.dumps(r) for r in batch(2)) + "\n\n"
    response = await post(http, key, body, "application/x-ndjson", header="x-api-key")
    assert response.json() == {"accepted": 5, "duplicates": 0, "errors": []}
    assert (await totals(sessions, tenant.tenant_id))["usage"] == 2


async def test_a_json_number_cost_is_decoded_exactly(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    record = batch(1)[1] | {"cost": "COST"}
    body = json.dumps([record]).replace('"COST"', "0.1000000001")  # a float would round it
    assert (await post(http, key, body)).json()["accepted"] == 1
    assert (await totals(sessions, tenant.tenant_id))["cost"] == Decimal("0.1000000001")


async def test_an_owner_token_may_ingest(http, make_tenant, sessions) -> None:
    tenant, _ = await ingest_tenant(make_tenant, sessions)
    response = await http.post(
        "/v1/events", json=batch(1), headers={"Authorization": f"Bearer {tenant.token()}"}
    )
    assert response.json()["accepted"] == 3


# -- idempotency ---------------------------------------------------------------------------------


async def test_a_replayed_batch_changes_nothing(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    await post(http, key, batch(3))
    before = await totals(sessions, tenant.tenant_id)
    again = await post(http, key, batch(3))
    assert again.json() == {"accepted": 0, "duplicates": 7, "errors": []}
    assert await totals(sessions, tenant.tenant_id) == before


async def test_repeats_inside_one_batch_are_duplicates(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    records = batch(2)
    response = await post(http, key, records + records)
    assert response.json() == {"accepted": 5, "duplicates": 5, "errors": []}
    assert (await totals(sessions, tenant.tenant_id))["usage"] == 2


async def test_concurrent_identical_batches_store_once(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    records = batch(20)
    responses = await asyncio.gather(*(post(http, key, records) for _ in range(3)))
    bodies = [r.json() for r in responses]
    assert sorted(b["accepted"] for b in bodies) == [0, 0, 41]
    assert all(b["accepted"] + b["duplicates"] == 41 for b in bodies)
    assert await totals(sessions, tenant.tenant_id) == {
        "runs": 20,
        "usage": 20,
        "cost": Decimal("2.000000002"),
        "labels": 1,
        "accepted": 1,
    }


# -- refusals ------------------------------------------------------------------------------------


async def test_a_revoked_key_is_401(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    await revoke_api_key(sessions=sessions, tenant_id=tenant.tenant_id, key_id=key.key_id)
    response = await post(http, key, batch(1))
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHENTICATED"
    assert (await totals(sessions, tenant.tenant_id))["runs"] == 0


async def test_no_credential_is_401(http) -> None:
    response = await http.post("/v1/events", json=[])
    assert (response.status_code, response.json()["code"]) == (401, "UNAUTHENTICATED")


async def test_a_read_only_key_is_403(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions, scopes=["read"])
    response = await post(http, key, batch(1))
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")
    assert (await totals(sessions, tenant.tenant_id))["runs"] == 0


async def test_an_analyst_token_is_403(http, make_tenant) -> None:
    tenant = await make_tenant()
    token = tenant.token(Role.ANALYST)
    response = await http.post("/v1/events", json=[], headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_other_content_types_are_415(http, make_tenant, sessions, content_type) -> None:
    _, key = await ingest_tenant(make_tenant, sessions)
    response = await post(http, key, "[]", content_type)
    assert (response.status_code, response.json()["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        ("[{", "application/json", "not valid JSON"),
        ('{"type": "run"}', "application/json", "JSON array"),
        ('[{"type": "run"}, 5]', "application/json", "index 1"),
        ('[{"cost": NaN}]', "application/json", "not valid JSON"),
        ('{"type": "run"}\n\n{oops', "application/x-ndjson", "line 3"),
        ('{"type": "run"}\n[1]', "application/x-ndjson", "line 2"),
        (b"[\xff]", "application/json", "not valid JSON"),
    ],
)
async def test_undecodable_bodies_are_400(
    http, make_tenant, sessions, body, content_type, says
) -> None:
    _, key = await ingest_tenant(make_tenant, sessions)
    response = await post(http, key, body, content_type)
    assert (response.status_code, response.json()["code"]) == (400, "BAD_REQUEST")
    assert says in response.json()["message"]


async def test_too_many_records_is_413(http, make_tenant, sessions, migrated) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    records = [batch(1)[0] | {"correlationId": f"r{i}"} for i in range(migrated.max_batch_records)]
    records.append(batch(1)[0])
    response = await post(http, key, records)
    assert (response.status_code, response.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert (await totals(sessions, tenant.tenant_id))["runs"] == 0


async def test_invalid_records_are_422_and_nothing_is_written(http, make_tenant, sessions) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    records = batch(2)
    records[1] = records[1] | {"inputTokens": -5}
    records[2] = records[2] | {"workflowKey": "nope"}
    response = await post(http, key, records)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["accepted"], body["duplicates"]) == ("BAD_USER_INPUT", 0, 0)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "inputTokens"),
        (2, "workflowKey"),
    ]
    assert await totals(sessions, tenant.tenant_id) == {
        "runs": 0,
        "usage": 0,
        "cost": 0,
        "labels": 0,
        "accepted": 0,
    }


async def test_ndjson_errors_name_the_line(http, make_tenant, sessions) -> None:
    _, key = await ingest_tenant(make_tenant, sessions)
    record = json.dumps(batch(1)[0] | {"startedAt": "yesterday"})
    response = await post(http, key, f"\n{record}\n", "application/x-ndjson")
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error | {"message": None} == {
        "index": 0,
        "line": 2,
        "field": "startedAt",
        "message": None,
    }
