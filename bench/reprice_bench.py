"""Repricing benchmark: the real `reprice` job over N priced LLM events vs one set-based UPDATE.

Two tenants get the same N priced LLM events for one model (`anthropic/claude-sonnet-4`, price
v1 from 2020), loaded with binary COPY as the owner; each cost is computed by
app.domain.pricing.price_tokens, as ingest would. Then both get a new price v2 (effective before
every event). Tenant A is repriced by the `reprice` job function itself (workers.jobs.repricing,
in process, its own ctx: tenant sessions with RLS, a real arq pool on a throwaway queue for the
ROI enqueue): keyset batches of `--batch` events, each read FOR UPDATE, priced in Python with
Decimal, written with `UPDATE … FROM unnest` + the audit `INSERT`, ROI windows marked dirty,
one transaction per batch. Tenant B is repriced by one hand-written statement over the owner
connection: the price in force per event (LATERAL), the cost in SQL NUMERIC, the UPDATE and the
audit INSERT in one CTE — the fastest honest alternative (it does not mark ROI windows dirty).
Both must end with identical costs (checked). Prints events/s, batches, wall time and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from arq import create_pool

from app.db.sessions import tenant_sessions
from app.domain.pricing import Price, TokenCounts, price_tokens
from app.services.pricing.prices import set_model_price
from bench.common import (
    PRICE,
    command_line,
    fresh_database,
    make_tenant,
    owner_connection,
    servers,
    table,
)
from workers.jobs.repricing import reprice
from workers.settings import redis_settings

START = datetime(2026, 1, 1, tzinfo=UTC)
NEW_PRICE = Price(
    provider=PRICE.provider,
    model=PRICE.model,
    effective_from=datetime(2025, 6, 1, tzinfo=UTC),
    input_per_million=Decimal("2.5"),
    output_per_million=Decimal("12"),
    cache_read_per_million=Decimal("0.25"),
    cache_write_per_million=Decimal("3.125"),
)
COLUMNS = [
    "tenant_id", "event_id", "workflow_id", "kind", "occurred_at", "provider", "model",
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cost",
    "cost_source", "price_effective_from",
]  # fmt: skip

SET_BASED = """
WITH priced AS (
    SELECT u.event_id, u.cost AS old_cost, u.price_effective_from AS old_from,
           p.effective_from AS new_from,
           round((u.input_tokens * p.input_per_million
                  + u.output_tokens * p.output_per_million
                  + u.cache_read_tokens * coalesce(p.cache_read_per_million, p.input_per_million)
                  + u.cache_write_tokens * coalesce(p.cache_write_per_million, p.input_per_million)
                  + u.reasoning_tokens * coalesce(p.reasoning_per_million, p.output_per_million))
                 / 1000000, 10) AS new_cost
    FROM usage_events u
    CROSS JOIN LATERAL (
        SELECT * FROM model_prices m
        WHERE m.tenant_id = u.tenant_id AND m.provider = u.provider AND m.model = u.model
          AND m.effective_from <= u.occurred_at
        ORDER BY m.effective_from DESC LIMIT 1
    ) p
    WHERE u.tenant_id = $1 AND u.cost_source = 'priced' AND u.kind = 'LLM'
      AND u.provider = $2 AND u.model = $3
), changed AS (
    UPDATE usage_events u SET cost = c.new_cost, price_effective_from = c.new_from
    FROM priced c
    WHERE u.tenant_id = $1 AND u.event_id = c.event_id
      AND (c.new_cost <> c.old_cost OR c.new_from IS DISTINCT FROM c.old_from)
    RETURNING c.event_id, c.old_cost, c.new_cost, c.old_from, c.new_from
)
INSERT INTO usage_repricings
    (tenant_id, event_id, repriced_at, old_cost, new_cost, old_price_from, new_price_from)
