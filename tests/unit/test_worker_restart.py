"""`ledger worker` survives Redis going away: it starts the worker again with backoff."""

from __future__ import annotations

from typing import Any

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app.cli.run import MAX_RESTART_DELAY_SECONDS, run_worker_resiliently
from app.settings import Settings

SETTINGS = Settings(database_url="postgresql://db/x", redis_url="redis://127.0.0.1:1/0")


def test_restarts_with_growing_delay_until_the_worker_returns() -> None:
    outcomes: list[Exception | None] = [RedisConnectionError("gone")] * 7 + [None]
    sleeps: list[float] = []

    def run(worker: Any) -> None:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome

    run_worker_resiliently(SETTINGS, run=run, sleep=sleeps.append)
    assert outcomes == []
    assert sleeps == [1, 2, 4, 8, 16, MAX_RESTART_DELAY_SECONDS, MAX_RESTART_DELAY_SECONDS]


def test_a_burst_worker_fails_instead_of_waiting() -> None:
    def run(worker: Any) -> None:
        raise RedisConnectionError("gone")

    with pytest.raises(RedisConnectionError):
        run_worker_resiliently(SETTINGS, burst=True, run=run, sleep=lambda _: None)


def test_other_errors_are_not_swallowed() -> None:
    def run(worker: Any) -> None:
        raise RuntimeError("a bug")

    with pytest.raises(RuntimeError):
        run_worker_resiliently(SETTINGS, run=run, sleep=lambda _: None)
