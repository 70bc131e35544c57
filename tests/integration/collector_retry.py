"""An OTLP/HTTP client that retries as the OpenTelemetry Collector's `otlphttp` exporter does.

The Collector's rules (exporter/otlphttpexporter/otlp.go and exporterhelper's retry sender):
- 2xx: done; a `partial_success` is logged as a warning, never retried;
- 429, 502, 503, 504: retryable; for 429 and 503 a `Retry-After` header (delay-seconds, or an
  HTTP-date) makes the next wait at least that long (a "throttle retry");
- every other status (400, 401, 403, 413, 415, …): permanent, the data is dropped;
- waits grow exponentially: `retry_on_failure` initial_interval 5 s, multiplier 1.5,
  randomization_factor 0.5, max_interval 30 s, max_elapsed_time 300 s (the defaults).

The waits go through `sleep`, so a test can see each requested delay and act between attempts
(e.g. free the capacity that made the ledger answer 429) without waiting in real time.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE = frozenset({429, 502, 503, 504})
THROTTLING = frozenset({429, 503})


@dataclass
class RetryPolicy:
    initial_interval: float = 5.0
    multiplier: float = 1.5
    randomization_factor: float = 0.5
    max_interval: float = 30.0
    max_elapsed_time: float = 300.0


@dataclass
class Attempt:
    status: int
    waited: float | None  # the delay before the next attempt; None when there is none


@dataclass
class CollectorExporter:
    client: httpx.AsyncClient
    headers: dict[str, str]
    sleep: Callable[[float], Awaitable[None]]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    attempts: list[Attempt] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    async def export(self, body: bytes) -> str:
        """`sent` (2xx), `dropped` (permanent error) or `gave up` (retries exhausted)."""
        interval, elapsed = self.policy.initial_interval, 0.0
        while True:
            response = await self.client.post("/v1/traces", content=body, headers=self.headers)
            status = response.status_code
            if 200 <= status < 300:
                self.attempts.append(Attempt(status, None))
                partial = response.json().get("partialSuccess") if response.content else None
                if partial:
                    self.warnings.append(f"Partial success response: {partial}")
                return "sent"
            if status not in RETRYABLE:
                self.attempts.append(Attempt(status, None))
                return "dropped"
            delay = self._jitter(interval)
            throttle = _retry_after(response) if status in THROTTLING else None
            if throttle is not None:
                delay = max(delay, throttle)
            if elapsed + delay > self.policy.max_elapsed_time:
                self.attempts.append(Attempt(status, None))
                return "gave up"
            self.attempts.append(Attempt(status, delay))
            await self.sleep(delay)
            elapsed += delay
            interval = min(interval * self.policy.multiplier, self.policy.max_interval)

    def _jitter(self, interval: float) -> float:
        spread = self.policy.randomization_factor * interval
        return self.rng.uniform(interval - spread, interval + spread)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
