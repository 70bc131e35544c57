"""Keep the tables ingest grows analysed, from a tenant's first big batches on.

PostgreSQL picks each statement's plan from table statistics. On a table that was never
analysed, or that grew far past its last ANALYZE, it believes a tenant holds about one row, and
the ingest statements and triggers read the whole tenant once per record (migration 0016 says
why no statement shape avoids that). Autovacuum may be off, or slower than a burst of ingest.

So before writing a batch, ingest asks `ledger_analyze_grown` (migration 0016) to ANALYZE the
tables whose changes since their last analyse reach max(MIN_CHANGES, GROWTH x their rows):
about every +20 % of growth, i.e. some 40 ANALYZEs per table while a tenant goes from empty to
1M runs, each sampling at most 30,000 rows (2-3 s for `runs` or `usage_events` at 1M rows on a
busy 2-vCPU machine; the batch that runs one waits for it). At most one check per process every
CHECK_INTERVAL seconds (the check reads `pg_stat_user_tables`); one analyser at a time across
processes (the others skip it).
"""

from __future__ import annotations

import time
from typing import Any

MIN_CHANGES = 1000
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


async def analyse_grown_tables(conn: Any) -> list[str]:
    """ANALYZE the ingest tables that grew past their statistics (when a check is due);
    returns the tables analysed."""
    if not growth_check.due():
        return []
    analysed = await conn.fetchval(ANALYZE_GROWN, MIN_CHANGES, GROWTH)
    return list(analysed or [])
