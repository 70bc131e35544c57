"""`POST /v1/traces`: OTLP/HTTP trace export of OpenTelemetry GenAI spans, as usage events.

Any standard OTel exporter can send here (protobuf or OTLP/JSON, gzip or deflate). Credentials
are those of /v1/events (API key or bearer token with the `ingest` scope). Which spans become
which usage events, and the `ledger.*` attributes, are in app.domain.genai_spans and docs/otlp.md.

Answers (OTLP/HTTP specification; bodies in the request's encoding):
- 200 ExportTraceServiceResponse, only after the transaction committed; spans that could not be
  mapped or stored are counted in `partial_success.rejected_spans`, with the reasons in
  `error_message` (the others are stored: see app.ingest.otlp_store). Spans that are not
  metered (plain HTTP spans, agent spans…) are ignored: neither stored nor rejected.
- 400 undecodable body; 401 missing/bad credential; 403 no `ingest` scope; 413 body over
  `max_body_bytes`, before or after decompression; 415 other content type or encoding;
- 429 Retry-After: n when the tenant's ingest token bucket (app/ingest/rate_limit.py) cannot
  take the batch's span records (message starts RATE_LIMITED; nothing written);
- 429 Retry-After: 1 when this process already handles MAX_CONCURRENT_EXPORTS exports (bounds
  the memory decoding can take); 503 Retry-After: 5 when the database cannot take the work (pool
  timeout, too many connections, connection lost, deadlock): exporters retry both.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from app.auth.principal import Scope
from app.domain.genai_spans import Span
from app.ingest.events import request_principal
from app.ingest.otlp_calls import ExportResult, store_export
from app.ingest.otlp_decode import (
    BadBody,
    BodyTooLarge,
    content_coding,
    decode_spans,
    media_type,
)
from app.ingest.otlp_mapping import SpanBatch, map_spans
from app.ingest.otlp_responses import export_response, rejection_message, status_response
from app.ingest.otlp_store import StoredSpans
from app.ingest.rate_limit import check_ingest_rate, rate_limited_message
from app.ingest.unavailable import DATABASE_UNAVAILABLE, RETRY_AFTER_DATABASE
from workers.jobs.roi import enqueue_recompute

log = logging.getLogger("ledger.ingest.otlp")

MAX_CONCURRENT_EXPORTS = 16
# Bodies above these sizes (wire bytes) are decoded and mapped in a worker thread, off the
# event loop: a 512-span export (~160 KB, ~11 KB gzip'd) takes tens of ms of Python, during
# which the loop could not drive the other requests' database round trips.
OFFLOAD_BYTES = 32 * 1024
OFFLOAD_COMPRESSED_BYTES = 4 * 1024
RETRY_AFTER_BUSY = "1"


class ExportSlots:
    """How many exports this process is decoding or storing now; beyond `capacity` → 429."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.busy = 0

    def try_acquire(self) -> bool:
        if self.busy >= self.capacity:
            return False
        self.busy += 1
        return True

    def release(self) -> None:
        self.busy -= 1


def export_slots(request: Request) -> ExportSlots:
    """The app's slots, created on first use (one per application instance)."""
    slots: ExportSlots | None = getattr(request.app.state, "otlp_export_slots", None)
    if slots is None:
        slots = request.app.state.otlp_export_slots = ExportSlots(MAX_CONCURRENT_EXPORTS)
    return slots


def database_unavailable(media: str | None, exc: BaseException) -> Response:
    log.warning("OTLP export refused, database unavailable: %r", exc)
    return status_response(
        media,
        503,
        "the ledger's database is busy; retry later",
        {"Retry-After": RETRY_AFTER_DATABASE},
    )


