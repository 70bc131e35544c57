"""Storing one OTLP export: one charge per provider call, and the ingest health of every span.

Between mapping (app.ingest.otlp_mapping) and storing (app.ingest.otlp_store):

1. Spans of one export that report the same provider call are collapsed to the most detailed
   (app.domain.provider_calls).
2. Each remaining model-call span claims its call key in `provider_calls` (one `INSERT … ON
   CONFLICT DO NOTHING`, keys sorted: a concurrent export claiming the same key waits for this
   transaction, then sees the claim). A key already claimed by another stored event, or a
   stored model-call span that is this span's parent or child, means the call is charged
   already: the span is not stored — unless it reports more token kinds, in which case the
   stored event is corrected in place (tokens, priced cost, provider, model), with an UPDATE
   that the rollup triggers (migrations 0007, 0009) turn into exact deltas, and its ROI window
   marked dirty. The stored event keeps its id, run and time.
3. The rest is stored with partial success; claims of spans that storing refused are withdrawn.
4. Every rejection, every span not charged because its call was, and every stored call whose
   span lacks detail its provider gives (e.g. no cached-token count from openai-v2) is counted
   in `ingest_health` by (UTC day, source, workflow, reason), with the latest examples.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.sessions import raw_connection
from app.db.tenant_sql import TenantSql
from app.domain.genai_spans import SpanRejection, SpanUsage
from app.domain.provider_calls import SameCall, call_key, collapse, replaces
from app.ingest.otlp_mapping import SpanBatch, records_of, usage_record
from app.ingest.otlp_store import StoredSpans, store_span_records
from app.services.ingest.analyse import analyse_grown_tables
from app.services.ingest.validation import validate_batch
from app.services.ingest.writes import usage_rows
from app.services.roi.dirty import mark_ingest

# The claims and, in the same round trip, the stored model-call spans that are the parent of
# one of these spans or a child of one (rows with `taken` null). Of the claims only the keys
# that were claimed already come back (`taken` true; usually none): answering a row per new
# claim cost the server and the driver more than the insert itself. Both parts read the
# snapshot taken before the insert: this export's own claims are not among the nested rows.
# When a claim conflicted (the insert may have waited for another export), the nested rows are
# read again after it (NESTED), as a separate statement sees that export's commit.
#
# Every read of `provider_calls` here is one index probe per key (`OFFSET 0` keeps each LATERAL
# a lookup by its full key), whatever the statistics say: a `key = ANY(…)` filter (or two, OR'd)
# over many keys is planned, on a table grown since its last analyse, as a read of the tenant's
# whole `tenant_id` index range, and on a small analysed one as a sequential scan — both grow
# with the tenant (tests/integration/test_ingest_plans.py). The tenant is written `{tenant}`:
# hidden from the planner on one PostgreSQL, the routing parameter on Citus (app.db.tenant_sql).
# A stored model-call span that is the parent of one of the spans `{spans}` (one of the parent
# span ids `{parents}`), or a child of one.
_NESTED_OF = """
SELECT c.call_key, c.event_id, c.detail, c.parent_span_id
FROM unnest({parents}::text[]) AS p(id)
CROSS JOIN LATERAL (
    SELECT call_key, event_id, detail, parent_span_id FROM provider_calls
    WHERE tenant_id = {tenant} AND event_id = p.id OFFSET 0
) AS c
UNION ALL
SELECT c.call_key, c.event_id, c.detail, c.parent_span_id
FROM unnest({spans}::text[]) AS s(id)
CROSS JOIN LATERAL (
    SELECT call_key, event_id, detail, parent_span_id FROM provider_calls
    WHERE tenant_id = {tenant} AND parent_span_id = s.id OFFSET 0
) AS c
"""
CLAIM = TenantSql(
    """
WITH claim AS (
    INSERT INTO provider_calls (tenant_id, call_key, event_id, detail, parent_span_id)
    SELECT $1::uuid, u.* FROM unnest($2::text[], $3::text[], $4::int2[], $5::text[]) AS u
    ORDER BY 1
    ON CONFLICT (tenant_id, call_key) DO NOTHING
    RETURNING call_key
), nested AS (
{nested}
)
SELECT true AS taken, k AS call_key, NULL::varchar AS event_id, NULL::int2 AS detail,
       NULL::varchar AS parent_span_id
