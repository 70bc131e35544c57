"""A batch of decoded spans → ingest records, remembering which span or run each record came from.

Pure (no I/O): `app.domain.genai_spans.map_span` decides per span; this module shapes the metered
spans into the records `app.services.ingest.ingest_records` takes — one usage record per span
(event id = span id hex) followed by one run record per correlation id — and keeps, for every
record, its origin so that an ingest error on record i can be reported against its span.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.domain.genai_spans import Span, SpanRejection, SpanUsage, map_span
from app.domain.genai_tags import DIMENSION_TAG_PREFIX, RUN_TAGS, InvalidTag, read_tags


@dataclass(frozen=True)
class Origin:
    """Where an ingest record came from: a span (by span id hex) or a run (by correlation id)."""

    kind: Literal["span", "run"]
    ref: str


@dataclass
class SpanBatch:
    """The records of one export, their origins (same order), and the spans refused before
    ingest. `ignored` counts spans that are not metered (neither stored nor rejected)."""

    records: list[dict[str, Any]] = field(default_factory=list)
    origins: list[Origin] = field(default_factory=list)
    rejections: list[SpanRejection] = field(default_factory=list)
    ignored: int = 0
    usages: list[SpanUsage] = field(default_factory=list)  # the metered spans, in order


def map_spans(spans: Iterable[Span]) -> SpanBatch:
    """Map every span; metered ones become usage records, then one run record per correlation."""
    batch = SpanBatch()
    usages: list[SpanUsage] = []
    # The tags of each resource, read once for all its spans (decoding gives the spans of one
    # resource the same attributes mapping; the spans hold it, so its id stays unique here).
    resources: dict[int, Mapping[str, str | InvalidTag]] = {}
    for span in spans:
        resource_tags = resources.get(id(span.resource))
        if resource_tags is None:
            resource_tags = resources[id(span.resource)] = read_tags(span.resource)
        mapped = map_span(span, resource_tags)
        if mapped is None:
            batch.ignored += 1
        elif isinstance(mapped, SpanRejection):
            batch.rejections.append(mapped)
        else:
            usages.append(mapped)
    batch.usages = usages
    batch.records, batch.origins = records_of(usages)
    return batch


def records_of(usages: Sequence[SpanUsage]) -> tuple[list[dict[str, Any]], list[Origin]]:
    """The usage record of each span, then one run record per correlation id; their origins."""
    records = [usage_record(usage) for usage in usages]
    origins = [Origin("span", usage.span_id) for usage in usages]
    for run in run_records(usages):
        records.append(run)
        origins.append(Origin("run", run["correlationId"]))
    return records, origins


def usage_record(usage: SpanUsage) -> dict[str, Any]:
    """The ingest record (contract UsageEventInput, camelCase) of one mapped span."""
    t = usage.tokens
    return {
        "type": "usage",
        "eventId": usage.span_id,
        "correlationId": usage.correlation_id,
        "workflowKey": usage.workflow_key,
        "clientId": usage.tags.get("client_id"),
        "kind": usage.kind.value,
        "occurredAt": usage.occurred_at,
        "provider": usage.provider,
        "model": usage.model,
        "step": usage.step,
        "team": usage.tags.get("team"),
        "inputTokens": t.input,
        "outputTokens": t.output,
        "cacheReadTokens": t.cache_read,
        "cacheWriteTokens": t.cache_write,
        "reasoningTokens": t.reasoning,
        "reasoningEffort": usage.reasoning_effort,
        "latencyMs": usage.latency_ms,
        "cost": usage.cost,
    }


def run_records(usages: Sequence[SpanUsage]) -> list[dict[str, Any]]:
    """One run record (contract RunInput) per correlation id, in first-seen order.

    startedAt is the earliest occurredAt among the correlation id's spans in this export, and the
    workflow is that earliest span's; each tag (client, team, campaign, channel, variant,
    subject, and each run dimension `ledger.dimension.<key>`) is the first non-empty value in
    time order. Runs are idempotent by correlation id,
    so a stored run is never changed: a later export of the same trace adds nothing to it.
    """
    groups: dict[str, list[SpanUsage]] = {}
    for usage in usages:
        groups.setdefault(usage.correlation_id, []).append(usage)
    records: list[dict[str, Any]] = []
    for correlation_id, members in groups.items():
        ordered = (
            sorted(members, key=lambda u: (u.occurred_at, u.span_id))
            if len(members) > 1
            else members
        )
        record: dict[str, Any] = {
            "type": "run",
            "correlationId": correlation_id,
            "workflowKey": ordered[0].workflow_key,
            "startedAt": ordered[0].occurred_at,
        }
        for key, tag in _RUN_RECORD_TAGS:
            value = None
            for u in ordered:
                value = u.tags.get(tag)
                if value:
                    break
            record[key] = value or None
        dimensions: dict[str, str] = {}
        for u in ordered:  # each key's first value in time order (ledger.dimension.<key>)
            for tag, value in u.tags.items():
                if value and tag.startswith(DIMENSION_TAG_PREFIX):
                    dimensions.setdefault(tag[len(DIMENSION_TAG_PREFIX) :], value)
        if dimensions:
            record["dimensions"] = dimensions
        records.append(record)
    return records


# Run record field -> SpanUsage.tags key.
_RUN_RECORD_TAGS = (
    ("clientId", "client_id"),
    ("team", "team"),
    *((name, name) for name in RUN_TAGS),
)
