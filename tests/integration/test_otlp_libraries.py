"""The instrumentation libraries users install, unmodified, each making one call to a fake
provider (tests/integration/fake_provider.py) and exporting through the real OTLP/HTTP exporter
to a running ledger; the bill is checked to the cent and to the token kind.

Prices (per million): gpt-5-mini input 0.25, cache read 0.025, output 2.00, reasoning 4.00;
claude-sonnet-4 input 3.00, cache read 0.30, cache write 3.75, output 15.00.

OpenAI call (1000 prompt incl. 600 cached; 200 completion incl. 50 reasoning), fully reported:
  400 × 0.25 + 600 × 0.025 + 150 × 2.00 + 50 × 4.00 = 100 + 15 + 300 + 200 = 615 → $0.000615
reported as totals only (openai-v2): 1000 × 0.25 + 200 × 2.00 = 250 + 400 = 650 → $0.00065
Anthropic call (400 input, 600 cache read, 100 cache write, 200 output):
  400 × 3 + 600 × 0.30 + 100 × 3.75 + 200 × 15 = 1200 + 180 + 375 + 3000 = 4755 → $0.004755
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.fake_provider import fake_provider
from tests.integration.otlp_support import new_id, otlp_tenant, run_of, serve

OPENAI_PRICE = """mutation { setModelPrice(input: {provider: "openai", model: "gpt-5-mini",
  effectiveFrom: "2020-01-01T00:00:00Z", inputPerMillion: "0.25", outputPerMillion: "2.00",
  cacheReadPerMillion: "0.025", reasoningPerMillion: "4.00"}) { modelPrice { model } } }"""
OLD_PRICE = """mutation { setModelPrice(input: {provider: "anthropic", model: "claude-sonnet-4",
  effectiveFrom: "2020-01-01T00:00:00Z", inputPerMillion: "3.00", outputPerMillion: "15.00",
  cacheReadPerMillion: "0.30", cacheWritePerMillion: "3.75"}) { modelPrice { model } } }"""
HEALTH = """query($r: TimeRange!) { ingestHealth(range: $r) {
  source workflowKey reason spans examples } }"""
TODAY = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}

OPENAI_FULL = {"inputTokens": 400, "cacheReadTokens": 600, "cacheWriteTokens": 0,
               "outputTokens": 150, "reasoningTokens": 50}  # fmt: skip
OPENAI_TOTALS = {"inputTokens": 1000, "cacheReadTokens": 0, "cacheWriteTokens": 0,
                 "outputTokens": 200, "reasoningTokens": 0}  # fmt: skip
ANTHROPIC = {"inputTokens": 400, "cacheReadTokens": 600, "cacheWriteTokens": 100,
             "outputTokens": 200, "reasoningTokens": 0}  # fmt: skip


@pytest.fixture(scope="module")
def provider_url() -> Iterator[str]:
    with fake_provider() as url:
        yield url


@pytest.fixture(scope="session")
async def ledger_url(app: Any) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


async def user_program(library: str, ledger: str, key: str, provider: str, run: str) -> None:
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "tests.integration.otlp_library_client",
         library, ledger, key, provider, run],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]


async def billed(handle: Any, run: str) -> dict[str, Any]:
    stored = await run_of(handle, run)
    assert stored is not None, f"no run {run}: the spans were not stored"
    return stored


def tokens(event: dict[str, Any]) -> dict[str, int]:
    return {name: event[name] for name in OPENAI_FULL}


@pytest.mark.parametrize(
    ("library", "expected_tokens", "cost"),
    [
        ("openllmetry-openai", OPENAI_FULL, "0.000615"),
        ("openinference-openai", OPENAI_FULL, "0.000615"),
        ("openai-v2", OPENAI_TOTALS, "0.00065"),
        ("anthropic-sdk", ANTHROPIC, "0.004755"),
        ("openllmetry-anthropic", ANTHROPIC, "0.004755"),
    ],
)
async def test_each_library_bills_its_call_once_to_the_cent(
    make_tenant, sessions, ledger_url, provider_url, library, expected_tokens, cost
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    for price in (OPENAI_PRICE, OLD_PRICE):
        assert (await t.handle.gql(price))["data"]["setModelPrice"]["modelPrice"]
    run = f"lib-{library}-{new_id()}"

    await user_program(library, ledger_url, t.ingest_key, provider_url, run)

    stored = await billed(t.handle, run)
    assert len(stored["usage"]) == 1, stored["usage"]  # one call, one charge
    [event] = stored["usage"]
    assert tokens(event) == expected_tokens
    assert Decimal(event["cost"]) == Decimal(cost)
    assert Decimal(stored["cost"]) == Decimal(cost)


async def test_openai_v2_totals_only_are_visible_in_ingest_health(
    make_tenant, sessions, ledger_url, provider_url
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    assert (await t.handle.gql(OPENAI_PRICE))["data"]["setModelPrice"]["modelPrice"]
    run = f"v2-{new_id()}"

    await user_program("openai-v2", ledger_url, t.ingest_key, provider_url, run)

    body = await t.handle.gql(HEALTH, {"r": TODAY})
    assert "errors" not in body, body
    reasons = {(row["source"], row["reason"]): row["spans"] for row in body["data"]["ingestHealth"]}
    source = "opentelemetry.util.genai.handler"  # the scope openai-v2 2.4b0 emits under
    assert reasons == {
        (source, "cache-read tokens not reported (billed as uncached input)"): 1,
        (source, "reasoning tokens not reported (billed as output)"): 1,
    }


async def test_sdk_span_and_openllmetry_span_of_one_call_are_one_charge_in_health(
    make_tenant, sessions, ledger_url, provider_url
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    run = f"dup-{new_id()}"

    await user_program("openllmetry-anthropic", ledger_url, t.ingest_key, provider_url, run)

    body = await t.handle.gql(HEALTH, {"r": TODAY})
    rows = body["data"]["ingestHealth"]
    assert [row["reason"] for row in rows] == [
        "same provider call as a span already charged (not charged again)"
    ], rows
    assert rows[0]["spans"] == 1
