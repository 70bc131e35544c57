"""Gate evaluation jobs: an hourly cron fans out one job per tenant.

`evaluate_gates` (the cron) lists tenants through `ledger_tenant_ids()` — the SECURITY DEFINER
registry of migration 0004, since row-level security lets no application session list tenants —
and enqueues `evaluate_tenant_gates` for each, with a job id per tenant and time slot so a
second cron firing (or a second worker) in the same slot coalesces instead of duplicating.
`evaluate_tenant_gates` opens that tenant's session (RLS applies), evaluates and stores every
gate in force, and applies auto-demotions. Tenants are evaluated independently: one failing
tenant never blocks the others, and any number of workers share the fan-out.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

from app.services.gates.evaluations import evaluate_tenant
from workers.jobs.fan_out import enqueue_per_tenant, slot_job_id

log = logging.getLogger("ledger.worker.gates")

GATE_EVALUATION_MINUTE = 7
"""The cron fires hourly at this minute (off the top of the hour, when other crons cluster)."""


def job_id(tenant_id: uuid.UUID, now: datetime) -> str:
    """One evaluation per tenant per minute slot: duplicates coalesce in arq."""
    return slot_job_id("gates", tenant_id, now)


async def evaluate_gates(ctx: dict[str, Any]) -> int:
    """Enqueue one `evaluate_tenant_gates` job per tenant; returns how many were enqueued."""
    enqueued = await enqueue_per_tenant(ctx, "evaluate_tenant_gates", "gates", datetime.now(UTC))
    log.info("gate evaluation: %d tenant jobs enqueued", enqueued)
    return enqueued


async def evaluate_tenant_gates(ctx: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    """Evaluate and store every gate of one tenant as of now; returns counts and demotions."""
    tenant = uuid.UUID(tenant_id)
    async with ctx["sessions"](tenant) as session:
        summary = await evaluate_tenant(session=session, tenant_id=tenant, now=datetime.now(UTC))
    if summary.demoted:
        log.warning("auto-demoted in tenant %s: %s", tenant, ", ".join(summary.demoted))
    return {"evaluated": summary.evaluated, "demoted": summary.demoted}
