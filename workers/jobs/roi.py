"""ROI jobs: recompute the windows that ingest marked dirty, and the cron that catches up.

- `recompute_roi(tenant, workflow, day)` — enqueued by ingest after commit, with the job id
  `roi:{tenant}:{workflow}:{day}`: a burst of batches touching one window coalesces into one job
  (`keep_result = 0`, so a finished job never blocks the next enqueue). It drains that window's
  marker, re-attributing revenue and recomputing every window whose split changed.
- `drain_roi(tenant)` — job id `roi:{tenant}:drain`: every marker of the tenant, in batches, after
  marking the windows due for a recheck (turning FINAL, acceptance holds ending). Ingest enqueues
  it instead of per-window jobs when a batch touches more than `ENQUEUE_LIMIT` windows. With a
  time budget (`roi_time_budget` in the worker context: half the job timeout from
  `workers.settings.worker_settings`) it starts no batch once the budget is spent and leaves the
  rest to a new `drain_roi` under the same id, enqueued by `continue_drains` (arq's
  `after_job_end`) as soon as this job's id is free: arq cancels a job that outlives its timeout
  (the batch in flight rolls back) and does not retry it, so a long drain must end before.
- `roi_cron` — every five minutes (and at worker start-up): asks `ledger_dirty_tenants(now)`
  (SECURITY DEFINER, migration 0003) which tenants have markers or windows due, and enqueues one
  `drain_roi` per tenant. Markers live in PostgreSQL, so a job lost with Redis is caught up here.

Every job is idempotent (a second run writes nothing) and transactional per batch (see
app.services.roi.recompute). A failing job is logged, recorded in Redis under
`FAILURE_KEY` (shown by `ledger worker status`), and retried with `Retry(defer=job_try × 5 s)`
until `MAX_TRIES`; its markers stay, so the cron retries it after that too.

Worker context keys read here besides arq's and `workers.settings.startup`'s: `clock` (a
zero-argument callable returning an aware datetime; default: the system clock),
`roi_batch_size`, `roi_retry_seconds`, `roi_time_budget` (seconds; none: no budget), and
`roi_before_commit` (an async hook run inside each batch's transaction before commit — used to
inject faults in tests).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from arq.worker import Retry

from app.services.roi.dirty import Pair
from app.services.roi.recompute import DEFAULT_BATCH_SIZE, DrainReport, backlog, drain

log = logging.getLogger("ledger.worker.roi")

MAX_TRIES = 5
RETRY_SECONDS = 5
ENQUEUE_LIMIT = 32
"""Above this many windows, ingest enqueues one tenant drain instead of one job per window."""
CRON_MINUTES = set(range(0, 60, 5))
FAILURE_KEY = "ledger:roi:last_failure"
SUCCESS_KEY = "ledger:roi:last_success"
STATUS_TTL_SECONDS = 7 * 24 * 3600
CONTINUE = "roi_continue"
"""Job context key: the tenant whose drain `continue_drains` enqueues again after the job."""


def pair_job_id(tenant_id: uuid.UUID, workflow_id: uuid.UUID, day: date) -> str:
    return f"roi:{tenant_id}:{workflow_id}:{day.isoformat()}"


def drain_job_id(tenant_id: uuid.UUID) -> str:
    return f"roi:{tenant_id}:drain"


def _now(ctx: dict[str, Any]) -> datetime:
    clock: Callable[[], datetime] | None = ctx.get("clock")
    return clock() if clock is not None else datetime.now(UTC)


async def _record(ctx: dict[str, Any], key: str, entry: dict[str, Any]) -> None:
    try:
        await ctx["redis"].set(key, json.dumps(entry, default=str), ex=STATUS_TTL_SECONDS)
    except Exception:  # Redis trouble must not hide the job's own outcome
        log.warning("could not record %s in Redis", key, exc_info=True)


async def _run(
    ctx: dict[str, Any], job: str, tenant: uuid.UUID, work: Awaitable[DrainReport]
) -> dict[str, Any]:
    try:
        report = await work
    except Exception as exc:
        job_try = int(ctx.get("job_try", 1))
        await _record(
            ctx,
            FAILURE_KEY,
            {"at": _now(ctx), "job": job, "tenant_id": tenant, "try": job_try, "error": repr(exc)},
        )
        log.exception("ROI job %s failed (try %d of %d)", job, job_try, MAX_TRIES)
        if job_try >= MAX_TRIES:
            raise
        raise Retry(defer=job_try * ctx.get("roi_retry_seconds", RETRY_SECONDS)) from exc
    result = {
        "batches": len(report.batches),
        "markers": report.markers,
        "windows": report.windows,
        "changed": report.changed,
        "remaining": report.remaining,
    }
    await _record(ctx, SUCCESS_KEY, {"at": _now(ctx), "job": job, "tenant_id": tenant, **result})
    return result


def _drain(ctx: dict[str, Any], tenant: uuid.UUID, **kwargs: Any) -> Awaitable[DrainReport]:
    return drain(
        sessions=ctx["sessions"],
        tenant_id=tenant,
        now=_now(ctx),
        batch_size=ctx.get("roi_batch_size", DEFAULT_BATCH_SIZE),
        before_commit=ctx.get("roi_before_commit"),
        **kwargs,
    )


async def recompute_roi(
    ctx: dict[str, Any], tenant_id: str, workflow_id: str, day: str
) -> dict[str, Any]:
    """Recompute one (workflow, day)'s windows if its marker is still there (bounded: a marker
    re-set by ingest while this ran is drained again, at most three times)."""
    tenant, pair = uuid.UUID(tenant_id), (uuid.UUID(workflow_id), date.fromisoformat(day))
    work = _drain(ctx, tenant, pairs=[pair], max_batches=3)
    return await _run(ctx, pair_job_id(tenant, *pair), tenant, work)


async def drain_roi(ctx: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    """Recompute every dirty or due window of the tenant, batch by batch, within the time budget
    (see the module docstring); what is left goes on in a new job."""
    tenant = uuid.UUID(tenant_id)
    budget: float | None = ctx.get("roi_time_budget")
    deadline = None if budget is None else time.monotonic() + budget
    work = _drain(ctx, tenant, include_due=True, deadline=deadline)
    result = await _run(ctx, drain_job_id(tenant), tenant, work)
    if deadline is not None and result["remaining"] and time.monotonic() >= deadline:
        ctx[CONTINUE] = tenant_id
        log.info(
            "ROI drain of tenant %s: budget spent, %d markers left", tenant, result["remaining"]
        )
    return result


async def continue_drains(ctx: dict[str, Any]) -> None:
    """arq's `after_job_end`: enqueue the rest of a drain that spent its budget (the job's id is
    free once arq has finished the job)."""
    tenant_id = ctx.pop(CONTINUE, None)
    if tenant_id is None:
        return
    try:
        job_id = drain_job_id(uuid.UUID(tenant_id))
        await ctx["redis"].enqueue_job("drain_roi", tenant_id, _job_id=job_id)
    except Exception:  # the markers are in PostgreSQL: the cron finds them
        log.warning("could not enqueue the rest of tenant %s's ROI drain", tenant_id, exc_info=True)


async def roi_cron(ctx: dict[str, Any]) -> int:
    """Enqueue `drain_roi` for every tenant with markers or windows due; returns how many."""
    async with ctx["engine"].connect() as connection:
        rows = await backlog(connection, _now(ctx))
    enqueued = 0
    for row in rows:
        job = await ctx["redis"].enqueue_job(
            "drain_roi", str(row.tenant_id), _job_id=drain_job_id(row.tenant_id)
        )
        enqueued += job is not None
    if rows:
        log.info("ROI catch-up: %d tenants with work, %d drains enqueued", len(rows), enqueued)
    return enqueued


async def enqueue_recompute(redis: Any, tenant_id: uuid.UUID, pairs: Sequence[Pair]) -> int:
    """After a commit: enqueue the jobs for `pairs` (best effort; returns how many were new).

    Redis being down loses nothing — the markers are committed and the cron finds them — so a
    failure here is logged, never raised to the caller whose data is already safe.
    """
    unique = sorted(set(pairs))
    if redis is None or not unique:
        return 0
    try:
        if len(unique) > ENQUEUE_LIMIT:
            job_id = drain_job_id(tenant_id)
            job = await redis.enqueue_job("drain_roi", str(tenant_id), _job_id=job_id)
            return int(job is not None)
        enqueued = 0
        for workflow_id, day in unique:
            job = await redis.enqueue_job(
                "recompute_roi",
                str(tenant_id),
                str(workflow_id),
                day.isoformat(),
                _job_id=pair_job_id(tenant_id, workflow_id, day),
            )
            enqueued += job is not None
        return enqueued
    except Exception:
        log.warning(
            "could not enqueue ROI recompute for tenant %s; the cron will catch up",
            tenant_id,
            exc_info=True,
        )
        return 0


async def roi_status(redis: Any) -> dict[str, Any]:
    """The last ROI job success and failure recorded in Redis (None when none)."""
    found: dict[str, Any] = {}
    for name, key in (("last_success", SUCCESS_KEY), ("last_failure", FAILURE_KEY)):
        raw = await redis.get(key)
        found[name] = json.loads(raw) if raw is not None else None
    return found