FROM unnest($2::text[]) AS k
WHERE k NOT IN (SELECT call_key FROM claim)
UNION ALL
SELECT NULL, call_key, event_id, detail, parent_span_id FROM nested
""".replace("{nested}", _NESTED_OF.replace("{parents}", "$6").replace("{spans}", "$3").strip())
)
NESTED = TenantSql(_NESTED_OF.replace("{parents}", "$2").replace("{spans}", "$3"))
CLAIMED = TenantSql("""
SELECT c.call_key, c.event_id, c.detail
FROM unnest($2::text[]) AS k(key)
CROSS JOIN LATERAL (
    SELECT call_key, event_id, detail FROM provider_calls
    WHERE tenant_id = {tenant} AND call_key = k.key OFFSET 0
) AS c
""")
REPOINT = """
UPDATE provider_calls SET event_id = $3, detail = $4
WHERE tenant_id = $1 AND call_key = ANY($2::text[])
"""
RAISE_DETAIL = "UPDATE provider_calls SET detail = $3 WHERE tenant_id = $1 AND event_id = $2"
WITHDRAW = TenantSql("""
DELETE FROM provider_calls
WHERE tenant_id = $1 AND ctid = ANY(ARRAY(
    SELECT c.ctid FROM unnest($2::text[]) AS e(id)
    CROSS JOIN LATERAL (
        SELECT ctid FROM provider_calls
        WHERE tenant_id = {tenant} AND event_id = e.id OFFSET 0
    ) AS c
))
""")


CORRECT = """
UPDATE usage_events SET provider = $3, model = $4, input_tokens = $5, output_tokens = $6,
    cache_read_tokens = $7, cache_write_tokens = $8, reasoning_tokens = $9,
    reasoning_effort = coalesce($10, reasoning_effort), cost = $11::numeric,
    cost_source = $12, price_effective_from = $13
WHERE tenant_id = $1 AND event_id = $2
RETURNING correlation_id, workflow_id, occurred_at
"""
HEALTH = """
INSERT INTO ingest_health AS h
    (tenant_id, day, source, workflow_key, reason, spans, examples, last_seen_at)
SELECT $1::uuid, u.day, u.source, u.workflow_key, u.reason, u.spans,
       ARRAY(SELECT jsonb_array_elements_text(u.examples::jsonb)), $7
FROM unnest($2::date[], $3::text[], $4::text[], $5::text[], $6::int8[], $8::text[])
    AS u (day, source, workflow_key, reason, spans, examples)
ORDER BY 2, 3, 4, 5
ON CONFLICT (tenant_id, day, source, workflow_key, reason) DO UPDATE
SET spans = h.spans + EXCLUDED.spans,
    -- The newest five: trim_array, not a [1:5] slice, which crashes a Citus 13.2 coordinator
    -- in this statement (docs/scale-out.md).
    examples = trim_array(EXCLUDED.examples || h.examples,
                          greatest(cardinality(EXCLUDED.examples || h.examples) - 5, 0)),
    last_seen_at = EXCLUDED.last_seen_at
