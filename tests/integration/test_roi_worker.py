"""ROI jobs on a real arq worker (burst mode) against the real Redis and PostgreSQL.

Each test uses a queue of its own, so no other test's jobs run here and none of ours leak.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from arq import create_pool, cron
from arq.worker import func

from app.db.sessions import raw_connection
from app.services.roi.dirty import mark_runs
from tests.integration.reads_factories import client, day, insert, run, usage, workflow
from tests.integration.roi_helpers import (
    LATER,
    allocation_rows,
    fetch,
    rebuild,
    revenue,
    window_rows,
)
from tests.integration.worker_support import run_burst
from workers.jobs.roi import (
    ENQUEUE_LIMIT,
    FAILURE_KEY,
    MAX_TRIES,
    drain_job_id,
    drain_roi,
    enqueue_recompute,
    recompute_roi,
    roi_cron,
)
from workers.settings import redis_settings, worker_settings

pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


@pytest.fixture
async def queue(migrated):
    """An arq pool whose default queue is private to this test."""
    name = f"arq:test-roi-{uuid.uuid4().hex[:8]}"
    pool = await create_pool(redis_settings(migrated.redis_url), default_queue_name=name)
    try:
        yield pool
    finally:
        await pool.delete(name)
        await pool.aclose()


async def run_worker(settings, pool, *, cron_jobs=(), **ctx):
    """Run the ROI jobs queued on `pool`'s queue until none is left; returns the worker."""
    return await run_burst(
        worker_settings(
            settings,
            functions=[
                func(recompute_roi, max_tries=MAX_TRIES),
                func(drain_roi, max_tries=MAX_TRIES),
                roi_cron,
            ],
            cron_jobs=list(cron_jobs),
            queue_name=pool.default_queue_name,
            ctx={"settings": settings, "clock": lambda: LATER, **ctx},
        )
    )


async def three_days_of_runs(sessions, t):
    """Runs on days 0, 1 and 2, each of its own client, with usage and revenue; all marked
    dirty. (One client per day: no revenue event is shared between days' windows.)"""
    wf = workflow(t)
    rows = [wf]
    for d in range(3):
        cid, who = f"r{d}", client(t, f"Client {d}")
        rows += [
            who,
            run(t, wf, cid, started_at=day(d), status="ACCEPTED", client_id=who.client_id),
            usage(t, wf, f"{d + 1}.50", correlation_id=cid, occurred_at=day(d)),
            revenue(t, who, f"{10 * (d + 1)}.00", day(d, 5), correlation_id=cid),
        ]
    await insert(sessions, t, *rows)
    async with sessions(t) as session:
        pairs = await mark_runs(await raw_connection(session), t, ["r0", "r1", "r2"])
    return wf, pairs


async def test_ingest_bursts_coalesce_into_one_job_per_window(
    migrated, sessions, make_tenant, queue
):
    t = (await make_tenant()).tenant_id
    _, pairs = await three_days_of_runs(sessions, t)

    # Given two ingest batches touching the same three windows
    assert await enqueue_recompute(queue, t, pairs) == 3
    assert await enqueue_recompute(queue, t, pairs) == 0  # same job ids: coalesced

    worker = await run_worker(migrated, queue)

    assert (worker.jobs_complete, worker.jobs_failed) == (3, 0)
    windows = await window_rows(sessions, t)
    assert [(w["cohort_day"], w["cost"], w["attributed_revenue"]) for w in windows] == [
        (day(0).date(), 1.5, 10),
        (day(1).date(), 2.5, 20),
        (day(2).date(), 3.5, 30),
    ]
    assert await fetch(sessions, t, "SELECT * FROM roi_dirty") == []

    # When the same jobs are enqueued again (keep_result = 0: nothing blocks them) and run
    assert await enqueue_recompute(queue, t, pairs) == 3
    async with sessions(t) as session:
        await mark_runs(await raw_connection(session), t, ["r0", "r1", "r2"])
    again = await run_worker(migrated, queue, clock=lambda: LATER + timedelta(days=1))

    # Then they change nothing: identical rows, computedAt included
    assert again.jobs_complete == 3
    assert await window_rows(sessions, t) == windows


async def test_many_windows_enqueue_one_tenant_drain(make_tenant, queue):
    t = (await make_tenant()).tenant_id
    pairs = [(uuid.uuid4(), day(d).date()) for d in range(ENQUEUE_LIMIT + 1)]

    assert await enqueue_recompute(queue, t, pairs) == 1
    assert await queue.zrange(queue.default_queue_name, 0, -1) == [drain_job_id(t).encode()]


