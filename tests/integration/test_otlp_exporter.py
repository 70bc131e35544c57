"""`POST /v1/traces` through the unmodified OpenTelemetry SDK and its OTLP/HTTP exporter, sending
protobuf (plain and gzip) to a running server; results are read back through GraphQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from google.rpc import status_pb2
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.trace.export import SpanExportResult

from app.auth.principal import Role
from tests.integration.otlp_support import (
    SpanSpec,
    chat_attributes,
    export,
    new_id,
    otlp_tenant,
    record_spans,
    run_of,
    serve,
    total_cost,
)


@pytest.fixture(scope="session")
async def live_url(app) -> AsyncIterator[str]:
    async with serve(app) as url:
        yield url


def agent_trace(correlation_id: str) -> SpanSpec:
    """An agent span (not metered) over a chat call with cached and reasoning tokens, a paid
    tool call and a plain HTTP call (not metered)."""
    tag = {"ledger.correlation_id": correlation_id}
    chat = chat_attributes(
        **tag,
        **{
            "gen_ai.usage.input_tokens": 10_000,  # includes the 8,000 cache reads
            "gen_ai.usage.cache_read.input_tokens": 8_000,
            "gen_ai.usage.output_tokens": 700,  # includes the 200 reasoning tokens
            "gen_ai.usage.reasoning.output_tokens": 200,
            "gen_ai.agent.name": "drafter",
            "ledger.campaign": "spring",
        },
    )
    tool = {
        **tag,
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "enrich_lead",
        "gen_ai.usage.cost.amount": "0.0040",
    }
    agent = {**tag, "gen_ai.operation.name": "invoke_agent", "gen_ai.usage.input_tokens": 10_000}
    return SpanSpec(
        "invoke_agent support",
        agent,
        duration_ms=5000,
        children=[
            SpanSpec("chat claude-sonnet-4", chat, start_ms=100, duration_ms=1234),
            SpanSpec("execute_tool enrich_lead", tool, start_ms=2000, duration_ms=50),
            SpanSpec("GET /crm", {"http.request.method": "GET"}, start_ms=2100),
        ],
    )


async def test_gzip_protobuf_export_prices_cached_tokens_once(
    make_tenant, sessions, live_url
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    run_id = f"run-{new_id()}"
    spans = await asyncio.to_thread(record_spans, [agent_trace(run_id)])
    sent = await asyncio.to_thread(
        export, live_url, t.ingest_key, spans, compression=Compression.Gzip
    )

    assert sent.result is SpanExportResult.SUCCESS
    [response] = sent.responses
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    assert response.request.headers["Content-Encoding"] == "gzip"
    assert not ExportTraceServiceResponse.FromString(response.content).HasField("partial_success")

    run = await run_of(t.handle, run_id)
    assert run is not None
    assert (run["workflowKey"], run["status"], run["campaign"]) == ("support", "RUNNING", "spring")
    # startedAt = the earliest metered span (the chat call, 100 ms after the agent span began)
    assert datetime.fromisoformat(run["startedAt"]) == datetime(2026, 3, 1, 10, 0, 0, 100_000, UTC)
    llm, tool = sorted(run["usage"], key=lambda u: u["kind"])
    assert (llm["kind"], llm["model"], llm["step"]) == ("LLM", "claude-sonnet-4", "drafter")
    assert (llm["inputTokens"], llm["cacheReadTokens"]) == (2_000, 8_000)
    assert (llm["outputTokens"], llm["reasoningTokens"]) == (500, 200)
    # 2,000 uncached × $3.00 + 8,000 cache reads × $0.30 + 500 output × $15 + 200 reasoning × $15
    # (no reasoning rate: the output rate) = 6,000 + 2,400 + 7,500 + 3,000 = 18,900 per million
    assert Decimal(llm["cost"]) == Decimal("0.0189")
    assert (tool["kind"], Decimal(tool["cost"])) == ("TOOL", Decimal("0.0040"))
    assert Decimal(run["cost"]) == Decimal("0.0229")  # 0.0189 + 0.0040


async def test_replaying_an_export_stores_nothing_new(make_tenant, sessions, live_url) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    spans = await asyncio.to_thread(record_spans, [agent_trace(f"run-{new_id()}")])
    first = await asyncio.to_thread(export, live_url, t.ingest_key, spans)
    before = await total_cost(t.handle)
    second = await asyncio.to_thread(export, live_url, t.ingest_key, spans)

    assert first.result is second.result is SpanExportResult.SUCCESS
    assert before == "0.0229000000/2"  # the chat call and the tool call
    assert await total_cost(t.handle) == before
    reply = ExportTraceServiceResponse.FromString(second.responses[0].content)
    assert reply.partial_success.rejected_spans == 0


async def test_bad_spans_are_rejected_in_partial_success_and_the_rest_stored(
    make_tenant, sessions, live_url
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    tokens = {"gen_ai.usage.input_tokens": 1_000_000, "gen_ai.usage.output_tokens": 0}
    good_run = f"run-{new_id()}"
    specs = [
        SpanSpec("chat ok", chat_attributes(**tokens, **{"ledger.correlation_id": good_run})),
        SpanSpec("chat unknown workflow", chat_attributes(**tokens, **{"ledger.workflow": "nope"})),
        SpanSpec("chat unpriced", chat_attributes(**tokens, **{"gen_ai.request.model": "gpt-x"})),
        SpanSpec(
            "chat inconsistent",
            chat_attributes(**tokens, **{"gen_ai.usage.cache_read.input_tokens": 1_000_001}),
        ),
        SpanSpec("GET /health", {"http.request.method": "GET"}),
    ]
    spans = await asyncio.to_thread(record_spans, specs)
    sent = await asyncio.to_thread(export, live_url, t.ingest_key, spans)

    assert sent.result is SpanExportResult.SUCCESS  # partial success is still a 200
    partial = ExportTraceServiceResponse.FromString(sent.responses[0].content).partial_success
    assert partial.rejected_spans == 3  # the plain HTTP span is ignored, not rejected
    message = partial.error_message
    assert "ledger.workflow: no workflow 'nope' in this tenant" in message
    assert "gen_ai.usage.cost.amount: no price in force for anthropic/gpt-x" in message
    assert "input_tokens must include the cached tokens" in message
    assert "1 run(s) not started" in message  # the unknown workflow's run
    # 1,000,000 input tokens × $3.00 per million
    run = await run_of(t.handle, good_run)
    assert run is not None and Decimal(run["cost"]) == Decimal("3")
    assert await total_cost(t.handle) == "3.0000000000/1"


async def test_credentials_and_scopes(make_tenant, sessions, live_url) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    spans = await asyncio.to_thread(record_spans, [agent_trace(f"run-{new_id()}")])
    cases = [
        ("olk_not-a-real-key", 401, 16),  # UNAUTHENTICATED
        (t.read_key, 403, 7),  # PERMISSION_DENIED: a read-only key
        (t.handle.token(Role.ANALYST), 403, 7),
        (t.handle.token(Role.ENGINEER), 200, None),
    ]
    for credential, status, code in cases:
        sent = await asyncio.to_thread(export, live_url, credential, spans)
        [response] = sent.responses  # 401/403 are not retried
        assert response.status_code == status, (credential[:12], response.content)
        if code is not None:
            assert sent.result is SpanExportResult.FAILURE
            assert status_pb2.Status.FromString(response.content).code == code
    assert await total_cost(t.handle) == "0.0229000000/2"
