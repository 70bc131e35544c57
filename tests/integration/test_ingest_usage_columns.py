"""A usage-only batch is checked column-wise (`validate_batch`'s fast path) with exactly the
result of the record-by-record path: the same rows to write, and on any problem the same errors.

Each case validates one batch twice in the same tenant, once as it comes and once with the
column path switched off (`read_usage_columns` answering None), and compares.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from app.db.sessions import raw_connection
from app.domain.pricing import Price
from app.services.ingest import validation
from app.services.ingest.writes import usage_rows
from app.services.pricing.prices import set_model_price
from app.services.tenancy.tenants import create_client
from app.services.tenancy.workflows import upsert_workflow


def _price(provider: str, model: str, day: int, rate: str, **rates: Decimal) -> Price:
    return Price(
        provider=provider,
        model=model,
        effective_from=datetime(2026, 3, day, tzinfo=UTC),
        input_per_million=Decimal(rate),
        output_per_million=Decimal(rate) * 5,
        **rates,
    )


PRICES = [
    _price("anthropic", "claude", 1, "3", cache_read_per_million=Decimal("0.3")),
    _price("anthropic", "claude", 10, "2.5"),  # a second version: in force from the 10th
    _price("openai", "gpt", 1, "0.15", reasoning_per_million=Decimal("0.6000001")),
]


@pytest.fixture
async def tenant(make_tenant, sessions) -> tuple[uuid.UUID, str]:
    """A tenant with workflows `support` and `sales`, the prices above and one client."""
    tenant = await make_tenant()
    async with sessions(tenant.tenant_id) as session:
        for key in ("support", "sales"):
            await upsert_workflow(session=session, tenant_id=tenant.tenant_id, key=key, name=key)
        for price in PRICES:
            await set_model_price(session=session, tenant_id=tenant.tenant_id, price=price)
        client = await create_client(session=session, tenant_id=tenant.tenant_id, name="acme")
    return tenant.tenant_id, str(client.client_id)


def usage(n: int, client: str) -> list[dict[str, Any]]:
    """n valid usage records: priced and reported costs, two price versions, repeated token
    counts and event ids, optional fields present and absent, other kinds with their cost."""
    records = []
    for i in range(n):
        record: dict[str, Any] = {
            "type": "usage",
            "eventId": f"ev-{i % (n - 3):04d}",  # the last three repeat earlier ids
            "workflowKey": ("support", "sales")[i % 2],
            "kind": "LLM",
            "occurredAt": f"2026-03-{1 + i % 20:02d}T{i % 24:02d}:30:00+02:00",
            "provider": ("anthropic", "openai")[i % 3 == 0],
            "model": ("claude", "gpt")[i % 3 == 0],
            "inputTokens": 100 * (i % 7),
            "outputTokens": 33 * (i % 5),
        }
        if i % 4 == 0:
            record["cacheReadTokens"] = 1000 + i
        if i % 6 == 0:
            record["reasoningTokens"] = 77
        if i % 5 == 0:
            record["correlationId"] = f"run-{i}"
            record["clientId"] = client
            record["latencyMs"] = i
        if i % 8 == 0:
            record["cost"] = f"0.{i:012d}"  # reported, more places than stored: rounded
        if i % 9 == 0:
            record |= {"kind": "TOOL", "cost": str(i), "provider": None, "model": None}
        records.append(record)
    return records


async def _validate(sessions, tenant_id: uuid.UUID, raw: list[Any], *, columns: bool) -> Any:
    with pytest.MonkeyPatch.context() as patch:
        if not columns:
            patch.setattr(validation, "read_usage_columns", lambda raw: None)
        async with sessions(tenant_id) as session:
            conn = await raw_connection(session)
            return await validation.validate_batch(conn=conn, tenant_id=tenant_id, raw=raw)


async def assert_refused_alike(
    sessions, tenant_id: uuid.UUID, raw: list[dict[str, Any]], indexes: set[int]
) -> None:
    """Both paths refuse the batch with the same errors, on the records at `indexes`."""
    fast, fast_errors = await _validate(sessions, tenant_id, raw, columns=True)
    slow, slow_errors = await _validate(sessions, tenant_id, raw, columns=False)
    assert fast is None and slow is None
    assert fast_errors == slow_errors
    assert {e.index for e in fast_errors} == indexes


async def test_valid_batch_gives_the_rows_of_the_record_path(sessions, tenant) -> None:
    tenant_id, client = tenant
    raw = usage(60, client)
    fast, fast_errors = await _validate(sessions, tenant_id, raw, columns=True)
    slow, slow_errors = await _validate(sessions, tenant_id, raw, columns=False)
    assert fast_errors == slow_errors == []
    assert fast.usage_rows is not None  # the column path did take it
    assert slow.usage_rows is None
    expected = usage_rows(slow.usage, slow.workflow_ids)
    assert len(expected) == 57
    # The cost travels as its decimal string: equal amounts must have the same text too.
    assert fast.usage_rows == expected
    assert {type(row[17]) for row in expected} == {str}
    assert {row[18] for row in expected} == {"priced", "reported"}


BAD = [
    ("unknown workflow", 3, {"workflowKey": "nope"}),
    ("unknown client", 4, {"clientId": str(uuid.uuid4())}),
    ("no model to price with", 1, {"model": None}),
    ("no price in force", 5, {"occurredAt": "2026-02-01T00:00:00Z"}),
    ("no price for the model", 5, {"model": "claude-opus"}),
    ("priced cost out of range", 1, {"inputTokens": 2**62}),
    ("bad field", 2, {"latencyMs": -1}),
    ("TOOL without a cost", 2, {"kind": "TOOL"}),
]


@pytest.mark.parametrize(("case", "index", "change"), BAD, ids=[c[0] for c in BAD])
async def test_problems_give_the_errors_of_the_record_path(
    sessions, tenant, case: str, index: int, change: dict[str, Any]
) -> None:
    tenant_id, client = tenant
    raw = usage(12, client)
    raw[index] = raw[index] | change
    raw[index + 5] = raw[index + 5] | change
    await assert_refused_alike(sessions, tenant_id, raw, {index, index + 5})


def mixed(client: str) -> list[dict[str, Any]]:
    """Usage with runs and labels between them (a label of a run started in the batch)."""
    records: list[dict[str, Any]] = usage(20, client)
    run = {"type": "run", "workflowKey": "support", "startedAt": "2026-03-02T00:00:00Z"}
    records.insert(3, run | {"correlationId": "run-a", "clientId": client})
    records.insert(9, run | {"correlationId": "run-b", "campaign": "spring"})
    records.insert(
        14,
        {
            "type": "label",
            "correlationId": "run-a",
            "status": "ACCEPTED",
            "at": "2026-03-03T00:00Z",
        },
    )
    return records


async def test_mixed_batch_gives_the_records_and_rows_of_the_record_path(sessions, tenant) -> None:
    tenant_id, client = tenant
    raw = mixed(client)
    fast, fast_errors = await _validate(sessions, tenant_id, raw, columns=True)
    slow, slow_errors = await _validate(sessions, tenant_id, raw, columns=False)
    assert fast_errors == slow_errors == []
    assert fast.usage_rows is not None and slow.usage_rows is None
    assert fast.usage_rows == usage_rows(slow.usage, slow.workflow_ids)
    assert fast.runs == slow.runs  # the same records, with their indexes in the whole batch
    assert [r.index for r in fast.runs] == [3, 9]
    assert fast.labels == slow.labels and [label.index for label in fast.labels] == [14]
    assert fast.workflow_ids == slow.workflow_ids


MIXED_BAD = [
    ("bad run", 3, {"startedAt": "soon"}),
    ("label of an unknown run", 14, {"correlationId": "run-z"}),
    ("bad usage", 5, {"workflowKey": "nope"}),
]


@pytest.mark.parametrize(("case", "index", "change"), MIXED_BAD, ids=[c[0] for c in MIXED_BAD])
async def test_mixed_batch_problems_give_the_errors_of_the_record_path(
    sessions, tenant, case: str, index: int, change: dict[str, Any]
) -> None:
    tenant_id, client = tenant
    raw = mixed(client)
    raw[index] = raw[index] | change
    await assert_refused_alike(sessions, tenant_id, raw, {index})
