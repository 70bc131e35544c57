"""The three kinds of ingest record, and parsing one raw record into its typed form.

A raw record is a mapping with `"type"` in {"run", "usage", "label"} plus exactly the camelCase
fields of the contract's `RunInput`, `UsageEventInput` or `RunLabelInput` (or `"outcome"` with
`OutcomeInput`'s, see `app.services.ingest.outcomes`; or `"revenue"` with `RevenueInput`'s, see
`app.services.ingest.revenue`). Parsing checks shape
only (types, required fields, ranges, lengths matching the table columns); whether a workflow,
client or run exists is checked against the database in `app.services.ingest.validation`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from app.domain.enums import RunStatus, UsageKind
from app.domain.pricing import TokenCounts
from app.services.ingest.errors import RecordError
from app.services.ingest.fields import INT_MAX, Reader
from app.services.ingest.outcomes import OUTCOME_FIELDS, OutcomeRecord, parse_outcome
from app.services.ingest.revenue import REVENUE_FIELDS, RevenueRecord, parse_revenue

# Column lengths of app/db/tables: a longer value would be refused by PostgreSQL mid-transaction.
ID_LENGTH = 200  # correlation_id, event_id
WORKFLOW_KEY_LENGTH = 100
DIMENSION_LENGTH = 200  # campaign, channel, variant, team, subject, model, reviewer
PROVIDER_LENGTH = 100  # provider, step
EFFORT_LENGTH = 50
REASON_LENGTH = 2000


@dataclass(frozen=True)
class RunRecord:
    """One task attempt to start (contract `RunInput`); idempotent by `correlation_id`."""

    index: int
    correlation_id: str
    workflow_key: str
    client_id: uuid.UUID | None
    started_at: datetime
    campaign: str | None
    channel: str | None
    variant: str | None
    team: str | None
    subject: str | None


@dataclass(frozen=True)
class UsageRecord:
    """One metered event (contract `UsageEventInput`); idempotent by `event_id`.

    `cost` is the reported cost (USD, 10 dp) or None when it must be priced from the price book.
    """

    index: int
    event_id: str
    correlation_id: str | None
    workflow_key: str
    client_id: uuid.UUID | None
    kind: UsageKind
    occurred_at: datetime
    provider: str | None
    model: str | None
    step: str | None
    team: str | None
    tokens: TokenCounts
    reasoning_effort: str | None
    latency_ms: int | None
    cost: Decimal | None


@dataclass(frozen=True)
class LabelRecord:
    """One status signal for a run (contract `RunLabelInput`); idempotent by (run, at, status)."""

    index: int
    correlation_id: str
    status: RunStatus
    at: datetime
    reviewer: str | None
    reason: str | None

    @property
    def key(self) -> tuple[str, datetime, str]:
        return (self.correlation_id, self.at, self.status.value)


Record = RunRecord | UsageRecord | LabelRecord | OutcomeRecord | RevenueRecord

RUN_FIELDS = frozenset(
    {"type", "correlationId", "workflowKey", "clientId", "startedAt"}
    | {"campaign", "channel", "variant", "team", "subject"}
)
USAGE_FIELDS = frozenset(
    {"type", "eventId", "correlationId", "workflowKey", "clientId", "kind", "occurredAt"}
    | {"provider", "model", "step", "team", "reasoningEffort", "latencyMs", "cost"}
    | {"inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens", "reasoningTokens"}
)
LABEL_FIELDS = frozenset({"type", "correlationId", "status", "at", "reviewer", "reason"})


def parse_run(reader: Reader) -> RunRecord:
    return RunRecord(
        index=reader.index,
        correlation_id=reader.required_text("correlationId", max_length=ID_LENGTH),
        workflow_key=reader.required_text("workflowKey", max_length=WORKFLOW_KEY_LENGTH),
        client_id=reader.client_id("clientId"),
        started_at=reader.timestamp("startedAt"),
        campaign=reader.text("campaign", max_length=DIMENSION_LENGTH),
        channel=reader.text("channel", max_length=DIMENSION_LENGTH),
        variant=reader.text("variant", max_length=DIMENSION_LENGTH),
        team=reader.text("team", max_length=DIMENSION_LENGTH),
        subject=reader.text("subject", max_length=DIMENSION_LENGTH),
    )


def parse_usage(reader: Reader) -> UsageRecord:
    kind = reader.choice("kind", UsageKind)
    tokens = TokenCounts(
        input=reader.count("inputTokens"),
        output=reader.count("outputTokens"),
        cache_read=reader.count("cacheReadTokens"),
        cache_write=reader.count("cacheWriteTokens"),
        reasoning=reader.count("reasoningTokens"),
    )
    record = UsageRecord(
        index=reader.index,
        event_id=reader.required_text("eventId", max_length=ID_LENGTH),
        correlation_id=reader.text("correlationId", max_length=ID_LENGTH),
        workflow_key=reader.required_text("workflowKey", max_length=WORKFLOW_KEY_LENGTH),
        client_id=reader.client_id("clientId"),
        kind=kind or UsageKind.LLM,
        occurred_at=reader.timestamp("occurredAt"),
        provider=reader.text("provider", max_length=PROVIDER_LENGTH),
        model=reader.text("model", max_length=DIMENSION_LENGTH),
        step=reader.text("step", max_length=PROVIDER_LENGTH),
        team=reader.text("team", max_length=DIMENSION_LENGTH),
        tokens=tokens,
        reasoning_effort=reader.text("reasoningEffort", max_length=EFFORT_LENGTH),
        latency_ms=reader.optional_count("latencyMs", maximum=INT_MAX),
        cost=reader.money("cost"),
    )
    if kind not in (None, UsageKind.LLM) and record.cost is None and "cost" not in _failed(reader):
        reader.fail("cost", f"is required for {record.kind.name} usage (only LLM usage is priced)")
    return record


def parse_label(reader: Reader) -> LabelRecord:
    status = reader.choice("status", RunStatus)
    return LabelRecord(
        index=reader.index,
        correlation_id=reader.required_text("correlationId", max_length=ID_LENGTH),
        status=status or RunStatus.RUNNING,
        at=reader.timestamp("at"),
        reviewer=reader.text("reviewer", max_length=DIMENSION_LENGTH),
        reason=reader.text("reason", max_length=REASON_LENGTH),
    )


_PARSERS: dict[str, tuple[frozenset[str], Callable[[Reader], Record]]] = {
    "run": (RUN_FIELDS, parse_run),
    "usage": (USAGE_FIELDS, parse_usage),
    "label": (LABEL_FIELDS, parse_label),
    "outcome": (OUTCOME_FIELDS, parse_outcome),
    "revenue": (REVENUE_FIELDS, parse_revenue),
}


def parse_record(index: int, raw: object) -> tuple[Record | None, list[RecordError]]:
    """The typed record and every problem found in it.

    With problems, the record is a draft: fields that failed hold placeholders (``""``, the
    epoch, LLM/RUNNING) and must not be stored; the caller still uses its sound fields to check
    references, so one answer lists every problem. None when the record is not an object or its
    `type` is unknown.
    """
    if not isinstance(raw, Mapping):
        return None, [RecordError(index, "record", "must be a JSON object")]
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in _PARSERS:
        message = f"must be one of {', '.join(sorted(_PARSERS))} (got {kind!r})"
        return None, [RecordError(index, "type", message)]
    allowed, parse = _PARSERS[kind]
    reader = Reader(index, raw, allowed)
    return parse(reader), reader.errors


def _failed(reader: Reader) -> set[str]:
    return {error.field for error in reader.errors}
