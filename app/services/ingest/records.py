"""The three kinds of ingest record, and parsing raw records into their typed form.

A raw record is a mapping with `"type"` in {"run", "usage", "label"} plus exactly the camelCase
fields of the contract's `RunInput`, `UsageEventInput` or `RunLabelInput` (or `"outcome"` with
`OutcomeInput`'s, see `app.services.ingest.outcomes`; or `"revenue"` with `RevenueInput`'s, see
`app.services.ingest.revenue`). Parsing checks shape
only (types, required fields, ranges, lengths matching the table columns); whether a workflow,
client or run exists is checked against the database in `app.services.ingest.validation`.

`parse_record` reads one record field by field; `parse_records` reads a batch column by column
(the same rules, records and errors; see there).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.domain.enums import RunStatus, UsageKind
from app.domain.pricing import TokenCounts
from app.services.ingest.errors import RecordError
from app.services.ingest.fields import (
    CLIENT_ID,
    DIMENSIONS,
    INT_MAX,
    MONEY,
    TIMESTAMP,
    Fields,
    Invalid,
    Reader,
    choice_rule,
    count_rule,
    optional_count_rule,
    read_column,
    required_text_rule,
    text_rule,
)
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
    dimensions: dict[str, str]  # the tenant's own dimensions (app.domain.dimensions)


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
    | {"campaign", "channel", "variant", "team", "subject", "dimensions"}
)
USAGE_FIELDS = frozenset(
    {"type", "eventId", "correlationId", "workflowKey", "clientId", "kind", "occurredAt"}
    | {"provider", "model", "step", "team", "reasoningEffort", "latencyMs", "cost"}
    | {"inputTokens", "outputTokens", "cacheReadTokens", "cacheWriteTokens", "reasoningTokens"}
)
LABEL_FIELDS = frozenset({"type", "correlationId", "status", "at", "reviewer", "reason"})


# Each record type's fields with their rules (app.services.ingest.fields), in reading order: the
# order of a record's errors. Compiled once; `Reader.read` applies them in one loop per record.
RUN_READ: Fields = (
    ("correlationId", required_text_rule(ID_LENGTH)),
    ("workflowKey", required_text_rule(WORKFLOW_KEY_LENGTH)),
    ("clientId", CLIENT_ID),
    ("startedAt", TIMESTAMP),
    ("campaign", text_rule(DIMENSION_LENGTH)),
    ("channel", text_rule(DIMENSION_LENGTH)),
    ("variant", text_rule(DIMENSION_LENGTH)),
    ("team", text_rule(DIMENSION_LENGTH)),
    ("subject", text_rule(DIMENSION_LENGTH)),
    ("dimensions", DIMENSIONS),
)
USAGE_READ: Fields = (
    ("kind", choice_rule(UsageKind)),
    ("inputTokens", count_rule()),
    ("outputTokens", count_rule()),
    ("cacheReadTokens", count_rule()),
    ("cacheWriteTokens", count_rule()),
    ("reasoningTokens", count_rule()),
    ("eventId", required_text_rule(ID_LENGTH)),
    ("correlationId", text_rule(ID_LENGTH)),
    ("workflowKey", required_text_rule(WORKFLOW_KEY_LENGTH)),
    ("clientId", CLIENT_ID),
    ("occurredAt", TIMESTAMP),
    ("provider", text_rule(PROVIDER_LENGTH)),
    ("model", text_rule(DIMENSION_LENGTH)),
    ("step", text_rule(PROVIDER_LENGTH)),
    ("team", text_rule(DIMENSION_LENGTH)),
    ("reasoningEffort", text_rule(EFFORT_LENGTH)),
    ("latencyMs", optional_count_rule(INT_MAX)),
    ("cost", MONEY),
)
LABEL_READ: Fields = (
    ("status", choice_rule(RunStatus)),
    ("correlationId", required_text_rule(ID_LENGTH)),
    ("at", TIMESTAMP),
    ("reviewer", text_rule(DIMENSION_LENGTH)),
    ("reason", text_rule(REASON_LENGTH)),
)


def parse_run(reader: Reader) -> RunRecord:
    return RunRecord(reader.index, *reader.read(RUN_READ))


def _usage(index: int, values: Sequence[Any]) -> UsageRecord:
    """A usage record from the values of USAGE_READ, in its order."""
    (
        kind, input_tokens, output_tokens, cache_read, cache_write, reasoning, event_id,
        correlation_id, workflow_key, client_id, occurred_at, provider, model, step,
        team, reasoning_effort, latency_ms, cost,
    ) = values  # fmt: skip
    return UsageRecord(
        index=index,
        event_id=event_id,
        correlation_id=correlation_id,
        workflow_key=workflow_key,
        client_id=client_id,
        kind=kind or UsageKind.LLM,
        occurred_at=occurred_at,
        provider=provider,
        model=model,
        step=step,
        team=team,
        tokens=TokenCounts(input_tokens, output_tokens, cache_read, cache_write, reasoning),
        reasoning_effort=reasoning_effort,
        latency_ms=latency_ms,
        cost=cost,
    )


def _lacks_cost(kind: UsageKind | None, cost: Decimal | None) -> bool:
    """Only LLM usage is priced: any other kind must report its cost."""
    return kind not in (None, UsageKind.LLM) and cost is None


def parse_usage(reader: Reader) -> UsageRecord:
    values = reader.read(USAGE_READ)
    record = _usage(reader.index, values)
    if _lacks_cost(values[0], record.cost) and "cost" not in _failed(reader):
        reader.fail("cost", f"is required for {record.kind.name} usage (only LLM usage is priced)")
    return record


def parse_label(reader: Reader) -> LabelRecord:
    status, correlation_id, at, reviewer, reason = reader.read(LABEL_READ)
    return LabelRecord(
        index=reader.index,
        correlation_id=correlation_id,
        status=status or RunStatus.RUNNING,
        at=at,
        reviewer=reviewer,
        reason=reason,
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


def _build_runs(indexes: list[int], columns: list[list[Any]]) -> list[Record]:
    return [
        RunRecord(index, *values)
        for index, values in zip(indexes, zip(*columns, strict=True), strict=True)
    ]


def _build_usage(indexes: list[int], columns: list[list[Any]]) -> list[Record]:
    records: list[Record] = []
    for index, values in zip(indexes, zip(*columns, strict=True), strict=True):
        record = _usage(index, values)
        if _lacks_cost(record.kind, record.cost):
            raise Invalid("cost")  # an error after all: read this type record by record
        records.append(record)
    return records


def _build_labels(indexes: list[int], columns: list[list[Any]]) -> list[Record]:
    return [
        LabelRecord(index, correlation_id, status, at, reviewer, reason)
        for index, (status, correlation_id, at, reviewer, reason) in zip(
            indexes, zip(*columns, strict=True), strict=True
        )
    ]


# Record types read column by column (see parse_records): allowed fields, fields, builder.
_COLUMNAR: dict[
    str, tuple[frozenset[str], Fields, Callable[[list[int], list[list[Any]]], list[Record]]]
] = {
    "run": (RUN_FIELDS, RUN_READ, _build_runs),
    "usage": (USAGE_FIELDS, USAGE_READ, _build_usage),
    "label": (LABEL_FIELDS, LABEL_READ, _build_labels),
}


def parse_records(raw: Sequence[object]) -> list[tuple[Record | None, list[RecordError]]]:
    """`parse_record` of every item, in order — with the same records and errors — but the
    run, usage and label records are read a column at a time: each field of all the records of
    a type through one rule (`read_column`), instead of one record at a time. A type whose
    column read meets any problem is read again record by record, so every error is reported
    exactly as `parse_record` reports it.
    """
    parsed: list[tuple[Record | None, list[RecordError]] | None] = [None] * len(raw)
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(raw):
        if item.__class__ is dict:
            kind: Any = item.get("type")
            spec = _COLUMNAR.get(kind) if kind.__class__ is str else None
            if spec is not None and item.keys() <= spec[0]:
                groups.setdefault(kind, []).append(index)
                continue
        parsed[index] = parse_record(index, item)
    for kind, indexes in groups.items():
        _, fields, build = _COLUMNAR[kind]
        items: list[dict[str, Any]] = [raw[i] for i in indexes]  # type: ignore[misc]
        try:
            columns = [
                read_column(rule, [item.get(name) for item in items]) for name, rule in fields
            ]
            records = build(indexes, columns)
        except Invalid:
            for index in indexes:
                parsed[index] = parse_record(index, raw[index])
            continue
        for index, record in zip(indexes, records, strict=True):
            parsed[index] = (record, [])
    return parsed  # type: ignore[return-value]  # every slot is filled


def read_usage_columns(raw: Sequence[object]) -> list[list[Any]] | None:
    """The columns of a batch made only of usage records (in USAGE_READ order, each a list
    with one value per record, in batch order) when every field of every record is valid;
    None otherwise — any other record type, an unknown field, a field error or a non-LLM
    usage without a cost — and the caller reads the batch with `parse_records`, which reports
    the problems. For a valid usage-only batch the values are exactly those of the records
    `parse_records` gives (`kind` and the token counts as read: no placeholders can occur)."""
    for item in raw:
        if item.__class__ is not dict:
            return None
        if item.get("type") != "usage" or not item.keys() <= USAGE_FIELDS:
            return None
    items: list[dict[str, Any]] = raw  # type: ignore[assignment]  # all dicts, checked above
    try:
        columns = [
            read_column(rule, [item.get(name) for item in items]) for name, rule in USAGE_READ
        ]
    except Invalid:
        return None
    kinds, costs = columns[0], columns[-1]
    for kind, cost in zip(kinds, costs, strict=True):
        if _lacks_cost(kind, cost):
            return None
    return columns


def _failed(reader: Reader) -> set[str]:
    return {error.field for error in reader.errors}