SELECT $1, event_id, $4, old_cost, new_cost, old_from, new_from FROM changed
"""


def events(tenant: uuid.UUID, workflow: uuid.UUID, n: int) -> list[tuple[Any, ...]]:
    """N priced LLM events over 60 days, token counts varying by event (deterministic)."""
    rows = []
    for i in range(n):
        tokens = TokenCounts(
            input=500 + (i * 37) % 4000,
            output=100 + (i * 53) % 1500,
            cache_read=(i * 101) % 8000,
            cache_write=(i * 7) % 900,
        )
        rows.append(
            (
                tenant,
                f"ev-{i:09d}",
                workflow,
                "LLM",
                START + timedelta(seconds=(i * 5_184_000) // max(n, 1)),
                PRICE.provider,
                PRICE.model,
                tokens.input,
                tokens.output,
                tokens.cache_read,
                tokens.cache_write,
                price_tokens(tokens, PRICE),
                "priced",
                PRICE.effective_from,
            )
        )
    return rows


async def load(admin_url: str, rows: list[tuple[Any, ...]]) -> None:
    async with owner_connection(admin_url) as conn:
        for offset in range(0, len(rows), 50_000):
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "usage_events", records=rows[offset : offset + 50_000], columns=COLUMNS
                )
        await conn.execute("ANALYZE usage_events")


async def main(args: argparse.Namespace) -> None:
    now = datetime(2026, 4, 1, tzinfo=UTC)
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            owner_url = db.settings.database_url or ""
            a = await make_tenant(db.settings, "reprice job")
            b = await make_tenant(db.settings, "set-based")
            started = time.perf_counter()
            for tenant in (a, b):
                await load(owner_url, events(tenant.tenant_id, tenant.workflow_id, args.events))
            print(
                f"loaded 2 × {args.events:,} priced events in {time.perf_counter() - started:.1f}s"
            )
            queue = f"arq:bench-reprice-{uuid.uuid4().hex[:8]}"
            async with tenant_sessions(db.settings, pool_size=2) as sessions:
                pool = await create_pool(redis_settings(redis_url), default_queue_name=queue)
                try:
                    for tenant in (a, b):
                        async with sessions(tenant.tenant_id) as session:
                            await set_model_price(
                                session=session, tenant_id=tenant.tenant_id, price=NEW_PRICE
                            )
                    ctx = {
                        "sessions": sessions,
                        "redis": pool,
                        "clock": lambda: now,
                        "reprice_batch_size": args.batch,
                    }
                    started = time.perf_counter()
                    counts = await reprice(ctx, str(a.tenant_id), PRICE.provider, PRICE.model)
                    job_s = time.perf_counter() - started
                    async with owner_connection(owner_url) as conn:
                        started = time.perf_counter()
                        status = await conn.execute(
                            SET_BASED, b.tenant_id, PRICE.provider, PRICE.model, now
                        )
                        sql_s = time.perf_counter() - started
                        mismatches = await conn.fetchval(
                            """SELECT count(*) FROM usage_events x JOIN usage_events y
                               ON x.event_id = y.event_id AND x.tenant_id = $1 AND y.tenant_id = $2
                               WHERE x.cost <> y.cost
                                  OR x.price_effective_from <> y.price_effective_from""",
                            a.tenant_id,
                            b.tenant_id,
                        )
                        audits = await conn.fetch(
                            "SELECT tenant_id, count(*) FROM usage_repricings GROUP BY 1"
                        )
                finally:
                    await pool.delete(queue)
                    await pool.aclose()
    changed_sql = int(status.split()[-1])
    audit = {row[0]: row[1] for row in audits}
    assert counts["changed"] == changed_sql == args.events, (counts, changed_sql)
    assert audit.get(a.tenant_id) == audit.get(b.tenant_id) == args.events, audit
    assert mismatches == 0, f"{mismatches} events priced differently"
    batches = math.ceil(counts["examined"] / args.batch)
    rows = [
        [
            f"reprice job (batches of {args.batch:,})",
            f"{counts['changed']:,}",
            f"{batches:,}",
            f"{job_s:.2f}",
            f"{counts['changed'] / job_s:,.0f}",
            "1.00",
        ],
        [
            "one set-based UPDATE + audit INSERT",
            f"{changed_sql:,}",
            "1",
            f"{sql_s:.2f}",
            f"{changed_sql / sql_s:,.0f}",
            f"{job_s / sql_s:.2f}",
        ],
    ]
    print(table(rows, ["path", "repriced", "batches", "wall s", "events/s", "job ÷ this"]))
    print("identical costs and price versions in both tenants; one audit row per event in each")


if __name__ == "__main__":
    parser = command_line(__doc__)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000, help="the job's batch size")
    asyncio.run(main(parser.parse_args()))
