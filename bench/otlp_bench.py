"""OTLP benchmark: `POST /v1/traces` (protobuf, gzip) vs `POST /v1/events` with the same usage.

Both go through a real uvicorn server (`ledger serve` in a subprocess) into tenants of their own,
in the same run, in batches of the OTel SDK's default export size (512 spans). The traces path
does everything an exporter gets: gzip, protobuf decoding, per-span mapping (token subtraction,
tags), a run per correlation id, validation, pricing, the idempotent insert and the commit. The
events path sends the equivalent usage and run records as JSON — the fastest honest alternative
already in the product. Also measured in-process: decoding and mapping alone.

    .venv/bin/python -m bench.otlp_bench                  # 20,480 spans
    .venv/bin/python -m bench.otlp_bench --spans 102400
"""

from __future__ import annotations

import asyncio
import gzip
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from app.ingest.otlp_decode import JSON, PROTOBUF, decode_spans
from app.ingest.otlp_mapping import map_spans
from bench.common import (
    PRICE,
    api_server,
    command_line,
    events_body,
    fresh_database,
    make_tenant,
    servers,
    table,
)

T0_NS = 1_790_000_000_000_000_000  # 2026-09-21
SPANS_PER_RUN = 5


def fill_genai_span(
    target: Any, *, trace: int, span: int, start_ns: int, provider: str, model: str, i: int
) -> None:
    """One GenAI chat span as the benchmarks send it: 3,800–4,199 input tokens of which 3,000
    cached, 200–349 output tokens, one of three agent steps (all varying with `i`)."""
    target.trace_id = trace.to_bytes(16, "big")
    target.span_id = span.to_bytes(8, "big")
    target.name = f"chat {model}"
    target.start_time_unix_nano = start_ns
    target.end_time_unix_nano = start_ns + 900_000_000
    for key, value in (
        ("gen_ai.operation.name", "chat"),
        ("gen_ai.provider.name", provider),
        ("gen_ai.request.model", model),
        ("gen_ai.agent.name", ("planner", "drafter", "verifier")[i % 3]),
    ):
        target.attributes.add(key=key).value.string_value = value
    for key, count in (
        ("gen_ai.usage.input_tokens", 3800 + i % 400),
        ("gen_ai.usage.cache_read.input_tokens", 3000),
        ("gen_ai.usage.output_tokens", 200 + i % 150),
    ):
        target.attributes.add(key=key).value.int_value = count


def export_request(batch: int, size: int) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.add(key="ledger.workflow").value.string_value = "outreach"
    spans = resource_spans.scope_spans.add().spans
    for j in range(size):
        i = batch * size + j
        fill_genai_span(
            spans.add(),
            trace=i // SPANS_PER_RUN + 1,
            span=i + 1,
            start_ns=T0_NS + i * 1_000_000_000,
            provider=PRICE.provider,
            model=PRICE.model,
            i=i,
        )
    return request


async def post_interleaved(
    base: str, sends: list[tuple[str, str, list[bytes], dict[str, str]]]
) -> list[float]:
    """Seconds spent by each (key, path, bodies, headers), sending their batches in turns so
    neither path runs on a warmer server or a smaller table than the other."""
    spent = [0.0] * len(sends)
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        for batch in range(len(sends[0][2])):
            for n, (key, path, bodies, headers) in enumerate(sends):
                started = time.perf_counter()
                response = await client.post(
                    path,
                    content=bodies[batch],
                    headers={"Authorization": f"Bearer {key}", **headers},
                )
                spent[n] += time.perf_counter() - started
                assert response.status_code == 200, response.text[:500]
                if path == "/v1/traces":
                    assert response.content == b"", response.content[:500]  # all stored
    return spent


async def main(spans: int, batch_size: int) -> None:
    requests = [export_request(b, batch_size) for b in range(spans // batch_size)]
    protobuf = [r.SerializeToString() for r in requests]
    gzipped = [gzip.compress(body) for body in protobuf]
    events = [events_body(r.SerializeToString()) for r in requests]

    started = time.perf_counter()
    for body in gzipped:
        map_spans(decode_spans(body, media=PROTOBUF, coding="gzip", limit=1 << 30))
    decode_s = time.perf_counter() - started

    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            traces_tenant = await make_tenant(db.settings, "otlp")
            events_tenant = await make_tenant(db.settings, "events")
            with api_server(db.settings) as base:
                events_s, traces_s = await post_interleaved(
                    base,
                    [
                        (events_tenant.api_key, "/v1/events", events, {"Content-Type": JSON}),
                        (
                            traces_tenant.api_key,
                            "/v1/traces",
                            gzipped,
                            {"Content-Type": PROTOBUF, "Content-Encoding": "gzip"},
                        ),
                    ],
                )
    rows = [
        ["decode + map only (in process)", f"{spans / decode_s:,.0f}", f"{decode_s:.2f}", "—"],
        ["POST /v1/events (JSON records)", f"{spans / events_s:,.0f}", f"{events_s:.2f}", "1.00"],
        [
            "POST /v1/traces (protobuf, gzip)",
            f"{spans / traces_s:,.0f}",
            f"{traces_s:.2f}",
            f"{traces_s / events_s:.2f}",
        ],
    ]
    print(
        f"{spans:,} LLM spans, {batch_size} per request, {spans // SPANS_PER_RUN:,} runs, "
        f"gzip body {sum(map(len, gzipped)) // len(gzipped):,} B, "
        f"JSON body {sum(map(len, events)) // len(events):,} B per request"
    )
    print(table(rows, ["path", "spans/s", "seconds", "time vs events"]))


if __name__ == "__main__":
    parser = command_line(__doc__)
    parser.add_argument("--spans", type=int, default=20_480)
    parser.add_argument("--batch", type=int, default=512)
    args = parser.parse_args()
    asyncio.run(main(args.spans, args.batch))
