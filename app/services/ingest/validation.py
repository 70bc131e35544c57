"""Validate a whole batch before anything is written: shape, references, and LLM pricing.

All-or-nothing: the batch is valid only when every record is. References are resolved with one
query per kind (workflows by key, clients by id, stored runs by correlation id, prices by
(provider, model)), never one query per record.

Pricing (a decision, not an accident): LLM usage that reports no `cost` is priced from the
tenant's price book in force at `occurredAt` (the latest `effective_from <= occurredAt`) and stored
with cost_source "priced" and that price's `effective_from`. When no price is in force the record
is REJECTED with a field error on "cost" — it is never priced at zero, because a silent zero would
make the workflow look cheaper than it is. Usage that reports a cost is stored as "reported" and
never re-priced. Every non-LLM kind must report its cost (checked in `records`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.domain.enums import UsageKind
from app.domain.money import quantize_money
from app.domain.pricing import price_in_force, price_tokens
from app.services.ingest.errors import RecordError
from app.services.ingest.fields import MONEY_LIMIT
from app.services.ingest.outcomes import OutcomeRecord, check_outcome_rungs
from app.services.ingest.price_book import load_prices
from app.services.ingest.records import LabelRecord, Record, RunRecord, UsageRecord, parse_record
from app.services.ingest.revenue import RevenueRecord, check_revenue

REPORTED = "reported"
PRICED = "priced"


@dataclass(frozen=True)
class PricedUsage:
    """A usage record with its final cost (USD, 10 dp) and where that cost came from."""

    record: UsageRecord
    cost: Decimal
    cost_source: str  # REPORTED or PRICED
    price_effective_from: datetime | None


@dataclass
class ValidBatch:
    """A batch in which every record passed; ready to write."""

    runs: list[RunRecord] = field(default_factory=list)
    usage: list[PricedUsage] = field(default_factory=list)
    labels: list[LabelRecord] = field(default_factory=list)
    outcomes: list[OutcomeRecord] = field(default_factory=list)
    revenue: list[RevenueRecord] = field(default_factory=list)
    workflow_ids: dict[str, uuid.UUID] = field(default_factory=dict)


@dataclass
class _Drafts:
    records: list[Record] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    # (index, field) pairs that already failed: no reference check piles onto them.
    failed: set[tuple[int, str]] = field(default_factory=set)
    invalid: set[int] = field(default_factory=set)

    def add(self, error: RecordError) -> None:
        self.errors.append(error)
        self.failed.add((error.index, error.field))
        self.invalid.add(error.index)

    def sound(self, record: Record, name: str) -> bool:
        return (record.index, name) not in self.failed


async def validate_batch(
    *, conn: Any, tenant_id: uuid.UUID, raw: Sequence[object]
) -> tuple[ValidBatch | None, list[RecordError]]:
    """The valid batch and no errors, or None and every problem, ordered by record index."""
    drafts = _Drafts()
    for index, item in enumerate(raw):
        record, errors = parse_record(index, item)
        for error in errors:
            drafts.add(error)
        if record is not None:
            drafts.records.append(record)

    workflows = await _check_workflows(conn, tenant_id, drafts)
    await _check_clients(conn, tenant_id, drafts)
    await _check_label_runs(conn, tenant_id, drafts)
    outcomes = [r for r in drafts.records if isinstance(r, OutcomeRecord)]
    sound = [r for r in outcomes if drafts.sound(r, "rung")]
    await check_outcome_rungs(conn, tenant_id, sound, workflows, drafts.add)
    revenue = [r for r in drafts.records if isinstance(r, RevenueRecord)]
    workflows = await check_revenue(conn, tenant_id, revenue, workflows, drafts.add, drafts.sound)
    usage = await _price_usage(conn, tenant_id, drafts)

    if drafts.errors:
        return None, sorted(drafts.errors, key=lambda e: e.index)
    batch = ValidBatch(workflow_ids=workflows, usage=usage)
    for record in drafts.records:
        if isinstance(record, RunRecord):
            batch.runs.append(record)
        elif isinstance(record, LabelRecord):
            batch.labels.append(record)
        elif isinstance(record, OutcomeRecord):
            batch.outcomes.append(record)
        elif isinstance(record, RevenueRecord):
            batch.revenue.append(record)
    return batch, []


async def _check_workflows(
    conn: Any, tenant_id: uuid.UUID, drafts: _Drafts
) -> dict[str, uuid.UUID]:
    wanted = [
        r
        for r in drafts.records
        if isinstance(r, RunRecord | UsageRecord | OutcomeRecord) and drafts.sound(r, "workflowKey")
    ]
    if not wanted:
        return {}
    rows = await conn.fetch(
        "SELECT key, workflow_id FROM workflows WHERE tenant_id = $1 AND key = ANY($2::text[])",
        tenant_id,
        sorted({r.workflow_key for r in wanted}),
    )
    known: dict[str, uuid.UUID] = {row["key"]: row["workflow_id"] for row in rows}
    for r in wanted:
        if r.workflow_key not in known:
            drafts.add(
                RecordError(
                    r.index,
                    "workflowKey",
                    f"no workflow {r.workflow_key!r} in this tenant; create it with upsertWorkflow",
                )
            )
    return known


async def _check_clients(conn: Any, tenant_id: uuid.UUID, drafts: _Drafts) -> None:
    wanted = [
        r
        for r in drafts.records
        if isinstance(r, RunRecord | UsageRecord) and r.client_id is not None
    ]
    if not wanted:
        return
    rows = await conn.fetch(
        "SELECT client_id FROM clients WHERE tenant_id = $1 AND client_id = ANY($2::uuid[])",
        tenant_id,
        sorted({r.client_id for r in wanted if r.client_id is not None}),
    )
    known = {row["client_id"] for row in rows}
    for r in wanted:
        if r.client_id not in known:
            drafts.add(RecordError(r.index, "clientId", f"no client {r.client_id} in this tenant"))


async def _check_label_runs(conn: Any, tenant_id: uuid.UUID, drafts: _Drafts) -> None:
    """A label needs its run: stored already, or started by a run record of the same batch."""
    in_batch = {
        r.correlation_id
        for r in drafts.records
        if isinstance(r, RunRecord) and drafts.sound(r, "correlationId")
    }
    wanted = [
        r
        for r in drafts.records
        if isinstance(r, LabelRecord)
        and drafts.sound(r, "correlationId")
        and r.correlation_id not in in_batch
    ]
    if not wanted:
        return
    rows = await conn.fetch(
        "SELECT correlation_id FROM runs WHERE tenant_id = $1 AND correlation_id = ANY($2::text[])",
        tenant_id,
        sorted({r.correlation_id for r in wanted}),
    )
    stored = {row["correlation_id"] for row in rows}
    for r in wanted:
        if r.correlation_id not in stored:
            drafts.add(
                RecordError(
                    r.index,
                    "correlationId",
                    f"no run {r.correlation_id!r} is stored or started in this batch",
                )
            )


async def _price_usage(conn: Any, tenant_id: uuid.UUID, drafts: _Drafts) -> list[PricedUsage]:
    """Reported costs as given; unpriced LLM usage priced from the book (one query for all)."""
    usage = [
        r for r in drafts.records if isinstance(r, UsageRecord) and r.index not in drafts.invalid
    ]
    to_price = [u for u in usage if u.cost is None and u.kind is UsageKind.LLM]
    for u in to_price:
        for name, value in (("provider", u.provider), ("model", u.model)):
            if not value:
                drafts.add(
                    RecordError(u.index, name, "is required to price LLM usage without a cost")
                )
    pairs = {(u.provider, u.model) for u in to_price if u.provider and u.model}
    prices = await load_prices(conn, tenant_id, pairs)

    result: list[PricedUsage] = []
    for u in usage:
        if u.cost is not None:
            result.append(PricedUsage(u, u.cost, REPORTED, None))
            continue
        if not (u.provider and u.model):
            continue
        price = price_in_force(prices, u.provider, u.model, u.occurred_at)
        if price is None:
            drafts.add(
                RecordError(
                    u.index,
                    "cost",
                    f"no price in force for {u.provider}/{u.model} at occurredAt "
                    f"{u.occurred_at.isoformat()}; call setModelPrice or report cost",
                )
            )
            continue
        cost = quantize_money(price_tokens(u.tokens, price))
        if cost >= MONEY_LIMIT:
            drafts.add(RecordError(u.index, "cost", f"priced cost {cost} exceeds {MONEY_LIMIT:,}"))
            continue
        result.append(PricedUsage(u, cost, PRICED, price.effective_from))
    return result
