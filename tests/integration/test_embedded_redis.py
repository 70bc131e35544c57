"""The embedded Redis stays out of a terminal's Ctrl-C: `ledger demo` stops it after the worker."""

from __future__ import annotations

import os
from pathlib import Path

from app.embedded import start_redis, stop_redis


def test_redis_runs_in_its_own_process_group_and_stops_on_sigterm(tmp_path: Path) -> None:
    process, url = start_redis(tmp_path)
    assert process is not None and url == f"unix://{tmp_path / 'redis.sock'}"
    try:
        # a group of its own: a terminal's Ctrl-C (SIGINT to our group) does not reach it
        assert os.getpgid(process.pid) == process.pid
        assert os.getpgid(process.pid) != os.getpgrp()
    finally:
        stop_redis(process)
    assert process.returncode == 0  # SIGTERM: Redis shut down cleanly, not killed
