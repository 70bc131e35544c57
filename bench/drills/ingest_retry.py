"""The drills' client: POST a batch to /v1/events and retry it until it is acknowledged."""

from __future__ import annotations

import asyncio
import collections
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class Tally:
    """What a drill's clients sent: requests (`attempts`), batches, the ids (events or runs) of
    acknowledged and of given-up batches, and the failed attempts by HTTP status or exception."""

    attempts: int = 0
    batches: int = 0
    acknowledged: set[str] = field(default_factory=set)
    unacknowledged: set[str] = field(default_factory=set)
    failures: collections.Counter[str] = field(default_factory=collections.Counter)


async def post_until_acknowledged(
    http: httpx.AsyncClient,
    key: str,
    records: list[dict[str, Any]],
    tally: Tally,
    deadline_s: float,
) -> tuple[dict[str, Any] | None, int]:
    """POST `records`, retrying with capped exponential backoff (0.2 s, 0.4 s, … 2 s) until a
    200 or until `deadline_s` has passed. Every attempt and every failure (by HTTP status or
    exception name) is counted on `tally`. Returns the acknowledging body (None: given up) and
    the attempts made."""
    retry_until = time.monotonic() + deadline_s
    attempt = 0
    while True:
        attempt += 1
        tally.attempts += 1
        try:
            response = await http.post(
                "/v1/events", json=records, headers={"Authorization": f"Bearer {key}"}
            )
            if response.status_code == 200:
                body: dict[str, Any] = response.json()
                return body, attempt
            tally.failures[f"HTTP {response.status_code}"] += 1
        except httpx.HTTPError as exc:
            tally.failures[type(exc).__name__] += 1
        if time.monotonic() > retry_until:
            return None, attempt
        await asyncio.sleep(min(0.1 * 2**attempt, 2.0))


async def send_batch(
    http: httpx.AsyncClient,
    key: str,
    records: list[dict[str, Any]],
    ids: set[str],
    tally: Tally,
    deadline_s: float,
) -> tuple[dict[str, Any] | None, int]:
    """One batch of a drill's client: counted on `tally`, posted until acknowledged (or given up
    after `deadline_s`), and its `ids` filed as acknowledged or unacknowledged accordingly.
    Returns what `post_until_acknowledged` returns."""
    tally.batches += 1
    body, attempts = await post_until_acknowledged(http, key, records, tally, deadline_s)
    (tally.unacknowledged if body is None else tally.acknowledged).update(ids)
    return body, attempts
