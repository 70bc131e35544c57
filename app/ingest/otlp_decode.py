"""Decoding an OTLP/HTTP traces body: content coding, protobuf or OTLP/JSON, then plain spans.

CPU-bound and synchronous on purpose: the endpoint runs `decode_spans` in a worker thread for big
bodies so the event loop keeps serving other requests.

- Content-Encoding `gzip` (also `x-gzip`), `deflate` (zlib-wrapped, or raw deflate) or none.
  Decompression stops as soon as the output would pass `limit` bytes: a gzip bomb costs at most
  `limit` bytes of memory before it is refused (BodyTooLarge → 413).
- `application/x-protobuf`: an `ExportTraceServiceRequest`.
- `application/json`: OTLP/JSON, which differs from protobuf's JSON mapping — trace and span ids
  are hex (not base64), enums may be integers, 64-bit integers may be strings, unknown fields are
  ignored. Hex ids are converted to base64 before `json_format.ParseDict(ignore_unknown_fields)`.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Iterator
from typing import Any

from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from app.domain.genai_spans import Span

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
MEDIA_TYPES = frozenset({PROTOBUF, JSON})
ENCODINGS = frozenset({"", "identity", "gzip", "x-gzip", "deflate"})
_CHUNK = 256 * 1024


class BadBody(ValueError):
    """The body cannot be decoded (400); the message says why."""


class BodyTooLarge(ValueError):
    """The (decompressed) body is larger than the limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the decompressed body exceeds {limit} bytes")
        self.limit = limit


def media_type(content_type: str | None) -> str | None:
    """`application/x-protobuf` or `application/json` (parameters ignored); None otherwise."""
    value = (content_type or "").split(";", 1)[0].strip().lower()
    return value if value in MEDIA_TYPES else None


def content_coding(content_encoding: str | None) -> str | None:
    """The normalised Content-Encoding ("" for none), or None when it is not supported."""
    value = (content_encoding or "").strip().lower()
    return value if value in ENCODINGS else None


def decompress(body: bytes, coding: str, *, limit: int) -> bytes:
    """The body without its content coding; BodyTooLarge past `limit` output bytes, BadBody when
    the compressed stream is corrupt or truncated."""
    if coding in ("", "identity"):
        if len(body) > limit:
            raise BodyTooLarge(limit)
        return body
    if coding == "deflate":
        try:
            return _inflate(body, zlib.MAX_WBITS, limit)
        except zlib.error:
            return _inflate(body, -zlib.MAX_WBITS, limit)  # raw deflate, sent by some clients
    return _inflate(body, 16 + zlib.MAX_WBITS, limit)


def _inflate(body: bytes, wbits: int, limit: int) -> bytes:
    out = bytearray()
    data = body
    try:
        while data:
            stream = zlib.decompressobj(wbits)
            while True:
                # At most _CHUNK new bytes per call, so the limit is checked before it is passed
                # by more than one chunk, however much the input would expand.
                piece = stream.decompress(data, _CHUNK)
                out += piece
                if len(out) > limit:
                    raise BodyTooLarge(limit)
                data = stream.unconsumed_tail
                if stream.eof or not (data or piece):
                    break
            if not stream.eof:
                raise BadBody(f"the {_name(wbits)} stream is truncated")
            # gzip allows several members back to back; anything after a zlib stream is ignored.
            data = stream.unused_data if wbits > zlib.MAX_WBITS else b""
    except zlib.error as exc:
        if wbits == zlib.MAX_WBITS:
            raise
        raise BadBody(f"the body is not valid {_name(wbits)}: {exc}") from exc
    return bytes(out)


def _name(wbits: int) -> str:
    return "gzip" if wbits > zlib.MAX_WBITS else "deflate"


def parse_request(data: bytes, media: str) -> ExportTraceServiceRequest:
    """The export request from a decoded body; BadBody when it is not one."""
    if media == PROTOBUF:
        try:
            request: ExportTraceServiceRequest = ExportTraceServiceRequest.FromString(data)
            return request
        except (DecodeError, RecursionError) as exc:
            raise BadBody(f"the body is not a protobuf ExportTraceServiceRequest: {exc}") from exc
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise BadBody(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadBody("the body must be a JSON object (an OTLP/JSON ExportTraceServiceRequest)")
    _hex_ids_to_base64(document)
    try:
        parsed: ExportTraceServiceRequest = json_format.ParseDict(
            document, ExportTraceServiceRequest(), ignore_unknown_fields=True
        )
        return parsed
    except (json_format.ParseError, RecursionError, TypeError, ValueError) as exc:
        raise BadBody(f"the body is not an OTLP/JSON ExportTraceServiceRequest: {exc}") from exc


def _items(parent: Any, *keys: str) -> Iterator[Any]:
    """The elements of the first list found under `keys` (camelCase or snake_case)."""
    if not isinstance(parent, dict):
        return
    for key in keys:
        value = parent.get(key)
        if isinstance(value, list):
            yield from value
            return


def _hex_ids_to_base64(document: dict[str, Any]) -> None:
    for resource_spans in _items(document, "resourceSpans", "resource_spans"):
        for scope_spans in _items(resource_spans, "scopeSpans", "scope_spans"):
            for span in _items(scope_spans, "spans"):
                _convert(span, ("traceId", "trace_id", "spanId", "span_id"))
                _convert(span, ("parentSpanId", "parent_span_id"))
                for link in _items(span, "links"):
                    _convert(link, ("traceId", "trace_id", "spanId", "span_id"))


def _convert(holder: Any, keys: tuple[str, ...]) -> None:
    if not isinstance(holder, dict):
        return
    for key in keys:
        value = holder.get(key)
        if not isinstance(value, str):
            continue
        try:
            holder[key] = base64.b64encode(bytes.fromhex(value)).decode("ascii")
        except ValueError:
            raise BadBody(f"{key} {value[:40]!r} is not hex (OTLP/JSON ids are hex)") from None


def flatten(request: ExportTraceServiceRequest) -> list[Span]:
    """Every span of the request with its attributes and its resource's, as plain values."""
    spans: list[Span] = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            scope = scope_spans.scope.name
            for span in scope_spans.spans:
                spans.append(
                    Span(  # positionally: keyword arguments cost more than the rest per span
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        span.start_time_unix_nano,
                        span.end_time_unix_nano,
                        _attributes(span.attributes),
                        resource,
                        span.parent_span_id.hex(),
                        scope,
                    )
                )
    return spans


def _attributes(pairs: Any) -> dict[str, Any]:
    # A repeated key keeps its last value, as the OTel SDKs do when setting attributes.
    # (A repeated KeyValue field holds only KeyValue messages: no type check per pair.)
    # Strings and integers, nearly every GenAI attribute, are read inline (no call per pair).
    attributes: dict[str, Any] = {}
    for pair in pairs:
        value = pair.value
        kind = value.WhichOneof("value")
        if kind == "string_value":
            attributes[pair.key] = value.string_value
        elif kind == "int_value":
            attributes[pair.key] = value.int_value
        else:
            attributes[pair.key] = _value(value)
    return attributes


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    # The common kinds first, read directly (getattr by name is slower per attribute).
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    return getattr(value, kind)


def decode_spans(body: bytes, *, media: str, coding: str, limit: int) -> list[Span]:
    """Decompress (capped at `limit` bytes), parse and flatten one export; BadBody/BodyTooLarge."""
    try:
        return flatten(parse_request(decompress(body, coding, limit=limit), media))
    except binascii.Error as exc:
        raise BadBody(str(exc)) from exc