async def post_traces(request: Request) -> Response:
    media = media_type(request.headers.get("content-type"))
    try:  # an API key is looked up in the database
        principal = await request_principal(request)
    except DATABASE_UNAVAILABLE as exc:
        return database_unavailable(media, exc)
    if isinstance(principal, JSONResponse):
        return status_response(
            media,
            401,
            "Authentication required: send an API key (Authorization: Bearer olk_… or "
            "X-API-Key) or a bearer token.",
            {"WWW-Authenticate": principal.headers.get("www-authenticate", "Bearer")},
        )
    if not principal.can(Scope.INGEST):
        return status_response(media, 403, "Forbidden: OTLP ingest needs the `ingest` scope.")
    if media is None:
        return status_response(
            None, 415, "send application/x-protobuf or application/json (OTLP/HTTP traces)"
        )
    coding = content_coding(request.headers.get("content-encoding"))
    if coding is None:
        return status_response(media, 415, "Content-Encoding must be gzip, deflate or identity")

    slots = export_slots(request)
    if not slots.try_acquire():
        return status_response(
            media, 429, "too many exports in flight", {"Retry-After": RETRY_AFTER_BUSY}
        )
    try:
        return await _export(request, media, coding, principal.tenant_id)
    finally:
        slots.release()


async def _export(request: Request, media: str, coding: str, tenant_id: uuid.UUID) -> Response:
    settings = request.app.state.settings
    limit: int = settings.max_body_bytes
    try:
        body = await _read_body(request, limit)
        batch = await _decode_and_map(body, media=media, coding=coding, limit=limit)
    except BodyTooLarge as exc:
        return status_response(media, 413, str(exc))
    except BadBody as exc:
        return status_response(media, 400, str(exc))
    except ClientDisconnect:
        return Response(status_code=400)

    decision = await check_ingest_rate(request, tenant_id, len(batch.records))
    if not decision.admitted:
        return status_response(
            media,
            429,
            rate_limited_message(decision),
            {"Retry-After": str(decision.retry_after)},
        )
    result = ExportResult(StoredSpans(), {r.span_id: r.reason for r in batch.rejections})
    if batch.records or batch.rejections:
        try:
            async with request.app.state.sessions(tenant_id) as session:
                result = await store_export(
                    session=session,
                    tenant_id=tenant_id,
                    batch=batch,
                    max_records=settings.max_batch_records,
                )
        except DATABASE_UNAVAILABLE as exc:
            return database_unavailable(media, exc)
    # The session has committed by now: only now is the export acknowledged.
    stored, rejected = result.stored, result.rejected
    await enqueue_recompute(getattr(request.app.state, "arq", None), tenant_id, stored.roi_windows)
    log.info(
        "otlp export",
        extra={
            "tenant_id": str(tenant_id),
            "accepted": stored.accepted,
            "duplicates": stored.duplicates,
            "rejected_spans": len(rejected),
            "ignored_spans": batch.ignored,
            "same_call_spans": result.same_call,
            "corrected_events": result.corrected,
        },
    )
    message = rejection_message(rejected, stored.run_problems)
    return export_response(media, rejected=len(rejected), message=message)


async def _read_body(request: Request, limit: int) -> bytes:
    """The wire body; BodyTooLarge as soon as it passes `limit` bytes (or declares it will)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise BodyTooLarge(limit)
    except HTTPException as exc:  # the app-wide body limit tripped first
        if exc.status_code == 413:
            raise BodyTooLarge(limit) from exc
        raise
    return bytes(body)


async def _decode_and_map(body: bytes, *, media: str, coding: str, limit: int) -> SpanBatch:
    """Decode and map one export; in a worker thread when the body is big."""
    compressed = coding not in ("", "identity")
    if len(body) > OFFLOAD_BYTES or (compressed and len(body) > OFFLOAD_COMPRESSED_BYTES):
        return await asyncio.to_thread(_decode_and_map_now, body, media, coding, limit)
    return _decode_and_map_now(body, media, coding, limit)


def _decode_and_map_now(body: bytes, media: str, coding: str, limit: int) -> SpanBatch:
    spans: list[Span] = decode_spans(body, media=media, coding=coding, limit=limit)
    return map_spans(spans)
