"""The arq worker against the real Redis: settings, startup resources, and the heartbeat job."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from arq import create_pool
from arq.worker import async_check_health, create_worker

from app.settings import Settings
from workers.jobs.health import (
    HEARTBEAT_KEY,
    HEARTBEAT_TTL_SECONDS,
    read_heartbeat,
    record_heartbeat,
)
from workers.settings import WorkerSettings, redis_settings, worker_settings

# arq 0.28 closes its pools with redis-py's deprecated close(); not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")


def test_worker_settings_need_no_redis_url_to_import() -> None:
    assert WorkerSettings.health_check_interval == 30
    assert WorkerSettings.max_tries == 5
    assert WorkerSettings.job_timeout == 300
    assert WorkerSettings.keep_result == 0
    assert not hasattr(WorkerSettings, "redis_settings")


def test_worker_settings_read_a_unix_socket_url(tmp_path) -> None:
    socket_path = tmp_path / "redis.sock"
    kwargs = worker_settings(Settings(redis_url=f"unix://{socket_path}"))
    assert kwargs["redis_settings"].unix_socket_path == str(socket_path)
    assert record_heartbeat in kwargs["functions"]
    assert "cron:record_heartbeat" in [job.name for job in kwargs["cron_jobs"]]
    assert kwargs["ctx"]["settings"].redis_url.startswith("unix://")


async def test_heartbeat_job_runs_in_burst_mode_and_writes_redis(migrated: Settings) -> None:
    # Given a queued heartbeat job
    assert migrated.redis_url
    pool = await create_pool(redis_settings(migrated.redis_url))
    try:
        await pool.delete(HEARTBEAT_KEY)
        await pool.enqueue_job("record_heartbeat")
        before = datetime.now(UTC)

        # When a worker runs in burst mode
        worker = create_worker(
            worker_settings(migrated), burst=True, handle_signals=False, poll_delay=0.05
        )
        try:
            await worker.main()
            # Then the job ran for real, with the engine built at startup
            assert worker.jobs_failed == 0
            assert worker.jobs_complete >= 1
            assert "sessions" in worker.ctx and "engine" in worker.ctx
        finally:
            await worker.close()
        assert "engine" not in worker.ctx  # disposed on shutdown

        beat = await read_heartbeat(pool)
        assert beat is not None
        at = datetime.fromisoformat(beat["at"])
        assert before - timedelta(seconds=1) <= at <= datetime.now(UTC)
        assert json.loads(await pool.get(HEARTBEAT_KEY))["pid"] > 0
        assert 0 < await pool.ttl(HEARTBEAT_KEY) <= HEARTBEAT_TTL_SECONDS
    finally:
        await pool.aclose()


async def test_health_check_passes_only_while_a_worker_reports(migrated: Settings) -> None:
    assert migrated.redis_url
    settings = redis_settings(migrated.redis_url)
    worker = create_worker(
        worker_settings(migrated), burst=True, handle_signals=False, poll_delay=0.05
    )
    try:
        await worker.main()
        assert await async_check_health(settings) == 0  # the key the worker wrote while polling
    finally:
        await worker.close()
    assert await async_check_health(settings) == 1  # close() removes it