"""
MAX_EXAMPLES = 5
UNKNOWN_SOURCE = "unknown"
NO_WORKFLOW = "(none)"
GAP_REASON = {
    "input": "input tokens not reported (the provider reports them)",
    "cache_read": "cache-read tokens not reported (billed as uncached input)",
    "cache_write": "cache-write tokens not reported (billed as uncached input)",
    "reasoning": "reasoning tokens not reported (billed as output)",
}


@dataclass
class ExportResult:
    """What storing one export did, and the ROI windows to enqueue after commit."""

    stored: StoredSpans
    rejected: dict[str, str] = field(default_factory=dict)  # span id → reason
    same_call: int = 0  # spans not charged: their provider call was
    corrected: int = 0  # stored events corrected by a more detailed span
    replayed: set[str] = field(default_factory=set)  # spans whose call they claimed before
    claimed: set[str] = field(default_factory=set)  # spans whose call this export claimed
    corrected_windows: list[tuple[uuid.UUID, date]] = field(default_factory=list)


@dataclass
class _Health:
    rows: dict[tuple[date, str, str, str], list[str]] = field(default_factory=dict)

    def add(self, day: date, source: str, workflow: str | None, reason: str, example: str) -> None:
        key = (day, source or UNKNOWN_SOURCE, workflow or NO_WORKFLOW, reason[:300])
        self.rows.setdefault(key, []).append(example[:500])


async def store_export(
    *, session: AsyncSession, tenant_id: uuid.UUID, batch: SpanBatch, max_records: int
) -> ExportResult:
    """Store `batch` for `tenant_id` in the session's transaction (the caller commits)."""
    conn = await raw_connection(session)
    await analyse_grown_tables(conn, session)  # before the claims: plans from real statistics
    now = datetime.now(UTC)
    health = _Health()
    winners, repeats = collapse(batch.usages)
    by_span = {u.span_id: u for u in batch.usages}
    result = ExportResult(stored=StoredSpans())
    for repeat in repeats:
        _note_repeat(health, by_span[repeat.span_id], repeat, now)
    result.same_call += len(repeats)

    charged = await _settle_stored_calls(conn, tenant_id, winners, result, health, now)
    if len(charged) == len(batch.usages) and all(
        a is b for a, b in zip(charged, batch.usages, strict=True)
    ):
        records, origins = batch.records, batch.origins  # every span is charged: as mapped
    else:
        records, origins = records_of(charged)
    if records:
        result.stored = await store_span_records(
            session=session,
            tenant_id=tenant_id,
            records=records,
            origins=origins,
            max_records=max_records,
        )
    result.stored.roi_windows += result.corrected_windows
    refused = sorted(result.claimed.intersection(result.stored.rejected_spans))
    if refused:  # their claims point at nothing: withdrawn (a stored event's claim stays)
        await conn.execute(await WITHDRAW.on(conn), tenant_id, refused)
    result.rejected.update(result.stored.rejected_spans)

    for rejection in batch.rejections:
        result.rejected[rejection.span_id] = rejection.reason
        _note_rejection(health, rejection.span_id, rejection.reason, rejection, now)
    for span_id, reason in result.stored.rejected_spans.items():
        usage = by_span[span_id]
        rejection = SpanRejection(span_id, reason, usage.workflow_key, usage.source)
        _note_rejection(health, span_id, reason, rejection, now)
    not_stored = result.stored.rejected_spans.keys() | result.replayed
    for usage in charged:
        if usage.gaps and usage.span_id not in not_stored:
            _note_gaps(health, usage, now)
    await _write_health(conn, tenant_id, health, now)
    return result


async def _settle_stored_calls(
    conn: Any,
    tenant_id: uuid.UUID,
    winners: Sequence[SpanUsage],
    result: ExportResult,
    health: _Health,
    now: datetime,
) -> list[SpanUsage]:
    """Claim the calls of `winners`; returns the spans to store (not yet charged calls)."""
    keyed = [(call_key(u), u) for u in winners]
    claims = sorted((key, u) for key, u in keyed if key is not None)
    if not claims:
        return list(winners)
    parents_of_claims = sorted({u.parent_span_id for _, u in claims if u.parent_span_id})
    rows = await conn.fetch(
        await CLAIM.on(conn),
        tenant_id,
        [key for key, _ in claims],
        [u.span_id for _, u in claims],
        [u.detail for _, u in claims],
        [u.parent_span_id or None for _, u in claims],
        parents_of_claims,
    )
    taken_keys = {row["call_key"] for row in rows if row["taken"]}
    new = {key for key, _ in claims if key not in taken_keys}
    result.claimed |= {u.span_id for key, u in claims if key in new}
    taken = [key for key, _ in claims if key in taken_keys]
    stored_for: dict[str, tuple[str, int]] = {}
    if taken:
        for row in await conn.fetch(await CLAIMED.on(conn), tenant_id, taken):
            stored_for[row["call_key"]] = (row["event_id"], row["detail"])
    # Newly claimed calls may still be nested in (or around) a stored model-call span. Rows
    # about spans not newly claimed match none of the fresh spans below.
    fresh = [(key, u) for key, u in claims if key in new]
    if fresh:
        spans = [u.span_id for _, u in fresh]
        if taken:  # the insert may have waited for another export: read after it
            parents = [u.parent_span_id for _, u in fresh if u.parent_span_id]
            nested = await conn.fetch(await NESTED.on(conn), tenant_id, parents, spans)
        else:
            nested = [row for row in rows if row["taken"] is None]
        mine = set(spans)
        for key, usage in fresh:
            for row in nested:
                if row["event_id"] in mine:
                    continue  # this export's own claims
                if _different_calls(key, row["call_key"]):
                    continue
                if row["event_id"] == usage.parent_span_id or row["parent_span_id"] == (
                    usage.span_id
                ):
                    stored_for[key] = (row["event_id"], row["detail"])
                    await conn.execute(REPOINT, tenant_id, [key], row["event_id"], row["detail"])
                    break

    charged: list[SpanUsage] = []
    for maybe_key, usage in keyed:
        stored = stored_for.get(maybe_key) if maybe_key is not None else None
        if stored is None or stored[0] == usage.span_id:  # new, or a replay of itself
            if stored is not None:
                result.replayed.add(usage.span_id)
            charged.append(usage)
            continue
        event_id, detail = stored
        if replaces(detail, usage.detail):
            problem = await _correct(conn, tenant_id, event_id, usage, result)
            if problem is not None:
                result.rejected[usage.span_id] = problem
                rejection = SpanRejection(usage.span_id, problem, usage.workflow_key, usage.source)
                _note_rejection(health, usage.span_id, problem, rejection, now)
                continue
            await conn.execute(RAISE_DETAIL, tenant_id, event_id, usage.detail)
            result.corrected += 1
        result.same_call += 1
        _note_repeat(health, usage, SameCall(usage.span_id, event_id), now)
    return charged


