"""One job per tenant: how the periodic crons (gate evaluation, rollup compaction) fan out.

Tenants come from `ledger_tenant_ids()` — the SECURITY DEFINER registry of migration 0004, since
row-level security lets no application session list tenants. Each job gets an id per tenant and
minute slot, so a second firing of the cron (or a second worker) in the same slot coalesces in
arq instead of duplicating the work; tenants run independently, on any number of workers.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from app.services.gates.evaluations import tenant_ids


def slot_job_id(prefix: str, tenant_id: uuid.UUID, now: datetime) -> str:
    """`prefix:tenant:YYYYMMDDTHHMM`: one job per tenant per minute slot."""
    return f"{prefix}:{tenant_id}:{now.strftime('%Y%m%dT%H%M')}"


async def enqueue_per_tenant(ctx: dict[str, Any], function: str, prefix: str, now: datetime) -> int:
    """Enqueue `function(tenant_id)` once per tenant; returns how many were enqueued (a job
    already queued in the same slot is not counted)."""
    async with ctx["engine"].connect() as connection:
        tenants = await tenant_ids(connection)
    enqueued = 0
    for tenant in tenants:
        job = await ctx["redis"].enqueue_job(
            function, str(tenant), _job_id=slot_job_id(prefix, tenant, now)
        )
        enqueued += job is not None
    return enqueued
