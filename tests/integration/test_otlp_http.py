"""`POST /v1/traces` over real HTTP with hand-written bodies: OTLP/JSON, every refusal with its
status code and google.rpc.Status body, size caps (a gzip bomb too), and overload answers."""

from __future__ import annotations

import asyncio
import gzip
import json
import zlib
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from google.rpc import status_pb2
from sqlalchemy import text

from app.db.sessions import TenantSessions, create_engine
from app.ingest.otlp import MAX_CONCURRENT_EXPORTS, ExportSlots
from tests.integration.otlp_support import new_id, otlp_tenant, run_of, serve, total_cost

TRACE = "5b8efff798038103d269b633813fc60c"


@pytest.fixture(scope="session")
async def live(app) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=30) as client:
        yield client


def attr(key: str, **value: Any) -> dict[str, Any]:
    return {"key": key, "value": value}


def otlp_json(correlation_id: str, client_id: str) -> dict[str, Any]:
    """OTLP/JSON as an exporter writes it: hex ids, integer enums, int64 as strings."""

    def span(span_id: str, start_s: int, *attributes: dict[str, Any]) -> dict[str, Any]:
        return {
            "traceId": TRACE,
            "spanId": span_id,
            "name": "span",
            "kind": 3,
            "startTimeUnixNano": str(1_772_359_200_000_000_000 + start_s * 10**9),
            "endTimeUnixNano": str(1_772_359_200_250_000_000 + start_s * 10**9),
            "attributes": list(attributes),
            "status": {"code": 1},
        }

    chat = span(
        f"{correlation_id[-8:]}00000001",
        0,
        attr("gen_ai.operation.name", stringValue="chat"),
        attr("gen_ai.provider.name", stringValue="anthropic"),
        attr("gen_ai.request.model", stringValue="claude-sonnet-4"),
        attr("gen_ai.usage.input_tokens", intValue="10000"),
        attr("gen_ai.usage.cache_read.input_tokens", intValue="8000"),
        attr("gen_ai.usage.output_tokens", intValue=0),
    )
    fee = span(
        f"{correlation_id[-8:]}00000002",
        1,
        attr("http.request.method", stringValue="POST"),
        attr("gen_ai.usage.cost.amount", doubleValue=0.0125),
        attr("gen_ai.usage.cost.currency", stringValue="USD"),
    )
    stray = span(
        f"{correlation_id[-8:]}00000003",
        2,
        attr("ledger.workflow", stringValue="nope"),
        attr("gen_ai.usage.cost.amount", stringValue="1.00"),
    )
    resource = {
        "attributes": [
            attr("ledger.workflow", stringValue="support"),
            attr("ledger.correlation_id", stringValue=correlation_id),
            attr("ledger.client_id", stringValue=client_id),
        ]
    }
    return {
        "resourceSpans": [
            {"resource": resource, "scopeSpans": [{"scope": {}, "spans": [chat, fee, stray]}]}
        ]
    }


async def post(
    live: httpx.AsyncClient, key: str, body: bytes, content_type: str, **headers: str
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type, **headers}
    return await live.post("/v1/traces", content=body, headers=headers)


