"""Storing the records of one OTLP export so that one bad span never rejects the whole export.

`ingest_records` is all-or-nothing and writes nothing when any record is invalid. OTLP wants
partial success instead, so: ingest the records; if ingest returns errors (nothing was written),
drop every record it named and ingest the rest once more, in the same transaction. Errors are
per record (unknown workflow or client, no price in force, a value too long for its column), so
the second pass succeeds; should it not, its records are reported as rejected too, and nothing
of that chunk is stored. Exports larger than `max_records` go in chunks of `max_records`.

An error on a usage record rejects its span; an error on a run record (a correlation id's run)
is reported in the message but rejects no span: that span's usage is still stored, as a
workflow-level cost until a run with its correlation id is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.ingest.otlp_mapping import Origin
from app.services.ingest import RecordError, ingest_records

# The span or resource attribute a record field comes from, so a reason names what to fix.
ATTRIBUTE_OF_FIELD = {
    "eventId": "spanId",
    "correlationId": "ledger.correlation_id",
    "workflowKey": "ledger.workflow",
    "clientId": "ledger.client_id",
    "occurredAt": "startTimeUnixNano",
    "startedAt": "startTimeUnixNano",
    "provider": "gen_ai.provider.name",
    "model": "gen_ai.response.model",
    "step": "ledger.step",
    "team": "ledger.team",
    "campaign": "ledger.campaign",
    "channel": "ledger.channel",
    "variant": "ledger.variant",
    "subject": "ledger.subject",
    "dimensions": "ledger.dimension.*",
    "reasoningEffort": "gen_ai.request.reasoning.level",
    "latencyMs": "endTimeUnixNano",
    "cost": "gen_ai.usage.cost.amount",
    "inputTokens": "gen_ai.usage.input_tokens",
    "outputTokens": "gen_ai.usage.output_tokens",
    "cacheReadTokens": "gen_ai.usage.cache_read.input_tokens",
    "cacheWriteTokens": "gen_ai.usage.cache_creation.input_tokens",
    "reasoningTokens": "gen_ai.usage.reasoning.output_tokens",
}

STILL_FAILING = "not stored: other spans of the export still failed validation after a retry"


@dataclass
class StoredSpans:
    """What storing did: rows inserted, records already stored, and why records were refused.

    `rejected_spans` maps span id hex → reason; `run_problems` maps correlation id → reason.
    """

    accepted: int = 0
    duplicates: int = 0
    rejected_spans: dict[str, str] = field(default_factory=dict)
    run_problems: dict[str, str] = field(default_factory=dict)
    # ROI windows marked dirty by the stored records: enqueue their recompute after commit.
    roi_windows: list[tuple[uuid.UUID, date]] = field(default_factory=list)


async def store_span_records(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    records: Sequence[dict[str, Any]],
    origins: Sequence[Origin],
    max_records: int,
) -> StoredSpans:
    """Ingest `records` (origins[i] says where records[i] came from) with partial success.

    Nothing is committed here: the caller's session commits, and only then may it answer.
    """
    result = StoredSpans()
    for start in range(0, len(records), max_records):
        chunk = list(range(start, min(start + max_records, len(records))))
        for attempt in (1, 2):
            outcome = await ingest_records(
                session=session, tenant_id=tenant_id, records=[records[i] for i in chunk]
            )
            if not outcome.errors:
                result.accepted += outcome.accepted
                result.duplicates += outcome.duplicates
                result.roi_windows += outcome.roi_windows
                break
            refused = _by_record(outcome.errors)
            if attempt == 2:  # defensive: a second pass that still fails stores nothing
                refused = {i: refused.get(i, STILL_FAILING) for i in range(len(chunk))}
            for position, reason in refused.items():
                origin = origins[chunk[position]]
                target = result.rejected_spans if origin.kind == "span" else result.run_problems
                target.setdefault(origin.ref, reason)
            chunk = [i for position, i in enumerate(chunk) if position not in refused]
            if not chunk:
                break
    return result


def _by_record(errors: Sequence[RecordError]) -> dict[int, str]:
    """Each refused record's position in the chunk → its problems, named by attribute."""
    reasons: dict[int, list[str]] = {}
    for error in errors:
        attribute = ATTRIBUTE_OF_FIELD.get(error.field, error.field)
        if error.field.startswith("dimensions."):  # one run dimension: its attribute
            attribute = "ledger.dimension." + error.field[len("dimensions.") :]
        reasons.setdefault(error.index, []).append(f"{attribute}: {error.message}")
    return {index: "; ".join(messages) for index, messages in reasons.items()}
