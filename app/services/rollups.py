"""Upkeep of the daily rollup `cohort_days` (migration 0009).

Every write statement appends its deltas to `cohort_days` instead of updating a shared bucket
row (which would serialize concurrent ingest batches of a day), so a bucket grows one row per
statement that touched it. `compact_cohort_days()` folds each bucket holding several rows into
one; the worker runs it per tenant on a schedule. Reads sum a bucket's rows, so figures are the
same before and after compaction; only the reading gets cheaper.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def compact_cohort_days(*, session: AsyncSession) -> int:
    """Fold the session tenant's split buckets; returns how many bucket rows were written."""
    written = (await session.execute(text("SELECT compact_cohort_days()"))).scalar_one()
    return int(written)
