"""Validate a whole batch before anything is written: shape, references, and LLM pricing.

All-or-nothing: the batch is valid only when every record is. References are resolved with one
query per kind (`references`: workflows by key, clients by id, stored runs by correlation id;
`price_book`: prices by (provider, model)), never one query per record. A batch's usage
records, when all their fields read cleanly, are checked and priced a column at a time straight
into the rows to write (no object per event; integer pricing by `ScaledPrice`); at any problem in
the batch the whole batch is validated record by record instead, which reports every error
exactly.

Pricing (a decision, not an accident): LLM usage that reports no `cost` is priced from the
tenant's price book in force at `occurredAt` (the latest `effective_from <= occurredAt`) and stored
with cost_source "priced" and that price's `effective_from`. When no price is in force the record
is REJECTED with a field error on "cost" — it is never priced at zero, because a silent zero would
make the workflow look cheaper than it is. Usage that reports a cost is stored as "reported" and
never re-priced. Every non-LLM kind must report its cost (checked in `records`).
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.domain.dimensions import check_run_values
from app.domain.enums import UsageKind
from app.domain.money import quantize_money
from app.domain.pricing import Price, ScaledPrice, price_in_force, price_tokens
from app.services.ingest.dimensions import load_declared
from app.services.ingest.errors import RecordError
from app.services.ingest.fields import MONEY_LIMIT
from app.services.ingest.outcomes import OutcomeRecord, check_outcome_rungs
from app.services.ingest.price_book import load_prices
from app.services.ingest.records import (
    LabelRecord,
    Record,
    RunRecord,
    UsageRecord,
    parse_records,
    read_usage_columns,
)
from app.services.ingest.references import known_clients, stored_runs, workflow_ids
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
    # The batch's usage when checked column-wise (`_validate_usage_columns`): its rows for
    # app.services.ingest.writes (USAGE_COLUMNS order, first of each event id, sorted by it,
    # the cost as its decimal string) instead of `usage` records.
    usage_rows: list[tuple[Any, ...]] | None = None


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

    def require(
        self, records: Sequence[Record], found: Container[object], name: str, message: str
    ) -> None:
        """An error on `name` for each of `records` whose value there (the record's attribute of
        that field) is not in `found`; `message` is formatted with the value."""
        attribute = FIELD_ATTRIBUTES[name]
        for record in records:
            value = getattr(record, attribute)
            if value not in found:
                self.add(RecordError(record.index, name, message.format(value)))


# The record attribute behind each field a reference check names.
FIELD_ATTRIBUTES = {
    "workflowKey": "workflow_key",
    "clientId": "client_id",
    "correlationId": "correlation_id",
}


async def validate_batch(
    *, conn: Any, tenant_id: uuid.UUID, raw: Sequence[object]
) -> tuple[ValidBatch | None, list[RecordError]]:
    """The valid batch and no errors, or None and every problem, ordered by record index."""
    fast = await _validate_with_usage_columns(conn, tenant_id, raw)
    if fast is not None:
        return fast, []
    # No usage to read column-wise, or a problem found on the way: the whole batch record by
    # record, which reports every error exactly.
    return await _validate_records(conn, tenant_id, parse_records(raw))


async def _validate_with_usage_columns(
    conn: Any, tenant_id: uuid.UUID, raw: Sequence[object]
) -> ValidBatch | None:
    """The valid batch, its usage checked column-wise (`_validate_usage_columns`) and any other
    records record by record; None when the batch has no usage or any problem at all (its
    errors are then found by the caller, over the whole batch)."""
    usage_at = [
        i for i, item in enumerate(raw) if item.__class__ is dict and item.get("type") == "usage"
    ]
    if not usage_at:
        return None
    all_usage = len(usage_at) == len(raw)
    columns = read_usage_columns(raw if all_usage else [raw[i] for i in usage_at])
    if columns is None:
        return None
    usage = await _validate_usage_columns(conn, tenant_id, columns)
    if usage is None or all_usage:
        return usage
    taken = set(usage_at)
    rest_at = [i for i in range(len(raw)) if i not in taken]
    parsed = [
        (None if record is None else replace(record, index=rest_at[k]), errors)
        for k, (record, errors) in enumerate(parse_records([raw[i] for i in rest_at]))
    ]
    rest, _ = await _validate_records(conn, tenant_id, parsed)
    if rest is None:
        return None
    rest.usage_rows = usage.usage_rows
    rest.workflow_ids = {**usage.workflow_ids, **rest.workflow_ids}
    return rest


async def _validate_records(
    conn: Any, tenant_id: uuid.UUID, parsed: list[tuple[Record | None, list[RecordError]]]
) -> tuple[ValidBatch | None, list[RecordError]]:
    """`validate_batch` of parsed records (`parse_records`), one record at a time."""
    drafts = _Drafts()
    for record, errors in parsed:
        for error in errors:
            drafts.add(error)
        if record is not None:
            drafts.records.append(record)

    workflows = await _check_workflows(conn, tenant_id, drafts)
    await _check_clients(conn, tenant_id, drafts)
    await _check_label_runs(conn, tenant_id, drafts)
    await _check_dimensions(conn, tenant_id, drafts)
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
    known = await workflow_ids(conn, tenant_id, {r.workflow_key for r in wanted})
    drafts.require(
        wanted,
        known,
        "workflowKey",
        "no workflow {!r} in this tenant; create it with upsertWorkflow",
    )
    return known


async def _check_clients(conn: Any, tenant_id: uuid.UUID, drafts: _Drafts) -> None:
    wanted = [
        r
        for r in drafts.records
        if isinstance(r, RunRecord | UsageRecord) and r.client_id is not None
    ]
    known = await known_clients(
        conn, tenant_id, {r.client_id for r in wanted if r.client_id is not None}
    )
    drafts.require(wanted, known, "clientId", "no client {} in this tenant")


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
    stored = await stored_runs(conn, tenant_id, {r.correlation_id for r in wanted})
    drafts.require(
        wanted, stored, "correlationId", "no run {!r} is stored or started in this batch"
    )


async def _check_dimensions(conn: Any, tenant_id: uuid.UUID, drafts: _Drafts) -> None:
    """A run's dimension values need a declared, unretired key and an allowed value
    (app.domain.dimensions): one error per key, with its stable code, on "dimensions.<key>"."""
    wanted = [
        r
        for r in drafts.records
        if isinstance(r, RunRecord) and r.dimensions and drafts.sound(r, "dimensions")
    ]
    if not wanted:
        return
    declared = await load_declared(conn, tenant_id)
    for r in wanted:
        for problem in check_run_values(r.dimensions, declared):
            drafts.add(
                RecordError(r.index, f"dimensions.{problem.key}", problem.message, problem.code)
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

    # One batch often repeats (price, token counts): each distinct one is priced once.
    costs: dict[tuple[int, int, int, int, int, int], Decimal] = {}
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
        t = u.tokens
        key = (id(price), t.input, t.output, t.cache_read, t.cache_write, t.reasoning)
        cost = costs.get(key)
        if cost is None:
            cost = costs[key] = quantize_money(price_tokens(t, price))
        if cost >= MONEY_LIMIT:
            drafts.add(RecordError(u.index, "cost", f"priced cost {cost} exceeds {MONEY_LIMIT:,}"))
            continue
        result.append(PricedUsage(u, cost, PRICED, price.effective_from))
    return result


async def _validate_usage_columns(
    conn: Any, tenant_id: uuid.UUID, columns: list[list[Any]]
) -> ValidBatch | None:
    """A batch's usage records, all fields read cleanly (`read_usage_columns`), checked and
    priced a column at a time, straight into the rows to write: the same queries, rules and
    results as the record path above, without a record object per event. None at the first
    problem of any kind (unknown workflow or client, nothing to price with, no price in force,
    a priced cost out of range): the caller then validates record by record, which finds and
    reports every problem exactly."""
    (
        kinds, inputs, outputs, cache_reads, cache_writes, reasonings, event_ids,
        correlation_ids, workflow_keys, client_ids, occurred, providers, models, steps,
        teams, efforts, latencies, reported,
    ) = columns  # fmt: skip
    workflows = await workflow_ids(conn, tenant_id, workflow_keys)
    if not workflows.keys() >= set(workflow_keys):
        return None
    clients = {c for c in client_ids if c is not None}
    if await known_clients(conn, tenant_id, clients) != clients:
        return None

    # Reported costs as given; the others (LLM usage, see read_usage_columns) are priced.
    to_price = [i for i, cost in enumerate(reported) if cost is None]
    pairs = set()
    for i in to_price:
        provider, model = providers[i], models[i]
        if not (provider and model):
            return None
        pairs.add((provider, model))
    prices = await load_prices(conn, tenant_id, pairs)
    costs: list[Decimal | None] = list(reported)
    sources = [REPORTED] * len(reported)
    effective: list[datetime | None] = [None] * len(reported)
    book: dict[tuple[str, str], list[Price]] = {}
    for entry in prices:
        book.setdefault((entry.provider, entry.model), []).append(entry)
    priced: dict[tuple[int, int, int, int, int, int], Decimal] = {}
    rates: dict[int, ScaledPrice] = {}
    for i in to_price:
        price = price_in_force(
            book.get((providers[i], models[i]), ()), providers[i], models[i], occurred[i]
        )
        if price is None:
            return None
        key = (id(price), inputs[i], outputs[i], cache_reads[i], cache_writes[i], reasonings[i])
        cost = priced.get(key)
        if cost is None:
            scaled = rates.get(key[0])
            if scaled is None:
                scaled = rates[key[0]] = ScaledPrice(price)
            # = quantize_money(price_tokens(…)) of the record path (already at 10 dp)
            cost = priced[key] = scaled.cost(*key[1:])
            if cost >= MONEY_LIMIT:
                return None
        costs[i], sources[i], effective[i] = cost, PRICED, price.effective_from

    first: dict[str, int] = {}
    for i, event_id in enumerate(event_ids):
        first.setdefault(event_id, i)
    usage_rows = [
        (
            event_id, correlation_ids[i], workflows[workflow_keys[i]], client_ids[i],
            kinds[i].value, occurred[i], providers[i], models[i], steps[i], teams[i],
            inputs[i], outputs[i], cache_reads[i], cache_writes[i], reasonings[i],
            efforts[i], latencies[i], str(costs[i]), sources[i], effective[i],
        )
        for event_id, i in sorted(first.items())
    ]  # fmt: skip
    return ValidBatch(workflow_ids=workflows, usage_rows=usage_rows)
