"""Repricing: bring priced LLM usage in line with the price book after a price changes.

For one (provider, model), every usage event with `cost_source = 'priced'` is priced again at
the price in force at its `occurred_at` (app.domain.pricing: `price_in_force` + `price_tokens`,
the exact arithmetic ingest used). Where the price version (`price_effective_from`) or the cost
differs, the event gets the new cost and version, an audit row in `usage_repricings` records
old → new, and its ROI windows are marked dirty (app.services.roi.dirty.mark_usage).

Events are read in keyset batches by event_id, `FOR UPDATE`, one transaction per batch; writes
are one `UPDATE … FROM unnest` and one `INSERT … SELECT FROM unnest` per batch. Idempotent: a
second run finds nothing to change. Reported-cost events are never read or touched. An event
with no price in force at its time (a price version was replaced by a later effective date)
keeps its cost.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from app.db.sessions import TenantSessions, raw_connection
from app.domain.pricing import TokenCounts, price_in_force, price_tokens
from app.services.ingest.price_book import load_prices
from app.services.roi.dirty import Pair, mark_usage

DEFAULT_BATCH_SIZE = 5000

BATCH = """
SELECT event_id, occurred_at, input_tokens, output_tokens, cache_read_tokens,
       cache_write_tokens, reasoning_tokens, cost, price_effective_from
FROM usage_events
WHERE tenant_id = $1 AND cost_source = 'priced' AND kind = 'LLM'
  AND provider = $2 AND model = $3 AND event_id > $4
ORDER BY event_id
LIMIT $5
FOR UPDATE
"""

UPDATE = """
UPDATE usage_events u SET cost = c.new_cost, price_effective_from = c.new_from
FROM unnest($2::text[], $3::numeric[], $4::timestamptz[]) AS c(event_id, new_cost, new_from)
WHERE u.tenant_id = $1 AND u.event_id = c.event_id
"""

AUDIT = """
INSERT INTO usage_repricings
    (tenant_id, event_id, repriced_at, old_cost, new_cost, old_price_from, new_price_from)
SELECT $1::uuid, c.event_id, $2::timestamptz, c.old_cost, c.new_cost, c.old_from, c.new_from
FROM unnest($3::text[], $4::numeric[], $5::numeric[], $6::timestamptz[], $7::timestamptz[])
    AS c(event_id, old_cost, new_cost, old_from, new_from)
ON CONFLICT (tenant_id, event_id, repriced_at) DO NOTHING
"""


@dataclass(frozen=True)
class Change:
    event_id: str
    old_cost: Decimal
    new_cost: Decimal
    old_from: datetime | None
    new_from: datetime


@dataclass
class RepriceResult:
    """`examined`: priced events read; `changed`: events whose cost or price version changed;
    `windows`: ROI (workflow, day) windows marked dirty, for the caller to enqueue after commit."""

    examined: int = 0
    changed: int = 0
    windows: list[Pair] = field(default_factory=list)


async def reprice_batch(
    conn: Any,
    *,
    tenant_id: uuid.UUID,
    provider: str,
    model: str,
    after: str,
    batch_size: int,
    now: datetime,
) -> tuple[int, str | None, list[Change], list[Pair]]:
    """One batch inside the caller's transaction: (examined, last event id or None, changes,
    ROI windows marked)."""
    rows = await conn.fetch(BATCH, tenant_id, provider, model, after, batch_size)
    if not rows:
        return 0, None, [], []
    prices = await load_prices(conn, tenant_id, [(provider, model)])
    changes: list[Change] = []
    for row in rows:
        price = price_in_force(prices, provider, model, row["occurred_at"])
        if price is None:
            continue
        tokens = TokenCounts(
            input=row["input_tokens"],
            output=row["output_tokens"],
            cache_read=row["cache_read_tokens"],
            cache_write=row["cache_write_tokens"],
            reasoning=row["reasoning_tokens"],
        )
        cost = price_tokens(tokens, price)
        if cost != row["cost"] or price.effective_from != row["price_effective_from"]:
            changes.append(
                Change(
                    row["event_id"],
                    row["cost"],
                    cost,
                    row["price_effective_from"],
                    price.effective_from,
                )
            )
    pairs: list[Pair] = []
    if changes:
        ids = [c.event_id for c in changes]
        new_costs = [c.new_cost for c in changes]
        new_froms = [c.new_from for c in changes]
        await conn.execute(UPDATE, tenant_id, ids, new_costs, new_froms)
        await conn.execute(
            AUDIT,
            tenant_id,
            now,
            ids,
            [c.old_cost for c in changes],
            new_costs,
            [c.old_from for c in changes],
            new_froms,
        )
        pairs = await mark_usage(conn, tenant_id, ids)  # last statement: ROI windows dirty
    return len(rows), rows[-1]["event_id"], changes, pairs


async def reprice_usage(
    *,
    sessions: TenantSessions,
    tenant_id: uuid.UUID,
    provider: str,
    model: str,
    now: datetime,
    batch_size: int = DEFAULT_BATCH_SIZE,
    after_batch: Callable[[RepriceResult], Awaitable[None]] | None = None,
) -> RepriceResult:
    """Reprice every priced LLM event of (provider, model), one transaction per batch.

    `now` (aware UTC) stamps the audit rows. `after_batch` is awaited after each commit with
    the running totals (for progress). Returns the totals; `windows` lists the ROI windows
    marked dirty, for the caller to enqueue (app.workers.jobs.roi.enqueue_recompute).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    result = RepriceResult()
    after = ""
    while True:
        async with sessions(tenant_id) as session:
            conn = await raw_connection(session)
            examined, last, changes, pairs = await reprice_batch(
                conn,
                tenant_id=tenant_id,
                provider=provider,
                model=model,
                after=after,
                batch_size=batch_size,
                now=now,
            )
        if last is None:
            return result
        result.examined += examined
        result.changed += len(changes)
        result.windows = sorted(set(result.windows) | set(pairs))
        if after_batch is not None:
            await after_batch(result)
        if examined < batch_size:
            return result
        after = last