async def _correct(
    conn: Any, tenant_id: uuid.UUID, event_id: str, usage: SpanUsage, result: ExportResult
) -> str | None:
    """Rewrite stored event `event_id` with the tokens and price of the more detailed `usage`;
    the reason when `usage` cannot be priced (nothing changes then)."""
    valid, errors = await validate_batch(conn=conn, tenant_id=tenant_id, raw=[usage_record(usage)])
    if valid is None:
        return "; ".join(f"{e.field}: {e.message}" for e in errors)
    rows = valid.usage_rows or usage_rows(valid.usage, valid.workflow_ids)
    row = rows[0]
    updated = await conn.fetch(
        CORRECT, tenant_id, event_id, row[6], row[7], row[10], row[11], row[12], row[13],
        row[14], row[15], row[17], row[18], row[19],
    )  # fmt: skip
    if updated:
        stored = updated[0]
        day = stored["occurred_at"].astimezone(UTC).date()
        result.corrected_windows += await mark_ingest(
            conn, tenant_id, usage=[(stored["correlation_id"], stored["workflow_id"], day)]
        )
    return None


def _different_calls(key: str, other: str) -> bool:
    """Two response-id keys that differ name two calls, whatever the spans' nesting."""
    return key.startswith("response:") and other.startswith("response:") and key != other


def _note_repeat(health: _Health, usage: SpanUsage, repeat: SameCall, now: datetime) -> None:
    if not repeat.kept:
        reason = "wrapper of several model calls (its children are charged)"
        example = f"span {repeat.span_id}: the model calls under it are charged"
    else:
        reason = "same provider call as a span already charged (not charged again)"
        example = f"span {repeat.span_id}: same call as span {repeat.kept}"
    health.add(now.date(), usage.source, usage.workflow_key, reason, example)


def _note_rejection(
    health: _Health, span_id: str, reason: str, rejection: SpanRejection, now: datetime
) -> None:
    health.add(
        now.date(),
        rejection.source,
        rejection.workflow_key,
        "rejected: " + reason_class(reason),
        f"span {span_id}: {reason}",
    )


def _note_gaps(health: _Health, usage: SpanUsage, now: datetime) -> None:
    for gap in sorted(usage.gaps):
        health.add(
            now.date(),
            usage.source,
            usage.workflow_key,
            GAP_REASON[gap],
            f"span {usage.span_id}: {usage.provider} {usage.model or ''}".rstrip(),
        )


_VARYING = re.compile(r"\(got [^)]*\)|'[^']*'|\"[^\"]*\"|\b[0-9a-f]{16,32}\b|\d+")


def reason_class(reason: str) -> str:
    """A rejection's reason without the values that vary per span (counts, ids, quoted names),
    so that one cause is one health row."""
    return re.sub(r"\s+", " ", _VARYING.sub("…", reason)).strip()[:280]


async def _write_health(conn: Any, tenant_id: uuid.UUID, health: _Health, now: datetime) -> None:
    if not health.rows:
        return
    keys = sorted(health.rows)
    await conn.execute(
        HEALTH,
        tenant_id,
        [k[0] for k in keys],
        [k[1] for k in keys],
        [k[2] for k in keys],
        [k[3] for k in keys],
        [len(health.rows[k]) for k in keys],
        now,
        [json.dumps(health.rows[k][-MAX_EXAMPLES:][::-1]) for k in keys],
    )
