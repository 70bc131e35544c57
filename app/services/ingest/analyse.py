"""Keep the tables ingest grows analysed, from a tenant's first big batches on.

PostgreSQL picks each statement's plan from table statistics. On a table that was never
analysed, or that grew far past its last ANALYZE, it believes a tenant holds about one row, and
the ingest statements and triggers read the whole tenant once per record (migration 0016 says
why no statement shape avoids that). Autovacuum may be off, or slower than a burst of ingest.

So, at most once per process every CHECK_INTERVAL seconds, a batch asks `ledger_analyze_grown`
(migration 0016) for the tables whose changes since their last analyse reach max(MIN_CHANGES,
growth x their rows at that analyse), in two tiers:

- in the batch, before it writes (BLIND = 1.0): tables never analysed, or that at least doubled
  since their last analyse: statistics that would plan the batch blind. These are the small
  tables of a new deployment or tenant (ms to analyse); on a big table it happens only when the
  tier below did not keep up;
- after the batch commits, in a background task of the same process on a connection of its
  own (GROWTH = 0.2): about every +20 % of growth, i.e. some 40 ANALYZEs per table while a
  tenant goes from empty to 1M runs, each sampling at most 30,000 rows (2-3 s for `runs` or
  `usage_events` at 1M rows on a busy 2-vCPU machine): no request waits for them. Until one
  ends, batches are planned from statistics at most 20 % (plus the analyse's duration) behind,
  which keeps the intended indexes (tests/integration/test_ingest_plans.py).

One analyser at a time across processes (an advisory lock in the function: the others skip),
at most one background analyse in flight per process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

log = logging.getLogger("ledger.ingest.analyse")

MIN_CHANGES = 1000
BLIND = 1.0
GROWTH = 0.2
CHECK_INTERVAL = 1.0

ANALYZE_GROWN = "SELECT ledger_analyze_grown($1, $2)"


class GrowthCheck:
    """When this process last asked for the check (monotonic seconds)."""

    def __init__(self, interval: float = CHECK_INTERVAL) -> None:
        self.interval = interval
        self.next_at = 0.0

    def due(self) -> bool:
        now = time.monotonic()
        if now < self.next_at:
            return False
        self.next_at = now + self.interval
        return True


growth_check = GrowthCheck()


async def analyse_grown_tables(conn: Any, session: AsyncSession | None = None) -> list[str]:
    """When a check is due: ANALYZE now (in `conn`'s transaction) the ingest tables that would
    plan this batch blind, and, once `session` commits, the ones that grew past GROWTH in the
    background. Returns the tables analysed now."""
    if not growth_check.due():
        return []
    analysed = await conn.fetchval(ANALYZE_GROWN, MIN_CHANGES, BLIND)
    engine = session.bind if session is not None else None
    if session is not None and isinstance(engine, AsyncEngine):
        # After commit: the batch's transaction holds the function's advisory lock until then.
        event.listen(
            session.sync_session,
            "after_commit",
            lambda _: background.start(engine),
            once=True,
        )
    return list(analysed or [])


class BackgroundAnalyse:
    """At most one background `ledger_analyze_grown(MIN_CHANGES, GROWTH)` per process."""

    def __init__(self) -> None:
        self.task: asyncio.Task[list[str]] | None = None

    def start(self, engine: AsyncEngine) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # committed outside an event loop: the next due check starts one
        running = self.task
        if running is not None and not running.done() and running.get_loop() is loop:
            return
        self.task = loop.create_task(self.run(engine))

    async def run(self, engine: AsyncEngine) -> list[str]:
        try:
            async with engine.connect() as connection:
                analysed = await connection.scalar(
                    text("SELECT ledger_analyze_grown(:changes, :growth)"),
                    {"changes": MIN_CHANGES, "growth": GROWTH},
                )
                await connection.commit()
        except Exception:  # the next due check tries again
            log.warning("background ANALYZE of grown ingest tables failed", exc_info=True)
            return []
        return list(analysed or [])


background = BackgroundAnalyse()
