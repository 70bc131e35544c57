"""Drill: the API process is SIGKILLed (and started again) while clients ingest.

    .venv/bin/python -m bench.drills.api_kill [--seconds 12] [--clients 8] [--batch 200] [--kills 2]

Loopback only, bounded in time. A real `ledger serve` (uvicorn subprocess) on a fresh migrated
database; `--clients` clients send batches of usage events with fixed event ids to `/v1/events`
and retry a batch (same ids) with backoff until it is acknowledged (HTTP 200). Meanwhile the API
process gets `kill -9` `--kills` times, each time mid-traffic, and a new one is started on the same
port: requests in flight die with the process (the client sees a dropped connection, never an
answer), some of them after their transaction committed. Afterwards every batch that needed a
retry is sent once more (a client that lost the response), and the stored `usage_events` are
read through the tenant's own session.

Exits 1 unless: every acknowledged event is stored exactly once, nothing is stored that was never
sent, no 5xx, and every replayed batch comes back whole as duplicates. Prints sent /
acknowledged / stored and how many events a retry found already committed (the batches the kill
cut off after their commit). Servers: DATABASE_URL/REDIS_URL when set (a fresh database is
created and dropped), else embedded ones.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from app.settings import Settings
from bench.common import (
    free_port,
    fresh_database,
    make_tenant,
    servers,
    spawn_api,
    wait_until_serving,
)
from bench.drills.pg_restart import (
    Tally,
    interrupted_load,
    load_command_line,
    report,
    stored_event_ids,
)


@dataclass
class KillResult:
    tally: Tally
    stored: list[str]
    downtimes: list[float]  # kill → the new process answering /healthz, seconds
    size: int


class RestartableApi:
    """`ledger serve` on one loopback port that can be SIGKILLed and started again."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = spawn_api(self.settings, self.port)
        wait_until_serving(self.base, self.process)

    def kill_and_restart(self) -> float:
        assert self.process is not None
        started = time.monotonic()
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.start()
        return time.monotonic() - started

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


async def kill_drill(
    settings: Settings, *, seconds: float, clients: int, size: int, kills: int
) -> KillResult:
    """Run the drill against `settings`' migrated database (a new tenant of its own)."""
    tenant = await make_tenant(settings, "api-kill drill")
    api = RestartableApi(settings)
    await asyncio.to_thread(api.start)
    try:
        tally, downtimes = await interrupted_load(
            api.base, tenant.api_key, api.kill_and_restart, seconds=seconds, clients=clients,
            size=size, interruptions=kills,
        )  # fmt: skip
    finally:
        await asyncio.to_thread(api.stop)
    stored = await stored_event_ids(settings, tenant.tenant_id)
    return KillResult(tally, stored, downtimes, size)


async def drill(seconds: float, clients: int, size: int, kills: int) -> int:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            result = await kill_drill(
                db.settings, seconds=seconds, clients=clients, size=size, kills=kills
            )
    return report(result.tally, result.stored, result.downtimes, size, what="SIGKILLs (down for)")


def main() -> None:
    parser = load_command_line(__doc__, batch=200)
    parser.add_argument("--kills", type=int, default=2)
    args = parser.parse_args()
    sys.exit(asyncio.run(drill(args.seconds, args.clients, args.batch, args.kills)))


if __name__ == "__main__":
    main()
