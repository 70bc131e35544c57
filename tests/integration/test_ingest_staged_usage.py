"""Usage through the COPY staging table stores exactly what the unnest statement stores.

`app.services.ingest.writes` switches to COPY into a temporary table at COPY_THRESHOLD usage
rows; these tests force either path on small batches (the in-process app shares the module) and
compare, through `POST /v1/events`, the stored rows, the counts, replays and concurrency.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from app.domain.money import quantize_money
from app.services.ingest import writes
from tests.integration.tenant_rows import rows
from tests.integration.test_ingest_events import ingest_tenant, post

USAGE_SQL = """
SELECT event_id, correlation_id, client_id, kind, occurred_at, provider, model, step, team,
       input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
       reasoning_effort, latency_ms, cost, cost_source, price_effective_from
FROM usage_events ORDER BY event_id
"""


def usage(n: int) -> list[dict]:
    """n LLM events with reported costs and a mix of optional fields (every 3rd: a TOOL call)."""
    return [
        {
            "type": "usage",
            "eventId": f"ev-{i:04d}",
            "correlationId": f"run-{i // 4}" if i % 5 else None,
            "workflowKey": "support",
            "kind": "TOOL" if i % 3 == 0 else "LLM",
            "occurredAt": f"2026-03-01T{i % 24:02d}:00:00+01:00",
            "provider": "anthropic" if i % 2 else None,
            "model": "claude" if i % 2 else None,
            "step": "draft",
            "inputTokens": 10 * i,
            "outputTokens": i,
            "reasoningEffort": "high" if i % 7 == 0 else None,
            "latencyMs": i if i % 4 else None,
            "cost": f"0.{i:010d}",
        }
        for i in range(n)
    ]


@pytest.fixture(params=["unnest", "staged"])
def path(request, monkeypatch) -> str:
    monkeypatch.setattr(writes, "COPY_THRESHOLD", 10**9 if request.param == "unnest" else 1)
    return str(request.param)


async def test_staged_and_unnest_store_the_same_rows(
    http, make_tenant, sessions, monkeypatch
) -> None:
    stored = []
    for threshold in (10**9, 1):
        monkeypatch.setattr(writes, "COPY_THRESHOLD", threshold)
        tenant, key = await ingest_tenant(make_tenant, sessions)
        response = await post(http, key, usage(60))
        assert response.json() == {"accepted": 60, "duplicates": 0, "errors": []}
        stored.append(await rows(sessions, tenant.tenant_id, USAGE_SQL))
    assert stored[0] == stored[1]
    assert len(stored[0]) == 60
    assert {type(row["cost"]) for row in stored[0]} == {Decimal}


async def test_replays_and_repeats_are_duplicates(http, make_tenant, sessions, path) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    records = usage(30)
    first = await post(http, key, records + records[:10])  # 10 repeats inside the batch
    assert first.json() == {"accepted": 30, "duplicates": 10, "errors": []}
    again = await post(http, key, records)
    assert again.json() == {"accepted": 0, "duplicates": 30, "errors": []}
    assert len(await rows(sessions, tenant.tenant_id, USAGE_SQL)) == 30


async def test_concurrent_identical_batches_store_once(http, make_tenant, sessions, path) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    records = usage(40)
    responses = await asyncio.gather(*(post(http, key, records) for _ in range(3)))
    assert sorted(r.json()["accepted"] for r in responses) == [0, 0, 40]
    assert len(await rows(sessions, tenant.tenant_id, USAGE_SQL)) == 40


# Costs whose decimal strings take every form `str(Decimal)` gives after quantizing to 10 places:
# scientific notation, a zero with an exponent, the column's largest value, a half-even tie.
EDGE_COSTS = [
    "0", "0E-10", "1E-10", "0.0000001234", "1.5e-7", "9999999999.9999999999", "12345.6789",
    "0.00000000005", "0.00000000015", 7, 0.25,
]  # fmt: skip


async def test_costs_are_stored_exactly(http, make_tenant, sessions, path) -> None:
    """A row's cost travels to PostgreSQL as its decimal string; what is stored is the exact
    quantized amount, on both paths."""
    tenant, key = await ingest_tenant(make_tenant, sessions)
    records = usage(len(EDGE_COSTS))
    for record, cost in zip(records, EDGE_COSTS, strict=True):
        record["cost"] = cost
    response = await post(http, key, records)
    assert response.json() == {"accepted": len(EDGE_COSTS), "duplicates": 0, "errors": []}
    stored = await rows(
        sessions, tenant.tenant_id, "SELECT cost::text AS cost FROM usage_events ORDER BY event_id"
    )
    expected = [format(quantize_money(Decimal(str(cost))), "f") for cost in EDGE_COSTS]
    assert [row["cost"] for row in stored] == expected
    assert expected[2] == "0.0000000001" and expected[7] == "0.0000000000"
