"""One provider call, one charge, over `POST /v1/traces` (OTLP/JSON): spans of the same call in
one export or in separate exports, in either order; a more detailed span arriving later
corrects the stored event in place with the rollups kept exact; unbillable spans are visible
to the sender (partial_success) and in `ingestHealth` (tenant-scoped).

Spans are shaped exactly as the libraries emit them (attribute names and values as printed by
the libraries against tests/integration/fake_provider.py). claude-sonnet-4 prices per million:
input 3.00, cache read 0.30, cache write 3.75, output 15.00 (otlp_support.PRICE).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from app.auth.principal import Role
from tests.integration.otlp_support import new_id, otlp_tenant, run_of, serve
from tests.integration.test_rollups import differences
from tests.integration.test_rollups_daily import differences as daily_differences

T0 = 1_772_359_200_000_000_000
RESPONSE_ID = "msg_01LedgerFakeProvider0001"
HEALTH = """query($r: TimeRange!) { ingestHealth(range: $r) {
  day source workflowKey reason spans examples } }"""
BREAKDOWN = """query($r: TimeRange!) { costBreakdown(range: $r, groupBy: [MODEL]) {
  cost events inputTokens cacheReadTokens cacheWriteTokens outputTokens reasoningTokens } }"""
ALL_DAYS = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z"}

# Anthropic's call as the Anthropic SDK 2.17.0 reports it (scope com.anthropic.sdk.python).
SDK_SPAN = {
    "gen_ai.provider.name": "anthropic",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "claude-sonnet-4",
    "gen_ai.usage.input_tokens": 1100,
    "gen_ai.response.id": RESPONSE_ID,
    "gen_ai.response.model": "claude-sonnet-4",
    "gen_ai.usage.cache_write.input_tokens": 100,
    "gen_ai.usage.cache_read.input_tokens": 600,
    "gen_ai.usage.output_tokens": 200,
    "anthropic.request.id": "req_0001",
}
# The same call as openllmetry's opentelemetry-instrumentation-anthropic 0.62.4 reports it.
OPENLLMETRY_SPAN = {
    "gen_ai.provider.name": "anthropic",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "claude-sonnet-4",
    "gen_ai.response.model": "claude-sonnet-4",
    "gen_ai.response.id": RESPONSE_ID,
    "gen_ai.usage.input_tokens": 1100,
    "gen_ai.usage.output_tokens": 200,
    "gen_ai.usage.total_tokens": 1300,
    "gen_ai.usage.cache_read.input_tokens": 600,
    "gen_ai.usage.cache_creation.input_tokens": 100,
}
# A less detailed report of the same call (totals only, as openai-v2 reports OpenAI calls).
TOTALS_SPAN = {
    "gen_ai.provider.name": "anthropic",
    "gen_ai.operation.name": "chat",
    "gen_ai.request.model": "claude-sonnet-4",
    "gen_ai.response.id": RESPONSE_ID,
    "gen_ai.usage.input_tokens": 1100,
    "gen_ai.usage.output_tokens": 200,
}
# 400 × 3 + 600 × 0.30 + 100 × 3.75 + 200 × 15 = 1200 + 180 + 375 + 3000 = 4755 per million
FULL_COST = Decimal("0.004755")
# all 1100 input at 3.00 + 200 × 15 = 3300 + 3000 = 6300 per million
TOTALS_COST = Decimal("0.0063")


@pytest.fixture(scope="session")
async def live(app) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client


def value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    return {"stringValue": str(v)}


def export_body(
    spans: list[tuple[str, str, dict[str, Any]]],
    run: str,
    *,
    scope: str = "tests",
    parents: dict[str, str] | None = None,
    workflow: str | None = "support",
) -> bytes:
    """OTLP/JSON of (trace id, span id, attributes) spans with a resource naming the run."""
    resource = [{"key": "ledger.correlation_id", "value": value(run)}]
    if workflow:
        resource.append({"key": "ledger.workflow", "value": value(workflow)})
    items = [
        {
            "traceId": trace_id,
            "spanId": span_id,
            "parentSpanId": (parents or {}).get(span_id, ""),
            "name": "chat claude-sonnet-4",
            "kind": 3,
            "startTimeUnixNano": str(T0),
            "endTimeUnixNano": str(T0 + 900_000_000),
            "attributes": [{"key": k, "value": value(v)} for k, v in attrs.items()],
        }
        for trace_id, span_id, attrs in spans
    ]
    document = {
        "resourceSpans": [
            {
                "resource": {"attributes": resource},
                "scopeSpans": [{"scope": {"name": scope}, "spans": items}],
            }
        ]
    }
    return json.dumps(document).encode()


async def send(live: httpx.AsyncClient, key: str, body: bytes) -> dict[str, Any]:
    response = await live.post(
        "/v1/traces",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def ids() -> tuple[str, str, str]:
    """A run id and two span ids (16 hex digits) unique to one test."""
    tag = new_id()
    return f"run-{tag}", f"{tag}0001", f"{tag}0002"


def trace_of(span_id: str) -> str:
    return span_id * 2


async def charged(t: Any, run: str) -> list[dict[str, Any]]:
    stored = await run_of(t.handle, run)
    assert stored is not None
    usage: list[dict[str, Any]] = stored["usage"]
    return usage


@pytest.mark.parametrize("order", ["sdk first", "openllmetry first"])
@pytest.mark.parametrize("together", [True, False], ids=["one export", "two exports"])
async def test_two_libraries_reporting_one_response_id_are_charged_once(
    make_tenant, sessions, live, order, together
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    run, a, b = ids()
    spans = [(trace_of(a), a, SDK_SPAN), (trace_of(b), b, OPENLLMETRY_SPAN)]  # separate traces
    if order == "openllmetry first":
        spans.reverse()

    if together:
        answers = [await send(live, t.ingest_key, export_body(spans, run))]
    else:
        answers = [await send(live, t.ingest_key, export_body([s], run)) for s in spans]

    assert all("partialSuccess" not in answer for answer in answers), answers
    [event] = await charged(t, run)
    assert event["eventId"] == spans[0][1]  # equal detail: the first one stays charged
    assert (event["inputTokens"], event["cacheReadTokens"], event["cacheWriteTokens"]) == (
        400,
        600,
        100,
    )
    assert Decimal(event["cost"]) == FULL_COST
    buckets = await t.handle.gql(BREAKDOWN, {"r": ALL_DAYS})
    assert buckets["data"]["costBreakdown"] == [
        {"cost": "0.0047550000", "events": 1, "inputTokens": 400, "cacheReadTokens": 600,
         "cacheWriteTokens": 100, "outputTokens": 200, "reasoningTokens": 0}
    ]  # fmt: skip


@pytest.mark.parametrize("together", [True, False], ids=["one export", "two exports"])
async def test_a_more_detailed_span_corrects_the_stored_charge_in_place(
    make_tenant, sessions, live, together
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    run, a, b = ids()
    poor, rich = (trace_of(a), a, TOTALS_SPAN), (trace_of(b), b, OPENLLMETRY_SPAN)

    if together:
        await send(live, t.ingest_key, export_body([poor, rich], run))
    else:
        await send(live, t.ingest_key, export_body([poor], run))
        [first] = await charged(t, run)
        assert Decimal(first["cost"]) == TOTALS_COST  # billed on what was known
        await send(live, t.ingest_key, export_body([rich], run))

    [event] = await charged(t, run)
    assert event["eventId"] == (a if not together else b)
    assert (event["inputTokens"], event["cacheReadTokens"], event["cacheWriteTokens"]) == (
        400,
        600,
        100,
    )
    assert Decimal(event["cost"]) == FULL_COST
    stored = await run_of(t.handle, run)
    assert stored is not None and Decimal(stored["cost"]) == FULL_COST  # the run_costs rollup
    assert await differences(sessions, t.handle.tenant_id, run) == []
    assert await daily_differences(sessions, t.handle.tenant_id) == []

    # the less detailed span once more changes nothing
    await send(live, t.ingest_key, export_body([poor], run))
    [again] = await charged(t, run)
    assert Decimal(again["cost"]) == FULL_COST


async def test_an_export_mixing_charged_and_new_calls_charges_only_the_new_ones(
    make_tenant, sessions, live
) -> None:
    """The claim statement answers only the keys claimed before (not one row per new claim):
    a later export holding a repeat of a charged call, a replay of a charged span and a new
    call stores the new calls alone, with no span rejected."""
    t = await otlp_tenant(make_tenant, sessions)
    run, a, b = ids()
    c, d = f"{b[:12]}0003", f"{b[:12]}0004"
    other_call = {**SDK_SPAN, "gen_ai.response.id": "msg_01LedgerFakeProvider0002"}
    await send(live, t.ingest_key, export_body([(trace_of(a), a, SDK_SPAN)], run))

    answer = await send(
        live,
        t.ingest_key,
        export_body(
            [
                (trace_of(b), b, OPENLLMETRY_SPAN),  # the same call as `a`: not charged
                (trace_of(a), a, SDK_SPAN),  # `a` itself again: a duplicate
                (trace_of(c), c, other_call),  # a new call: charged
                (trace_of(d), d, {k: v for k, v in TOTALS_SPAN.items() if "response" not in k}),
            ],
            run,
        ),
    )

    assert "partialSuccess" not in answer, answer
    events = sorted(await charged(t, run), key=lambda e: e["eventId"])
    assert [e["eventId"] for e in events] == sorted([a, c, d])
    by_id = {e["eventId"]: Decimal(e["cost"]) for e in events}
    assert by_id == {a: FULL_COST, c: FULL_COST, d: TOTALS_COST}


@pytest.mark.parametrize("child_first", [True, False], ids=["child first", "parent first"])
async def test_a_model_call_span_nested_in_another_is_the_same_call(
    make_tenant, sessions, live, child_first
) -> None:
    """Two instrumentations wrapping one client: no response id, the inner span a child of the
    outer one in the same trace; exported in separate requests."""
    t = await otlp_tenant(make_tenant, sessions)
    run, outer, inner = ids()
    plain = {k: v for k, v in OPENLLMETRY_SPAN.items() if k != "gen_ai.response.id"}
    trace = trace_of(outer)
    exports = [
        export_body([(trace, inner, plain)], run, parents={inner: outer}),
        export_body([(trace, outer, plain)], run),
    ]
    if not child_first:
        exports.reverse()

    for body in exports:
        await send(live, t.ingest_key, body)

    [event] = await charged(t, run)
    assert Decimal(event["cost"]) == FULL_COST


async def test_an_unbillable_span_is_told_to_the_sender_and_kept_in_ingest_health(
    make_tenant, sessions, live
) -> None:
    """An OpenInference span (openinference-instrumentation-openai 0.1.66) without a workflow."""
    t = await otlp_tenant(make_tenant, sessions)
    run, a, _ = ids()
    openinference = {
        "llm.system": "openai",
        "llm.model_name": "gpt-5-mini",
        "llm.token_count.prompt": 1000,
        "llm.token_count.completion": 200,
        "llm.token_count.prompt_details.cache_read": 600,
        "llm.token_count.completion_details.reasoning": 50,
        "openinference.span.kind": "LLM",
    }
    body = export_body(
        [(trace_of(a), a, openinference)],
        run,
        scope="openinference.instrumentation.openai",
        workflow=None,
    )

    answer = await send(live, t.ingest_key, body)

    assert answer["partialSuccess"]["rejectedSpans"] == "1"
    assert "no workflow" in answer["partialSuccess"]["errorMessage"]
    health = await t.handle.gql(HEALTH, {"r": ALL_DAYS})
    assert "errors" not in health, health
    [row] = health["data"]["ingestHealth"]
    assert (row["source"], row["workflowKey"], row["spans"]) == (
        "openinference.instrumentation.openai",
        "(none)",
        1,
    )
    assert row["reason"].startswith("rejected: no workflow")
    assert row["examples"][0].startswith(f"span {a}: no workflow")

    # another tenant sees none of it; a client viewer may not ask
    other = await make_tenant()
    assert (await other.gql(HEALTH, {"r": ALL_DAYS}))["data"]["ingestHealth"] == []
    made = await t.handle.gql('mutation { createClient(input: {name: "Acme"}) { clientId } }')
    client = uuid.UUID(made["data"]["createClient"]["clientId"])
    denied = await t.handle.gql(HEALTH, {"r": ALL_DAYS}, role=Role.CLIENT_VIEWER, client_id=client)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for role in (Role.ANALYST, Role.ENGINEER):
        seen = await t.handle.gql(HEALTH, {"r": ALL_DAYS}, role=role)
        assert len(seen["data"]["ingestHealth"]) == 1


async def test_nested_spans_of_two_different_response_ids_are_two_calls(
    make_tenant, sessions, live
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    run, outer, inner = ids()
    trace = trace_of(outer)
    await send(live, t.ingest_key, export_body([(trace, outer, OPENLLMETRY_SPAN)], run))
    second = {**OPENLLMETRY_SPAN, "gen_ai.response.id": "msg_01AnotherCall"}
    await send(
        live, t.ingest_key, export_body([(trace, inner, second)], run, parents={inner: outer})
    )

    assert sorted(e["eventId"] for e in await charged(t, run)) == sorted([outer, inner])


async def test_a_rejected_span_does_not_hold_its_call_against_a_later_report(
    make_tenant, sessions, live
) -> None:
    """A span refused at storing (no price in force) leaves no claim behind: another span of
    the same call, sent after the price is set, is charged."""
    t = await otlp_tenant(make_tenant, sessions)
    run, a, b = ids()
    unpriced = {**TOTALS_SPAN, "gen_ai.request.model": "claude-unpriced"}
    unpriced.pop("gen_ai.response.model", None)
    first = await send(live, t.ingest_key, export_body([(trace_of(a), a, unpriced)], run))
    assert first["partialSuccess"]["rejectedSpans"] == "1"

    priced = {**OPENLLMETRY_SPAN}  # same response id, a model with a price
    await send(live, t.ingest_key, export_body([(trace_of(b), b, priced)], run))

    [event] = await charged(t, run)
    assert (event["eventId"], Decimal(event["cost"])) == (b, FULL_COST)
