"""Per-tenant ingest rate limit: a token bucket in Redis, shared by every API process.

One bucket per tenant holds at most `burst` records and refills at `rate` records per second
(`LEDGER_INGEST_RATE_PER_SECOND`, `LEDGER_INGEST_RATE_BURST`). A batch of n records takes n
tokens; when fewer are left the batch is refused whole (nothing is written) and the caller is told
how many seconds to wait (`Retry-After`, whole seconds, at least 1). A batch larger than the burst
can never fit: it is admitted when the bucket is full and empties it, so an oversized-but-legal
batch is slowed down, never refused forever.

The bucket lives in Redis (the app's arq pool) and is updated by one Lua script, atomically,
with Redis's own clock, so several API processes share one budget and their clocks need not agree.

The GraphQL ingest mutations (startRuns, ingestUsage, labelRuns, recordOutcomes, recordRevenue)
take from the same bucket, one token per record; refused, they answer the GraphQL error code
RATE_LIMITED with `extensions.retryAfter` (seconds) and write nothing.

Redis unreachable: the limiter FAILS OPEN (admits the batch and logs a warning). The limit
protects the database from a runaway exporter; refusing every acknowledged-write path because the
job queue is down would turn a Redis outage into lost telemetry, which is worse.
"""

from __future__ import annotations

import asyncio
import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

log = logging.getLogger("ledger.ingest.rate_limit")

# KEYS[1] bucket hash; ARGV: rate (records/s), burst (records), cost (records).
# Returns {admitted 0|1, milliseconds until `cost` tokens are available}.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = math.min(tonumber(ARGV[3]), burst)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate / 1000)
local admitted = 0
local wait_ms = 0
if tokens >= cost then
  tokens = tokens - cost
  admitted = 1
else
  wait_ms = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {admitted, wait_ms}
"""

# A Redis that answers slower than this is treated as unreachable (fail open).
REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class RateDecision:
    """admitted, or refused with `retry_after` whole seconds (≥ 1) to wait."""

    admitted: bool
    retry_after: int = 0


ADMITTED = RateDecision(admitted=True)


async def check_ingest_rate(request: Request, tenant_id: uuid.UUID, records: int) -> RateDecision:
    """The decision for `records` records on an ingest route (app settings, arq pool)."""
    return await check_tenant_rate(
        request.app.state.settings, getattr(request.app.state, "arq", None), tenant_id, records
    )


async def check_tenant_rate(
    settings: Any, redis: Any, tenant_id: uuid.UUID, records: int
) -> RateDecision:
    """The decision for `records` records of `tenant_id` under `settings`' rate and burst: the
    one bucket shared by /v1/events, /v1/traces and the GraphQL ingest mutations."""
    return await take_ingest_tokens(
        redis,
        tenant_id=tenant_id,
        records=records,
        rate=settings.ingest_rate_per_second,
        burst=settings.ingest_rate_burst,
    )


def rate_limited_message(decision: RateDecision) -> str:
    return (
        "RATE_LIMITED: this tenant's ingest rate limit is exhausted; nothing of the batch was "
        f"written; retry after {decision.retry_after} s"
    )


def bucket_key(tenant_id: uuid.UUID) -> str:
    return f"ledger:ingest-rate:{tenant_id}"


async def take_ingest_tokens(
    redis: Any, *, tenant_id: uuid.UUID, records: int, rate: int, burst: int
) -> RateDecision:
    """Take `records` tokens from the tenant's bucket.

    `rate` ≤ 0 disables the limit; `records` ≤ 0 is always admitted; `burst` below `rate` is
    raised to `rate` (a bucket must hold at least one second's worth). Redis missing, failing or
    slower than REDIS_TIMEOUT_SECONDS: admitted, with a warning logged (fail open).
    """
    if rate <= 0 or records <= 0:
        return ADMITTED
    if redis is None:
        log.warning("ingest rate limit skipped: no Redis pool (fail open)")
        return ADMITTED
    capacity = max(burst, rate)
    try:
        admitted, wait_ms = await asyncio.wait_for(
            redis.eval(BUCKET_SCRIPT, 1, bucket_key(tenant_id), rate, capacity, records),
            REDIS_TIMEOUT_SECONDS,
        )
    except Exception as exc:  # any Redis failure: fail open, loudly
        log.warning(
            "ingest rate limit skipped: Redis unavailable (fail open): %r",
            exc,
            extra={"tenant_id": str(tenant_id)},
        )
        return ADMITTED
    if int(admitted):
        return ADMITTED
    return RateDecision(admitted=False, retry_after=max(1, math.ceil(int(wait_ms) / 1000)))
