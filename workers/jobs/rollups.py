"""Rollup upkeep: a cron every ten minutes fans out one compaction job per tenant.

Same shape as the gate cron (`workers/jobs/gates.py`): tenants come from the SECURITY DEFINER
`ledger_tenant_ids()`, each job opens its tenant's session (RLS applies), and the job id per
tenant and time slot makes a second firing or a second worker coalesce instead of duplicating.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from app.services.gate_evaluations import tenant_ids
from app.services.rollups import compact_cohort_days

log = logging.getLogger("ledger.worker.rollups")

COMPACTION_MINUTES = {3, 13, 23, 33, 43, 53}
"""The cron fires at these minutes: every ten, clear of the ROI (every five) and gate crons."""


def job_id(tenant_id: uuid.UUID, now: datetime) -> str:
    return f"compact:{tenant_id}:{now.strftime('%Y%m%dT%H%M')}"


async def compact_rollups(ctx: dict[str, Any]) -> int:
    """Enqueue one `compact_tenant_rollups` job per tenant; returns how many were enqueued."""
    now = datetime.now(UTC)
    async with ctx["engine"].connect() as connection:
        tenants = await tenant_ids(connection)
    enqueued = 0
    for tenant in tenants:
        job = await ctx["redis"].enqueue_job(
            "compact_tenant_rollups", str(tenant), _job_id=job_id(tenant, now)
        )
        enqueued += job is not None
    return enqueued


async def compact_tenant_rollups(ctx: dict[str, Any], tenant_id: str) -> int:
    """Compact one tenant's daily rollup; returns the bucket rows written."""
    tenant = uuid.UUID(tenant_id)
    async with ctx["sessions"](tenant) as session:
        written = await compact_cohort_days(session=session)
    log.info("tenant %s: %d rollup buckets compacted", tenant, written)
    return written
