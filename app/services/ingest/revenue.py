"""Revenue records (`type: "revenue"`, the contract's `RevenueInput`): parse, check, write.

- idempotent by `eventId`: a replay, even with another amount, changes nothing (send a
  correction as a new event, negative or positive);
- `clientId` is required: revenue always belongs to a client; `workflowKey`, `subject` and
  `correlationId` are optional links (app.domain.attribution says what each one means); `kind`
  is a free label ("deal_won", "retainer_expansion", …) of up to 100 characters;
- `amount` is an exact decimal in whole cents (at most two decimal places), strictly between
  -10^10 and 10^10; negative amounts (refunds, corrections) and zero are accepted; floats never;
- the workflow and the client must exist in the tenant; the correlation id need not name a
  stored run (revenue may arrive before its run; until then nothing claims the event).
"""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.money import quantize_money
from app.services.ingest import references
from app.services.ingest.arrays import columns, unique_sorted
from app.services.ingest.errors import RecordError
from app.services.ingest.fields import MONEY_LIMIT, Reader

ID_LENGTH = 200
WORKFLOW_KEY_LENGTH = 100
SUBJECT_LENGTH = 200
KIND_LENGTH = 100
CENT = Decimal("0.01")
_WIDE = decimal.Context(prec=50)  # quantizing any amount below MONEY_LIMIT to cents is exact

REVENUE_FIELDS = frozenset(
    {"type", "eventId", "clientId", "amount", "occurredAt"}
    | {"workflowKey", "subject", "correlationId", "kind"}
)


@dataclass(frozen=True)
class RevenueRecord:
    """One revenue event (contract `RevenueInput`); idempotent by `event_id`."""

    index: int
    event_id: str
    client_id: uuid.UUID | None  # None only in a draft that already failed on clientId
    amount: Decimal
    occurred_at: datetime
    workflow_key: str | None
    subject: str | None
    correlation_id: str | None
    kind: str | None


def read_amount(reader: Reader, name: str) -> Decimal:
    """A required, exact, signed amount in whole cents; ``0`` after recording an error."""
    value = reader.raw.get(name)
    if value is None:
        reader.fail(name, "is required")
        return Decimal(0)
    if isinstance(value, float):
        reader.fail(name, 'must be an exact decimal (a string such as "120.50"), not a float')
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        reader.fail(name, "must be a decimal string or number")
        return Decimal(0)
    try:
        amount = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        reader.fail(name, f"is not a decimal number: {value!r}")
        return Decimal(0)
    if not amount.is_finite():
        reader.fail(name, "must be a finite decimal number")
    elif abs(amount) >= MONEY_LIMIT:
        reader.fail(name, f"must be above -{MONEY_LIMIT:,} and below {MONEY_LIMIT:,}")
    elif amount != amount.quantize(CENT, context=_WIDE):
        reader.fail(name, f"must be in whole cents (at most 2 decimal places), got {amount}")
    else:
        return quantize_money(amount)
    return Decimal(0)


def parse_revenue(reader: Reader) -> RevenueRecord:
    """Shape checks of one revenue record; references are checked by `check_revenue`."""
    if reader.raw.get("clientId") is None:
        reader.fail("clientId", "is required: revenue always belongs to a client")
    return RevenueRecord(
        index=reader.index,
        event_id=reader.required_text("eventId", max_length=ID_LENGTH),
        client_id=reader.client_id("clientId"),
        amount=read_amount(reader, "amount"),
        occurred_at=reader.timestamp("occurredAt"),
        workflow_key=reader.text("workflowKey", max_length=WORKFLOW_KEY_LENGTH),
        subject=reader.text("subject", max_length=SUBJECT_LENGTH),
        correlation_id=reader.text("correlationId", max_length=ID_LENGTH),
        kind=reader.text("kind", max_length=KIND_LENGTH),
    )


async def check_revenue(
    conn: Any,
    tenant_id: uuid.UUID,
    records: Sequence[RevenueRecord],
    workflow_ids: dict[str, uuid.UUID],
    add: Callable[[RecordError], None],
    sound: Callable[[RevenueRecord, str], bool],
) -> dict[str, uuid.UUID]:
    """Report unknown workflows and clients (one query each); returns the workflow ids of the
    revenue's keys, added to those already known (`workflow_ids`)."""
    keys = {
        r.workflow_key for r in records if r.workflow_key is not None and sound(r, "workflowKey")
    }
    known = dict(workflow_ids)
    known.update(await references.workflow_ids(conn, tenant_id, keys - set(known)))
    clients = {r.client_id for r in records if r.client_id is not None and sound(r, "clientId")}
    found = await references.known_clients(conn, tenant_id, clients)
    for r in records:
        if r.workflow_key in keys and r.workflow_key not in known:
            message = f"no workflow {r.workflow_key!r} in this tenant; create it first"
            add(RecordError(r.index, "workflowKey", message))
        if r.client_id in clients and r.client_id not in found:
            add(RecordError(r.index, "clientId", f"no client {r.client_id} in this tenant"))
    return known


INSERT_REVENUE = """
INSERT INTO revenue_events (tenant_id, event_id, client_id, amount, occurred_at, workflow_id,
                            subject, correlation_id, kind)
SELECT $1::uuid, u.* FROM unnest(
    $2::text[], $3::uuid[], $4::numeric[], $5::timestamptz[], $6::uuid[],
    $7::text[], $8::text[], $9::text[]
) AS u
ON CONFLICT (tenant_id, event_id) DO NOTHING
RETURNING event_id
"""


async def insert_revenue(
    conn: Any,
    tenant_id: uuid.UUID,
    records: Sequence[RevenueRecord],
    workflow_ids: dict[str, uuid.UUID],
) -> list[str]:
    """Insert new revenue events (the first of a repeated event id wins; one statement);
    returns the ids of the events actually inserted."""
    rows = [
        (
            r.event_id,
            r.client_id,
            r.amount,
            r.occurred_at,
            workflow_ids[r.workflow_key] if r.workflow_key is not None else None,
            r.subject,
            r.correlation_id,
            r.kind,
        )
        for r in unique_sorted(records, lambda r: r.event_id)
    ]
    if not rows:
        return []
    written = await conn.fetch(INSERT_REVENUE, tenant_id, *columns(rows, 8))
    return [row["event_id"] for row in written]
