"""A running ledger for OTLP tests (uvicorn on a free loopback port), and tenant/span factories.

`serve(app)` runs the session's `app` fixture (already started, so uvicorn's lifespan is off) as
a task on the session's event loop; the OTel SDK and its exporter are synchronous, so tests run
them with `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
import uvicorn
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app.services.tenancy.tenants import create_api_key

T0_NS = 1_772_359_200_000_000_000  # 2026-03-01T10:00:00Z
RANGE = {"from": "2026-03-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"}


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on a free 127.0.0.1 port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class OtlpTenant:
    """A tenant with workflow `support`, a price for anthropic/claude-sonnet-4 and API keys."""

    handle: Any
    ingest_key: str
    read_key: str


PRICE = """mutation { setModelPrice(input: {provider: "anthropic", model: "claude-sonnet-4",
  effectiveFrom: "2026-01-01T00:00:00Z", inputPerMillion: "3.00", outputPerMillion: "15.00",
  cacheReadPerMillion: "0.30", cacheWritePerMillion: "3.75"}) { modelPrice { id } } }"""


async def otlp_tenant(make_tenant: Callable[..., Any], sessions: Any) -> OtlpTenant:
    tenant = await make_tenant()
    body = await tenant.gql(
        'mutation { upsertWorkflow(input: {key: "support", name: "Support"}) { key } }'
    )
    assert body["data"]["upsertWorkflow"]["key"] == "support", body
    assert (await tenant.gql(PRICE))["data"]["setModelPrice"]["modelPrice"]["id"]
    ingest = await create_api_key(
        sessions=sessions, tenant_id=tenant.tenant_id, name="otel", scopes=["ingest"]
    )
    read = await create_api_key(
        sessions=sessions, tenant_id=tenant.tenant_id, name="ro", scopes=["read"]
    )
    return OtlpTenant(tenant, ingest.key, read.key)


@dataclass
class SpanSpec:
    """One span to record with the SDK: name, attributes, start offset and duration (ms)."""

    name: str
    attributes: dict[str, Any]
    start_ms: int = 0
    duration_ms: int = 1500
    children: list[SpanSpec] = field(default_factory=list)


def record_spans(
    specs: Sequence[SpanSpec], resource: dict[str, Any] | None = None
) -> list[ReadableSpan]:
    """Finished SDK spans (the real TracerProvider), each spec a root span of its own trace
    with its children in the same trace."""
    memory = InMemorySpanExporter()
    attributes = {"service.name": "agent", "ledger.workflow": "support", **(resource or {})}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("tests.otlp")

    def start(spec: SpanSpec, context: Any = None) -> None:
        begin = T0_NS + spec.start_ms * 1_000_000
        span = tracer.start_span(
            spec.name, context=context, attributes=spec.attributes, start_time=begin
        )
        child_context = trace.set_span_in_context(span)
        for child in spec.children:
            start(child, child_context)
        span.end(end_time=begin + spec.duration_ms * 1_000_000)

    for spec in specs:
        start(spec)
    provider.shutdown()
    return list(memory.get_finished_spans())


@dataclass
class Export:
    result: SpanExportResult
    responses: list[requests.Response]


def export(
    url: str,
    credential: str,
    spans: Sequence[ReadableSpan],
    *,
    compression: Compression = Compression.NoCompression,
) -> Export:
    """One export through the unmodified OTLPSpanExporter; responses captured by a hook."""
    responses: list[requests.Response] = []
    session = requests.Session()
    session.hooks["response"].append(lambda response, *a, **k: responses.append(response))
    exporter = OTLPSpanExporter(
        endpoint=f"{url}/v1/traces",
        headers={"Authorization": f"Bearer {credential}"},
        compression=compression,
        session=session,
        timeout=10,
    )
    try:
        return Export(exporter.export(spans), responses)
    finally:
        exporter.shutdown()


def chat_attributes(**extra: Any) -> dict[str, Any]:
    return {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "anthropic",
        "gen_ai.request.model": "claude-sonnet-4",
        **extra,
    }


RUN = """query($id: String!) { run(correlationId: $id) {
  workflowKey status startedAt campaign team cost
  usage { eventId kind model step inputTokens outputTokens cacheReadTokens cacheWriteTokens
          reasoningTokens cost } } }"""


async def run_of(handle: Any, correlation_id: str) -> dict[str, Any] | None:
    run: dict[str, Any] | None = (await handle.data(RUN, {"id": correlation_id}))["run"]
    return run


async def total_cost(handle: Any) -> str:
    body = await handle.gql(
        "query($r: TimeRange!) { costBreakdown(range: $r, groupBy: [WORKFLOW]) { cost events } }",
        {"r": RANGE},
    )
    assert "errors" not in body, body
    buckets = body["data"]["costBreakdown"]
    return "0" if not buckets else f"{buckets[0]['cost']}/{buckets[0]['events']}"


def new_id() -> str:
    return uuid.uuid4().hex[:12]
