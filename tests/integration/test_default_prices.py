"""`ledger prices import --defaults`: the shipped list priced into a tenant, opt-in, never
overwriting the tenant's own prices, idempotent; then ingest prices usage with it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.cli.prices import parse_defaults
from app.domain.pricing import Price
from app.services.pricing.prices import set_model_price
from tests.integration.cli_support import ledger
from tests.integration.tenant_rows import rows, usage_costs
from tests.integration.test_ingest_events import ingest_tenant, post

pytestmark = [
    pytest.mark.usefixtures("cli_env"),
    pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning"),
]


async def price_rows(sessions, tenant_id: uuid.UUID) -> list[dict]:
    return await rows(
        sessions,
        tenant_id,
        "SELECT provider, model, effective_from, input_per_million, output_per_million"
        " FROM model_prices ORDER BY 1, 2, 3",
    )


async def test_defaults_then_ingest_prices_usage_without_a_cost(
    http, make_tenant, sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    tenant, key = await ingest_tenant(make_tenant, sessions)
    assert await ledger(f"prices import --defaults --tenant {tenant.tenant_id}") == 0
    out = capsys.readouterr().out
    assert f"{len(parse_defaults())} imported, 0 skipped" in out
    assert len(await price_rows(sessions, tenant.tenant_id)) == len(parse_defaults())
    records = [
        {
            "type": "run",
            "correlationId": "run-1",
            "workflowKey": "support",
            "startedAt": "2026-03-01T00:00:00Z",
        },
        {
            "type": "usage",
            "eventId": "llm-1",
            "correlationId": "run-1",
            "workflowKey": "support",
            "kind": "LLM",
            "occurredAt": "2026-03-01T00:01:00Z",
            "provider": "anthropic",
            "model": "claude-sonnet-4-5",
            "inputTokens": 1000,
            "outputTokens": 500,
            "cacheReadTokens": 2000,
            "cacheWriteTokens": 400,
        },
    ]
    response = await post(http, key, records)
    assert response.json()["errors"] == [], response.text
    [event] = await usage_costs(sessions, tenant.tenant_id)
    # 3/M input, 15/M output, 0.30/M cache read, 3.75/M cache write (list prices from
    # 2025-09-29): (1,000·3 + 500·15 + 2,000·0.30 + 400·3.75) / 10^6 = 12,600 / 10^6.
    assert event == {
        "cost": Decimal("0.0126000000"),
        "cost_source": "priced",
        "price_effective_from": datetime(2025, 9, 29, tzinfo=UTC),
    }


async def test_reimporting_the_defaults_changes_nothing(
    make_tenant, sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    t = (await make_tenant()).tenant_id
    assert await ledger(f"prices import --defaults --tenant {t}") == 0
    before = await price_rows(sessions, t)
    capsys.readouterr()
    assert await ledger(f"prices import --defaults --tenant {t}") == 0
    out = capsys.readouterr().out
    assert f"0 imported, {len(parse_defaults())} skipped" in out
    assert "already loaded" in out and "kept tenant price" not in out
    assert await price_rows(sessions, t) == before


async def test_a_tenant_price_at_the_same_date_is_kept_and_reported(
    make_tenant, sessions, capsys: pytest.CaptureFixture[str]
) -> None:
    t = (await make_tenant()).tenant_id
    own = Price(
        provider="openai",
        model="gpt-4o",
        effective_from=datetime(2024, 8, 6, tzinfo=UTC),  # the default's own date
        input_per_million=Decimal("2.00"),  # a negotiated rate, not the list 2.50
        output_per_million=Decimal("8.00"),
    )
    async with sessions(t) as session:
        await set_model_price(session=session, tenant_id=t, price=own)
    assert await ledger(f"prices import --defaults --tenant {t}") == 0
    out = capsys.readouterr().out
    [line] = [row for row in out.splitlines() if row.startswith("openai") and " gpt-4o " in row]
    assert line.rstrip().endswith("kept tenant price")
    assert f"{len(parse_defaults()) - 1} imported, 1 skipped" in out
    [kept] = [
        r
        for r in await price_rows(sessions, t)
        if (r["provider"], r["model"]) == ("openai", "gpt-4o")
    ]
    assert (kept["input_per_million"], kept["output_per_million"]) == (
        Decimal("2.0000000000"),
        Decimal("8.0000000000"),
    )


async def test_a_file_and_defaults_together_are_refused(
    make_tenant, tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    t = (await make_tenant()).tenant_id
    assert await ledger(f"prices import {tmp_path / 'p.json'} --defaults --tenant {t}") != 0
    assert await ledger(f"prices import --tenant {t}") != 0
    assert "either a FILE or --defaults" in capsys.readouterr().err


async def test_the_defaults_listing_needs_no_tenant(capsys: pytest.CaptureFixture[str]) -> None:
    assert await ledger("prices defaults") == 0
    out = capsys.readouterr().out
    assert "claude-sonnet-4-5" in out and "gemini-2.5-pro" in out and "gpt-5" in out
