"""Shared by the worker drills: a Redis server we may kill, worker subprocesses, and the check
that every stored ROI window equals a fresh full recompute.

`verify` snapshots the tenant's `roi_windows` and `revenue_allocations` (figures only: not
`computed_at`, `revision` or `recheck_at`, which record when a row was written, not what it says),
runs the same full rebuild as `ledger roi rebuild` (every window marked, revenue re-attributed,
`force=True`), snapshots again and compares row by row.

    .venv/bin/python -m bench.drills.roi_check worker --job-timeout 15   # used by the drills
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from app.db.sessions import TenantSessions, raw_connection, tenant_sessions
from app.embedded import redis_server_binary
from app.services.roi.recompute import drain, mark_for_rebuild, pending_markers
from app.settings import Settings
from bench.common import ledger_env

WINDOWS = """
SELECT workflow_id, cohort_day, client_id, status, runs, successes, cost, attributed_revenue,
       baseline_revenue, labor_cost, claimants
FROM roi_windows ORDER BY workflow_id, cohort_day, client_id
"""
ALLOCATIONS = """
SELECT event_id, workflow_id, cohort_day, client_id, amount, runs
FROM revenue_allocations ORDER BY event_id, workflow_id, cohort_day
"""


class RedisServer:
    """A `redis-server` (`app.embedded.redis_server_binary`) on a unix socket in `directory`,
    without persistence (a restart loses every queued job: the harsh case)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [
                redis_server_binary(),
                "--port",
                "0",
                "--unixsocket",
                str(self.socket),
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


def start_worker(settings: Settings, log: IO[bytes], job_timeout: int | None = None) -> Any:
    """A worker subprocess: `ledger worker`, or this module's worker with a short job timeout."""
    env = ledger_env(settings, "INFO")
    command = [sys.executable, "-m", "app.cli", "worker"]
    if job_timeout is not None:
        command = [
            sys.executable,
            "-m",
            "bench.drills.roi_check",
            "worker",
            "--job-timeout",
            str(job_timeout),
        ]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


@dataclass
class Verdict:
    windows: int
    allocations: int
    markers_left: int
    rebuild_changed: int
    differing_windows: int
    differing_allocations: int

    @property
    def ok(self) -> bool:
        return (
            self.markers_left == 0
            and self.rebuild_changed == 0
            and self.differing_windows == 0
            and self.differing_allocations == 0
        )

    def print(self) -> None:
        print(f"windows stored: {self.windows}, revenue allocations: {self.allocations}")
        print(f"dirty markers left before the check: {self.markers_left}")
        print(
            f"fresh full recompute: {self.rebuild_changed} rows changed; windows differing:"
            f" {self.differing_windows}; allocations differing: {self.differing_allocations}"
        )


async def snapshot(sessions: TenantSessions, tenant_id: uuid.UUID) -> tuple[set[Any], set[Any]]:
    async with sessions(tenant_id) as session:
        conn = await raw_connection(session)
        windows = {tuple(r) for r in await conn.fetch(WINDOWS)}
        allocations = {tuple(r) for r in await conn.fetch(ALLOCATIONS)}
    return windows, allocations


def differing(before: set[Any], after: set[Any]) -> int:
    return len(before ^ after)


async def verify(settings: Settings, tenant_id: uuid.UUID) -> Verdict:
    """Compare what is stored with a fresh full recompute of every window (see module doc)."""
    async with tenant_sessions(settings, pool_size=2) as sessions:
        left = await pending_markers(sessions=sessions, tenant_id=tenant_id)
        windows, allocations = await snapshot(sessions, tenant_id)
        await mark_for_rebuild(sessions=sessions, tenant_id=tenant_id)
        report = await drain(
            sessions=sessions,
            tenant_id=tenant_id,
            now=datetime.now(UTC),
            include_due=True,
            force=True,
        )
        fresh_windows, fresh_allocations = await snapshot(sessions, tenant_id)
    return Verdict(
        len(windows),
        len(allocations),
        left,
        report.changed,
        differing(windows, fresh_windows),
        differing(allocations, fresh_allocations),
    )


def run_worker_main(job_timeout: int) -> None:
    from arq.worker import run_worker

    from app.cli.servers import load_settings
    from app.logs import configure_logging
    from workers.settings import worker_settings

    settings = load_settings()
    configure_logging(settings.log_level)
    run_worker(worker_settings(settings, job_timeout=job_timeout))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="an arq worker with a short job timeout")
    parser.add_argument("command", choices=["worker"])
    parser.add_argument("--job-timeout", type=int, default=15)
    run_worker_main(parser.parse_args().job_timeout)