async def test_redis_down_loses_nothing_the_cron_catches_up(migrated, sessions, make_tenant, queue):
    t = (await make_tenant()).tenant_id
    await three_days_of_runs(sessions, t)

    class Down:
        async def enqueue_job(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    # Given committed markers whose jobs could not be enqueued
    assert await enqueue_recompute(Down(), t, [(uuid.uuid4(), day(0).date())]) == 0

    # When the cron runs (at worker start-up)
    worker = await run_worker(
        migrated, queue, cron_jobs=[cron(roi_cron, second=0, run_at_startup=True)]
    )

    # Then it found the tenant through ledger_dirty_tenants() and drained it
    assert worker.jobs_failed == 0
    assert len(await window_rows(sessions, t)) == 3
    assert await fetch(sessions, t, "SELECT * FROM roi_dirty") == []


async def test_the_cron_finalizes_open_windows_when_their_thirty_days_pass(
    migrated, sessions, make_tenant, queue
):
    t = (await make_tenant()).tenant_id
    await three_days_of_runs(sessions, t)
    await rebuild(sessions, t, now=day(5))
    assert {w["status"] for w in await window_rows(sessions, t)} == {"OPEN"}

    await queue.enqueue_job("roi_cron")
    await run_worker(migrated, queue, clock=lambda: day(32))  # days 0, 1 done; day 2 not yet

    windows = await window_rows(sessions, t)
    assert [(w["status"], w["revision"]) for w in windows] == [
        ("FINAL", 0),
        ("FINAL", 0),
        ("OPEN", 0),
    ]
    assert windows[2]["recheck_at"] == day(33)


async def test_a_job_failing_mid_way_is_retried_to_the_same_windows_with_no_partial_state(
    migrated, sessions, make_tenant, queue
):
    t = (await make_tenant()).tenant_id
    await three_days_of_runs(sessions, t)
    seen: list[tuple[int, int, list, int]] = []

    async def fail_once_in_the_second_batch(stats):
        if stats.tenant_id != t:
            return
        # What any other transaction sees while this batch is written but not committed:
        visible = [w["cohort_day"] for w in await window_rows(sessions, t)]
        markers = len(await fetch(sessions, t, "SELECT * FROM roi_dirty"))
        seen.append((len(seen) + 1, stats.number, visible, markers))
        if len(seen) == 2:
            raise RuntimeError("injected failure after the first batch")

    await queue.enqueue_job("drain_roi", str(t), _job_id=drain_job_id(t))
    worker = await run_worker(
        migrated,
        queue,
        roi_batch_size=1,
        roi_retry_seconds=0.05,
        roi_before_commit=fail_once_in_the_second_batch,
    )

    assert (worker.jobs_retried, worker.jobs_complete, worker.jobs_failed) == (1, 1, 0)
    assert seen == [
        (1, 1, [], 3),  # first try, batch 1 (day 0): nothing committed yet
        (2, 2, [day(0).date()], 2),  # batch 2 (day 1) fails: only day 0 is visible
        (3, 1, [day(0).date()], 2),  # the retry starts over day 1: the failed batch left nothing
        (4, 2, [day(0).date(), day(1).date()], 1),
    ]
    failure = json.loads(await queue.get(FAILURE_KEY))
    assert failure["tenant_id"] == str(t) and "injected failure" in failure["error"]
    # The retried job's windows equal a clean recompute of everything.
    windows, allocations = await window_rows(sessions, t), await allocation_rows(sessions, t)
    assert len(windows) == 3
    clean = await rebuild(sessions, t, now=LATER)
    assert clean.changed == 0
    assert await window_rows(sessions, t) == windows
    assert await allocation_rows(sessions, t) == allocations


async def test_a_drain_that_spends_its_time_budget_goes_on_in_a_new_job(
    migrated, sessions, make_tenant, queue
):
    t = (await make_tenant()).tenant_id
    await three_days_of_runs(sessions, t)
    batches: list[tuple[int, int]] = []

    async def record(stats):
        if stats.tenant_id == t:
            markers = len(await fetch(sessions, t, "SELECT * FROM roi_dirty"))
            batches.append((stats.number, markers))

    # Given a budget already spent when the job starts: each job runs one batch, then hands over
    await queue.enqueue_job("drain_roi", str(t), _job_id=drain_job_id(t))
    complete = runs = 0
    while await queue.zcard(queue.default_queue_name) and runs < 10:
        worker = await run_worker(
            migrated, queue, roi_batch_size=1, roi_time_budget=0, roi_before_commit=record
        )
        complete, runs = complete + worker.jobs_complete, runs + 1
        assert worker.jobs_failed == 0

    # Then three jobs of one batch each drained the three markers (the batch's own markers are
    # still there when it is about to commit), and the windows equal a clean recompute.
    assert complete == 3
    assert batches == [(1, 3), (1, 2), (1, 1)]
    assert await fetch(sessions, t, "SELECT * FROM roi_dirty") == []
    windows = await window_rows(sessions, t)
    assert len(windows) == 3
    assert (await rebuild(sessions, t, now=LATER)).changed == 0
    assert await window_rows(sessions, t) == windows


async def test_without_a_budget_one_drain_job_runs_every_batch(
    migrated, sessions, make_tenant, queue
):
    t = (await make_tenant()).tenant_id
    await three_days_of_runs(sessions, t)
    await queue.enqueue_job("drain_roi", str(t), _job_id=drain_job_id(t))

    worker = await run_worker(migrated, queue, roi_batch_size=1)

    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    assert await queue.zcard(queue.default_queue_name) == 0
    assert await fetch(sessions, t, "SELECT * FROM roi_dirty") == []


def test_the_worker_gives_a_drain_half_its_job_timeout(migrated) -> None:
    assert worker_settings(migrated)["ctx"]["roi_time_budget"] == 150
    assert worker_settings(migrated, job_timeout=30)["ctx"]["roi_time_budget"] == 15
