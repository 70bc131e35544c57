"""Decoding OTLP bodies: capped decompression, OTLP/JSON hex ids, attribute values, answers."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib

import pytest
from google.protobuf import json_format
from google.rpc import status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from app.ingest.otlp_decode import (
    JSON,
    PROTOBUF,
    BadBody,
    BodyTooLarge,
    content_coding,
    decode_spans,
    decompress,
    media_type,
)
from app.ingest.otlp_responses import export_response, rejection_message, status_bytes

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"


def otlp_json(**span_fields: object) -> dict:
    span = {
        "traceId": TRACE,
        "spanId": SPAN,
        "parentSpanId": "eee19b7ec3c1b173",
        "name": "chat claude",
        "kind": 3,  # enums are integers in OTLP/JSON
        "startTimeUnixNano": "1772359200000000000",  # 64-bit integers may be strings
        "endTimeUnixNano": 1772359201000000000,
        "attributes": [
            {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1200"}},
            {"key": "gen_ai.usage.cost.amount", "value": {"doubleValue": 0.25}},
            {"key": "ledger.campaign", "value": {"stringValue": "q2"}},
            {"key": "flag", "value": {"boolValue": True}},
            {"key": "list", "value": {"arrayValue": {"values": [{"intValue": 1}]}}},
            {"key": "map", "value": {"kvlistValue": {"values": [{"key": "k", "value": {}}]}}},
        ],
        "links": [{"traceId": TRACE, "spanId": "eee19b7ec3c1b170"}],
        "someFutureField": {"x": 1},  # unknown fields are ignored
        **span_fields,
    }
    resource = {"attributes": [{"key": "ledger.workflow", "value": {"stringValue": "support"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}


def test_media_types_and_codings() -> None:
    assert media_type("application/x-protobuf") == PROTOBUF
    assert media_type("Application/JSON; charset=utf-8") == JSON
    assert media_type("text/plain") is media_type(None) is None
    assert content_coding(None) == "" and content_coding(" GZIP ") == "gzip"
    assert content_coding("br") is None


def test_otlp_json_with_hex_ids_integer_enums_and_string_int64() -> None:
    body = json.dumps(otlp_json()).encode()
    [span] = decode_spans(body, media=JSON, coding="", limit=10_000)
    assert (span.trace_id, span.span_id) == (TRACE, SPAN)
    assert (span.start_ns, span.end_ns) == (1772359200000000000, 1772359201000000000)
    assert span.attributes == {
        "gen_ai.usage.input_tokens": 1200,
        "gen_ai.usage.cost.amount": 0.25,
        "ledger.campaign": "q2",
        "flag": True,
        "list": [1],
        "map": {"k": None},
    }
    assert span.resource == {"ledger.workflow": "support"}


def test_protobuf_and_json_decode_to_the_same_spans() -> None:
    document = otlp_json()
    as_json = decode_spans(json.dumps(document).encode(), media=JSON, coding="", limit=10_000)
    request = ExportTraceServiceRequest()
    span = request.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id = bytes.fromhex(TRACE), bytes.fromhex(SPAN)
    span.start_time_unix_nano, span.end_time_unix_nano = 1772359200000000000, 1772359201000000000
    span.attributes.add(key="ledger.campaign").value.string_value = "q2"
    proto = decode_spans(request.SerializeToString(), media=PROTOBUF, coding="", limit=10_000)
    assert (proto[0].trace_id, proto[0].span_id, proto[0].start_ns) == (
        as_json[0].trace_id,
        as_json[0].span_id,
        as_json[0].start_ns,
    )


@pytest.mark.parametrize(
    ("body", "media", "words"),
    [
        (b"\xff\xff\xff", PROTOBUF, "protobuf"),
        (b"{not json", JSON, "not valid JSON"),
        (b"[1, 2]", JSON, "JSON object"),
        (json.dumps(otlp_json(spanId="zz")).encode(), JSON, "not hex"),
        (json.dumps(otlp_json(startTimeUnixNano="soon")).encode(), JSON, "ExportTraceService"),
        (json.dumps({"resourceSpans": 5}).encode(), JSON, "ExportTraceServiceRequest"),
    ],
)
def test_undecodable_bodies(body: bytes, media: str, words: str) -> None:
    with pytest.raises(BadBody, match=words):
        decode_spans(body, media=media, coding="", limit=10_000)


def test_gzip_deflate_and_multi_member_gzip() -> None:
    data = b"x" * 5000
    assert decompress(gzip.compress(data), "gzip", limit=5000) == data
    assert decompress(zlib.compress(data), "deflate", limit=5000) == data
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    assert decompress(raw.compress(data) + raw.flush(), "deflate", limit=5000) == data
    two = gzip.compress(b"ab") + gzip.compress(b"cd")
    assert decompress(two, "x-gzip", limit=10) == b"abcd"


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    # 64 MiB of zeros compresses to ~64 KiB; decompression must stop just past 1 MiB.
    compressor = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(block) for _ in range(64)) + compressor.flush()
    assert len(bomb) < 100_000
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge):
            decompress(bomb, "gzip", limit=1024 * 1024)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024  # the 1 MiB limit plus a chunk and copies, not 64 MiB


@pytest.mark.parametrize(
    ("body", "coding"),
    [(gzip.compress(b"hello")[:-6], "gzip"), (b"not gzip", "gzip"), (b"nope", "deflate")],
)
def test_corrupt_or_truncated_streams(body: bytes, coding: str) -> None:
    with pytest.raises(BadBody):
        decompress(body, coding, limit=1000)


def test_identity_bodies_are_capped_too() -> None:
    with pytest.raises(BodyTooLarge):
        decompress(b"12345", "", limit=4)


def test_status_is_a_google_rpc_status() -> None:
    status = status_pb2.Status.FromString(status_bytes(3, "bad body: é" * 30))
    assert (status.code, status.message) == (3, "bad body: é" * 30)


def test_export_response_in_both_encodings() -> None:
    response = export_response(PROTOBUF, rejected=2, message="2 span(s) rejected")
    parsed = ExportTraceServiceResponse.FromString(response.body)
    assert (parsed.partial_success.rejected_spans, response.media_type) == (2, PROTOBUF)
    empty = export_response(JSON, rejected=0, message="")
    assert json.loads(empty.body) == {}
    message = json_format.Parse(
        export_response(JSON, rejected=1, message="m").body, ExportTraceServiceResponse()
    )
    assert message.partial_success.rejected_spans == 1


def test_rejection_message_is_bounded() -> None:
    spans = {f"{i:016x}": "ledger.workflow: unknown" for i in range(30)}
    message = rejection_message(spans, {"run-1": "ledger.client_id: no client"})
    assert message.startswith("30 span(s) rejected, 1 run(s) not started: span 0000000000000000:")
    assert message.endswith("… and 11 more")
    assert rejection_message({}, {}) == ""
