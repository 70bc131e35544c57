"""Repricing job: after a price-book change, reprice the (provider, model)'s priced usage.

`reprice(tenant, provider, model)` is enqueued by `setModelPrice` after commit with the job id
`reprice:{tenant}:{provider}:{model}`: a burst of price changes for one model coalesces into one
job (`keep_result = 0` in workers.settings, so a finished job never blocks the next enqueue).
The job is idempotent (app.services.pricing.repricing) and enqueues the ROI recompute of the windows
whose cost it changed. Context keys besides `workers.settings.startup`'s: `clock` (zero-argument
callable returning an aware datetime) and `reprice_batch_size`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from app.services.pricing.repricing import DEFAULT_BATCH_SIZE, reprice_usage
from workers.jobs.roi import enqueue_recompute

log = logging.getLogger("ledger.worker.repricing")


def reprice_job_id(tenant_id: uuid.UUID, provider: str, model: str) -> str:
    return f"reprice:{tenant_id}:{provider}:{model}"


async def reprice(ctx: dict[str, Any], tenant_id: str, provider: str, model: str) -> dict[str, int]:
    """Reprice the tenant's priced usage of (provider, model); returns examined/changed counts."""
    tenant = uuid.UUID(tenant_id)
    clock: Callable[[], datetime] | None = ctx.get("clock")
    result = await reprice_usage(
        sessions=ctx["sessions"],
        tenant_id=tenant,
        provider=provider,
        model=model,
        now=clock() if clock is not None else datetime.now(UTC),
        batch_size=ctx.get("reprice_batch_size", DEFAULT_BATCH_SIZE),
    )
    await enqueue_recompute(ctx.get("redis"), tenant, result.windows)
    log.info(
        "repriced %s/%s for %s: %d of %d changed",
        provider,
        model,
        tenant,
        result.changed,
        result.examined,
    )
    return {"examined": result.examined, "changed": result.changed}


async def enqueue_reprice(redis: Any, tenant_id: uuid.UUID, provider: str, model: str) -> bool:
    """After a commit: enqueue the repricing (best effort; a missing Redis is logged, not raised).

    Returns whether a new job was enqueued (False: none, Redis down, or one already queued)."""
    if redis is None:
        return False
    try:
        job = await redis.enqueue_job(
            "reprice",
            str(tenant_id),
            provider,
            model,
            _job_id=reprice_job_id(tenant_id, provider, model),
        )
    except Exception:
        log.warning(
            "could not enqueue repricing of %s/%s for tenant %s; run `ledger prices "
            "import` or set the price again",
            provider,
            model,
            tenant_id,
            exc_info=True,
        )
        return False
    return job is not None
