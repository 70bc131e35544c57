"""Acknowledge-after-commit vs acknowledge-after-enqueue, for OTLP senders.

`POST /v1/traces` answers only after the batch is committed in PostgreSQL. The alternative an
exporter might prefer answers as soon as the body sits in a queue, and a worker writes it
later. This benchmark measures what that would gain: the same gzip'd OTLP exports (512 spans,
5 per trace) sent `--concurrency` at a time to

- `ledger serve` (`/v1/traces`: decode, map, validate, price, insert, commit, then 200), and
- a minimal queue endpoint (`queue_app` below, one uvicorn process): read the body, `RPUSH` it
  to a Redis list, answer 200 — the least an enqueue-then-acknowledge design must do (no
  authentication, no decoding, no rate limit: a lower bound of its time to acknowledge).

Printed: time to acknowledge per request (p50, p95) and spans/s for each, and the Redis
server's persistence settings — what an acknowledged but unwritten export would rely on.

    .venv/bin/python -m bench.ack_bench --requests 120
"""

from __future__ import annotations

import asyncio
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis.asyncio as aioredis
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.ingest.otlp_decode import PROTOBUF
from bench.common import (
    command_line,
    free_port,
    fresh_database,
    percentile,
    servers,
    table,
    wait_until_serving,
)
from bench.ingest_growth import api_server, export_request, fresh_target

QUEUE = "ledger:bench:otlp-queue"


async def _enqueue(request: Request) -> Response:
    body = await request.body()
    await request.app.state.redis.rpush(QUEUE, body)
    return Response(status_code=200, media_type=PROTOBUF)


async def _healthz(request: Request) -> Response:
    return Response("ok")


def _queue_lifespan(app: Starlette):  # type: ignore[no-untyped-def]
    import contextlib

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        app.state.redis = aioredis.from_url(os.environ["REDIS_URL"])
        yield
        await app.state.redis.delete(QUEUE)
        await app.state.redis.aclose()

    return lifespan(app)


queue_app = Starlette(
    routes=[Route("/v1/traces", _enqueue, methods=["POST"]), Route("/healthz", _healthz)],
    lifespan=_queue_lifespan,
)


async def send(base: str, key: str | None, bodies: list[bytes], concurrency: int) -> list[float]:
    """Each request's seconds to acknowledgement, `concurrency` in flight."""
    headers = {"Content-Type": PROTOBUF, "Content-Encoding": "gzip"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    pending = list(reversed(bodies))
    spent: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=300) as client:

        async def sender() -> None:
            while pending:
                body = pending.pop()
                started = time.perf_counter()
                response = await client.post("/v1/traces", content=body, headers=headers)
                spent.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code} {response.text[:200]}")

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    return spent


def _row(name: str, spent: list[float], wall: float, spans: int) -> list[str]:
    ordered = sorted(spent)
    return [
        name,
        f"{percentile(ordered, 0.5) * 1000:,.0f}",
        f"{percentile(ordered, 0.95) * 1000:,.0f}",
        f"{spans / wall:,.0f}",
    ]


async def main(requests: int, concurrency: int) -> None:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        redis = aioredis.from_url(redis_url)
        persistence = {
            name: (await redis.config_get(name)).get(name)
            for name in ("appendonly", "appendfsync", "save")
        }
        await redis.aclose()
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            target = await fresh_target(db.settings, "ack")
            ledger_bodies = [
                gzip.compress(export_request(3, r * 512, 512, target.workflow))
                for r in range(requests)
            ]
            port = free_port()
            queue = subprocess.Popen(  # noqa: ASYNC220 — a server for the whole run
                [sys.executable, "-m", "uvicorn", "bench.ack_bench:queue_app",
                 "--port", str(port), "--log-level", "warning"],
                env={**os.environ, "REDIS_URL": redis_url},
            )  # fmt: skip
            try:
                queue_base = f"http://127.0.0.1:{port}"
                wait_until_serving(queue_base, queue, timeout=300)
                with api_server(db.settings) as base:
                    rows = []
                    for name, url, key in (
                        ("commit, then 200 (/v1/traces)", base, target.api_key),
                        ("RPUSH to Redis, then 200", queue_base, None),
                    ):
                        started = time.perf_counter()
                        spent = await send(url, key, ledger_bodies, concurrency)
                        wall = time.perf_counter() - started
                        rows.append(_row(name, spent, wall, requests * 512))
            finally:
                queue.terminate()
                queue.wait(timeout=10)
    print(f"{requests} exports of 512 spans, {concurrency} in flight; Redis: {persistence}")
    print(table(rows, ["acknowledged after", "p50 ms", "p95 ms", "spans/s"]))


if __name__ == "__main__":
    parser = command_line(__doc__)
    parser.add_argument("--requests", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.concurrency))
