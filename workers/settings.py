"""arq worker settings: the job functions, the cron schedule, and resources built once per worker.

`WorkerSettings` holds everything that does not depend on the environment, so importing it needs
no REDIS_URL. `worker_settings(settings)` adds the Redis connection and the settings themselves;
the `ledger worker` command, the demo and the tests build workers from it.
"""

from __future__ import annotations

import logging
from typing import Any

from arq import cron
from arq.connections import RedisSettings

from app.db.sessions import TenantSessions, create_engine
from app.settings import Settings, get_settings
from workers.jobs.gates import GATE_EVALUATION_MINUTE, evaluate_gates, evaluate_tenant_gates
from workers.jobs.health import record_heartbeat
from workers.jobs.repricing import reprice
from workers.jobs.roi import CRON_MINUTES, continue_drains, drain_roi, recompute_roi, roi_cron
from workers.jobs.rollups import (
    COMPACTION_MINUTES,
    compact_rollups,
    compact_tenant_rollups,
    drain_ladder_reach,
    drain_tenant_ladder_reach,
)

log = logging.getLogger("ledger.worker")


async def startup(ctx: dict[str, Any]) -> None:
    """One engine (application role: row-level security applies) and session factory."""
    settings: Settings = ctx.get("settings") or get_settings()
    ctx["settings"] = settings
    ctx["engine"] = create_engine(settings, pool_size=5, max_overflow=5)
    ctx["sessions"] = TenantSessions(ctx["engine"])
    log.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    engine = ctx.pop("engine", None)
    ctx.pop("sessions", None)
    if engine is not None:
        await engine.dispose()
    log.info("worker stopped")


class WorkerSettings:
    """Read by `arq.worker.create_worker`; see `worker_settings` for the Redis connection."""

    functions = [
        record_heartbeat,
        evaluate_gates,
        evaluate_tenant_gates,
        recompute_roi,
        drain_roi,
        roi_cron,
        reprice,
        compact_rollups,
        compact_tenant_rollups,
        drain_ladder_reach,
        drain_tenant_ladder_reach,
    ]
    cron_jobs = [
        cron(record_heartbeat, second=0, run_at_startup=True, unique=True),
        # Hourly: every gate of every tenant, fanned out one job per tenant.
        cron(evaluate_gates, minute=GATE_EVALUATION_MINUTE, second=0, unique=True),
        # Every five minutes, and at start-up: ROI catch-up (lost jobs, windows turning FINAL).
        cron(roi_cron, minute=CRON_MINUTES, second=30, run_at_startup=True, unique=True),
        # Every ten minutes: fold the daily rollup's appended rows (one job per tenant).
        cron(compact_rollups, minute=COMPACTION_MINUTES, second=15, unique=True),
        # Every minute: recompute the ladder reachers marked dirty (one job per tenant).
        cron(drain_ladder_reach, second=45, run_at_startup=True, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    after_job_end = continue_drains  # a drain that spent its time budget goes on in a new job
    health_check_interval = 30
    max_tries = 5
    job_timeout = 300
    # Recompute jobs are coalesced by `_job_id`; a kept result would block the next enqueue.
    keep_result = 0


def redis_settings(url: str) -> RedisSettings:
    """`redis://`, `rediss://` or `unix://` (the embedded Redis listens on a unix socket)."""
    return RedisSettings.from_dsn(url)


def worker_settings(settings: Settings, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for `arq.worker.Worker`, bound to these settings' Redis."""
    if not settings.redis_url:
        raise RuntimeError("REDIS_URL is not set and no embedded Redis was started")
    base = {name: value for name, value in vars(WorkerSettings).items() if not name.startswith("_")}
    # An ROI drain stops starting batches after half the job timeout (workers.jobs.roi).
    budget = overrides.get("job_timeout", WorkerSettings.job_timeout) / 2
    return {
        **base,
        "redis_settings": redis_settings(settings.redis_url),
        "ctx": {"settings": settings, "roi_time_budget": budget},
        **overrides,
    }
