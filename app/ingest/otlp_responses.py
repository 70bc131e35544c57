"""OTLP/HTTP answers in the request's encoding: ExportTraceServiceResponse and google.rpc.Status.

The OTLP specification: a 200 carries an `ExportTraceServiceResponse` (with `partial_success`
when spans were rejected), every 4xx/5xx a `google.rpc.Status`, both protobuf-encoded for
`application/x-protobuf` requests and JSON-encoded for `application/json` ones (and for requests
whose content type is not supported). Status has two scalar fields we set (code = 1, message =
2), so it is encoded here by hand rather than pulling in googleapis-common-protos.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from starlette.responses import Response

from app.ingest.otlp_decode import PROTOBUF

# google.rpc.Code of each HTTP status we answer with.
RPC_CODES = {400: 3, 401: 16, 403: 7, 413: 8, 415: 3, 429: 8, 503: 14}
MAX_REASONS = 20
MAX_MESSAGE = 4000


def export_response(media: str, *, rejected: int, message: str) -> Response:
    """200 with an ExportTraceServiceResponse; partial_success only when something was said."""
    response = ExportTraceServiceResponse()
    if rejected or message:
        response.partial_success.rejected_spans = rejected
        response.partial_success.error_message = message
    if media == PROTOBUF:
        return Response(response.SerializeToString(), 200, media_type=PROTOBUF)
    body = json_format.MessageToJson(response, indent=None)
    return Response(body, 200, media_type="application/json")


def status_response(
    media: str | None, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    """An HTTP error carrying a google.rpc.Status (protobuf for protobuf requests, else JSON)."""
    code = RPC_CODES.get(status, 2)  # 2 = UNKNOWN
    if media == PROTOBUF:
        return Response(status_bytes(code, message), status, headers, media_type=PROTOBUF)
    body = json.dumps({"code": code, "message": message})
    return Response(body, status, headers, media_type="application/json")


def status_bytes(code: int, message: str) -> bytes:
    """The protobuf encoding of google.rpc.Status{code, message}."""
    text = message.encode("utf-8")
    return b"\x08" + _varint(code) + b"\x12" + _varint(len(text)) + text


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def rejection_message(spans: Mapping[str, str], runs: Mapping[str, str]) -> str:
    """Why spans were rejected (and runs not stored), at most MAX_REASONS reasons."""
    reasons = [f"span {span_id}: {reason}" for span_id, reason in spans.items()]
    reasons += [f"run {correlation_id}: {reason}" for correlation_id, reason in runs.items()]
    if not reasons:
        return ""
    head = f"{len(spans)} span(s) rejected" if spans else "all spans stored"
    if runs:
        head += f", {len(runs)} run(s) not started"
    shown = "; ".join(reasons[:MAX_REASONS])
    if len(reasons) > MAX_REASONS:
        shown += f"; … and {len(reasons) - MAX_REASONS} more"
    message = f"{head}: {shown}"
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"