async def test_otlp_json_export_with_partial_success_then_a_gzip_replay(
    make_tenant, sessions, live
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    made = await t.handle.gql('mutation { createClient(input: {name: "Acme"}) { clientId } }')
    client_id = made["data"]["createClient"]["clientId"]
    run_id = f"run-{new_id()}"
    body = json.dumps(otlp_json(run_id, client_id)).encode()

    response = await post(live, t.ingest_key, body, "application/json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"  # int64 is a string in (OTLP) JSON
    assert "no workflow 'nope'" in partial["errorMessage"]

    run = await run_of(t.handle, run_id)
    assert run is not None
    llm, fee = sorted(run["usage"], key=lambda u: u["kind"])
    # 2,000 uncached × $3.00 + 8,000 cache reads × $0.30 = 6,000 + 2,400 = 8,400 per million
    assert (llm["inputTokens"], llm["cacheReadTokens"], llm["cost"]) == (2000, 8000, "0.0084000000")
    assert (fee["kind"], Decimal(fee["cost"])) == ("THIRD_PARTY", Decimal("0.0125"))
    query = "query($id: String!) { run(correlationId: $id) { clientId } }"
    body_run = await t.handle.gql(query, {"id": run_id})
    assert body_run["data"]["run"]["clientId"] == client_id

    gzipped = {"Content-Encoding": "gzip"}
    replay = await post(live, t.ingest_key, gzip.compress(body), "application/json", **gzipped)
    assert replay.status_code == 200
    assert replay.json()["partialSuccess"]["rejectedSpans"] == "1"  # still the stray span
    assert await total_cost(t.handle) == "0.0209000000/2"  # 0.0084 + 0.0125, stored once


async def test_two_identical_exports_at_once_store_once(make_tenant, sessions, live) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    made = await t.handle.gql('mutation { createClient(input: {name: "Acme"}) { clientId } }')
    body = json.dumps(
        otlp_json(f"run-{new_id()}", made["data"]["createClient"]["clientId"])
    ).encode()
    replies = await asyncio.gather(
        *(post(live, t.ingest_key, body, "application/json") for _ in range(2))
    )
    assert [r.status_code for r in replies] == [200, 200]
    assert await total_cost(t.handle) == "0.0209000000/2"


@pytest.mark.parametrize(
    ("body", "content_type", "headers", "status", "code"),
    [
        (b"\xff\xff\xff\xff", "application/x-protobuf", {}, 400, 3),
        (b'{"resourceSpans": [', "application/json", {}, 400, 3),
        (b"\x1f\x8b\x08\x00garbage", "application/json", {"Content-Encoding": "gzip"}, 400, 3),
        (b"{}", "text/plain", {}, 415, 3),
        (b"{}", "application/json", {"Content-Encoding": "br"}, 415, 3),
    ],
)
async def test_refusals_carry_a_status_in_the_request_encoding(
    make_tenant, sessions, live, body, content_type, headers, status, code
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    response = await post(live, t.ingest_key, body, content_type, **headers)
    assert response.status_code == status, response.text
    if content_type == "application/x-protobuf":
        parsed = status_pb2.Status.FromString(response.content)
        assert (parsed.code, response.headers["content-type"]) == (code, content_type)
    else:
        assert response.json()["code"] == code


async def test_bodies_over_the_limit_are_refused_before_and_after_decompression(
    make_tenant, sessions, live, settings
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    limit = settings.max_body_bytes
    declared = await post(live, t.ingest_key, bytes(limit + 1), "application/x-protobuf")
    assert declared.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(limit // (1024 * 1024) + 1):
            yield bytes(1024 * 1024)

    streamed = await live.post(
        "/v1/traces",
        content=chunks(),
        headers={"Authorization": f"Bearer {t.ingest_key}", "Content-Type": "application/json"},
    )
    assert (streamed.status_code, streamed.json()["code"]) == (413, 8)  # RESOURCE_EXHAUSTED

    # A gzip bomb: 4 × the limit of zeros in ~0.1% of the size; refused at the limit.
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(block) for _ in range(4 * limit // len(block)))
    bomb += compressor.flush()
    assert len(bomb) < limit // 100
    gzipped = {"Content-Encoding": "gzip"}
    refused = await post(live, t.ingest_key, bomb, "application/x-protobuf", **gzipped)
    assert refused.status_code == 413
    assert "decompressed body exceeds" in status_pb2.Status.FromString(refused.content).message


async def test_too_many_exports_in_flight_is_429_with_retry_after(
    make_tenant, sessions, live, app
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    app.state.otlp_export_slots = ExportSlots(0)  # every slot taken
    try:
        response = await post(live, t.ingest_key, b"{}", "application/json")
    finally:
        app.state.otlp_export_slots = ExportSlots(MAX_CONCURRENT_EXPORTS)
    assert (response.status_code, response.headers["retry-after"]) == (429, "1")


async def test_a_database_pool_timeout_is_503_with_retry_after(
    make_tenant, sessions, live, app, migrated
) -> None:
    t = await otlp_tenant(make_tenant, sessions)
    engine = create_engine(migrated, pool_size=1, max_overflow=0, pool_timeout=0.2)
    tiny = TenantSessions(engine)
    # (not monkeypatch: its undo deletes attributes of Starlette's State instead of restoring)
    app.state.sessions = tiny
    body = json.dumps(otlp_json(f"run-{new_id()}", "00000000-0000-0000-0000-000000000000"))
    authenticator = app.state.authenticator
    try:
        async with tiny(t.handle.tenant_id) as held:  # the pool's only connection is busy
            await held.execute(text("SELECT 1"))
            storing = await post(live, t.ingest_key, body.encode(), "application/json")
            authenticator.sessions = tiny  # now the API key lookup cannot get a connection
            authenticating = await post(live, t.ingest_key, body.encode(), "application/json")
    finally:
        app.state.sessions = authenticator.sessions = sessions
        await engine.dispose()
    for response in (storing, authenticating):
        assert (response.status_code, response.headers["retry-after"]) == (503, "5")
        assert response.json()["code"] == 14  # UNAVAILABLE
