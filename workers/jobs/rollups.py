"""Rollup upkeep: a cron every ten minutes fans out one compaction job per tenant.

The fan-out is `workers/jobs/fan_out.py` (tenants from `ledger_tenant_ids()`, one job id per
tenant and minute slot); each job opens its tenant's session, so RLS applies.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

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
