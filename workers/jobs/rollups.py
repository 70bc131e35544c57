"""Rollup upkeep, fanned out one job per tenant by crons:

- every ten minutes, compaction of the daily rollup `cohort_days`;
- every minute, the ladder reach drain: the reachers that writes marked dirty get their
  `ladder_reach` rows recomputed (`app.services.ladders.reach`). Reads are exact either way (they
  compute dirty reachers live); the drain keeps that live part small.

The fan-out is `workers/jobs/fan_out.py` (tenants from `ledger_tenant_ids()`, one job id per
tenant and minute slot); each job opens its tenant's session, so RLS applies.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from app.services.ladders.reach import DRAIN_BATCH, drain
from app.services.rollups import compact_cohort_days
from workers.jobs.fan_out import enqueue_per_tenant

log = logging.getLogger("ledger.worker.rollups")

COMPACTION_MINUTES = {3, 13, 23, 33, 43, 53}
"""The cron fires at these minutes: every ten, clear of the ROI (every five) and gate crons."""


async def compact_rollups(ctx: dict[str, Any]) -> int:
    """Enqueue one `compact_tenant_rollups` job per tenant; returns how many were enqueued."""
    return await enqueue_per_tenant(ctx, "compact_tenant_rollups", "compact", datetime.now(UTC))


async def compact_tenant_rollups(ctx: dict[str, Any], tenant_id: str) -> int:
    """Compact one tenant's daily rollup; returns the bucket rows written."""
    tenant = uuid.UUID(tenant_id)
    async with ctx["sessions"](tenant) as session:
        written = await compact_cohort_days(session=session)
    log.info("tenant %s: %d rollup buckets compacted", tenant, written)
    return written


async def drain_ladder_reach(ctx: dict[str, Any]) -> int:
    """Enqueue one `drain_tenant_ladder_reach` job per tenant; returns how many were enqueued."""
    return await enqueue_per_tenant(ctx, "drain_tenant_ladder_reach", "ladder", datetime.now(UTC))


async def drain_tenant_ladder_reach(ctx: dict[str, Any], tenant_id: str) -> int:
    """Recompute every dirty reacher of one tenant, `DRAIN_BATCH` per transaction; returns
    how many were recomputed."""
    tenant = uuid.UUID(tenant_id)
    total = 0
    while True:
        async with ctx["sessions"](tenant) as session:
            done = await drain(session)
        total += done
        if done < DRAIN_BATCH:
            break
    if total:
        log.info("tenant %s: %d ladder reachers recomputed", tenant, total)
    return total
