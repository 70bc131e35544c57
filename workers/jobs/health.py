"""The worker's heartbeat: proof, readable from Redis, that a worker is alive and running jobs.

arq's own health-check key says a worker process is polling; the heartbeat says its jobs run
end to end (the cron fired, a job slot was free, Redis accepted the write). It expires after
`HEARTBEAT_TTL_SECONDS`, so a missing key means no worker has run a job for three minutes.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from typing import Any

HEARTBEAT_KEY = "ledger:worker:heartbeat"
HEARTBEAT_TTL_SECONDS = 180  # three cron periods


async def record_heartbeat(ctx: dict[str, Any]) -> str:
    """Write `{"at": ISO-8601 UTC, "host", "pid"}` under HEARTBEAT_KEY; returns the timestamp."""
    at = datetime.now(UTC).isoformat()
    payload = json.dumps({"at": at, "host": socket.gethostname(), "pid": os.getpid()})
    await ctx["redis"].set(HEARTBEAT_KEY, payload, ex=HEARTBEAT_TTL_SECONDS)
    return at


async def read_heartbeat(redis: Any) -> dict[str, Any] | None:
    """The last heartbeat written by any worker, or None when none is live."""
    raw = await redis.get(HEARTBEAT_KEY)
    if raw is None:
        return None
    value: dict[str, Any] = json.loads(raw)
    return value
