"""`ingestHealth`: what OTLP ingest rejected, or stored with less detail than the provider
gives, per day, source and workflow (tenant-wide read)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import strawberry

from app.services.ingest_health import HealthRow, ingest_health
from graphql_schema.context import Info
from graphql_schema.costs.inputs import TimeRangeInput
from graphql_schema.permissions import CanRead
from graphql_schema.shaping import copy_fields

MAX_ROWS = 500


@strawberry.type(
    description="Spans of one UTC day, source and workflow that OTLP ingest rejected or "
    "stored with less detail than their provider gives, for one reason."
)
class IngestHealthRow:
    day: datetime = strawberry.field(
        description="The UTC day the spans arrived, as its first instant (00:00Z)."
    )
    source: str = strawberry.field(
        description="The instrumentation scope that emitted the spans (e.g. "
        "com.anthropic.sdk.python); `unknown` when the export named none."
    )
    workflow_key: str = strawberry.field(description="The span's workflow; `(none)` if unset.")
    reason: str = strawberry.field(
        description="`rejected: …` (the span was not stored; the sender got it in "
        "partial_success), `same provider call …` (not charged twice), or a kind of token "
        "the provider reports that the span did not (stored, billed at the fallback rate)."
    )
    spans: int = strawberry.field(description="How many spans.")
    examples: list[str] = strawberry.field(description="The latest few, newest first.")
    last_seen_at: datetime = strawberry.field(description="When the latest of them arrived.")

    @classmethod
    def from_row(cls, row: HealthRow) -> IngestHealthRow:
        return copy_fields(cls, row, day=datetime.combine(row.day, time.min, tzinfo=UTC))


def _days(time_range: TimeRangeInput) -> tuple[date, date]:
    span = time_range.to_range()
    last = (span.end - timedelta(microseconds=1)).astimezone(UTC).date()
    return span.start.astimezone(UTC).date(), last


@strawberry.type
class HealthQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="OTLP ingest health of the UTC days the range touches: rejected spans, "
        "spans of an already charged provider call, and spans lacking detail their provider "
        "gives — for senders whose exporter drops partial_success. Newest day first, at most "
        "500 rows.",
    )
    async def ingest_health(
        self,
        info: Info,
        range: Annotated[
            TimeRangeInput,
            strawberry.argument(description="The UTC days to count, [from, to)."),
        ],
    ) -> list[IngestHealthRow]:
        first, last = _days(range)
        rows = await info.context.call(ingest_health, first=first, last=last, limit=MAX_ROWS)
        return [IngestHealthRow.from_row(row) for row in rows]
