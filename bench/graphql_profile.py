"""Where the GraphQL layer spends its CPU: the read benchmark's two queries, in process.

The app (`app.main.create_app`) and the hand-written floor (`bench.handwritten_app`) are driven
in this process through httpx's ASGI transport (no sockets, no uvicorn), on a database kept by
`bench.generate --database NAME`, with the garbage collector tuned as `ledger serve` tunes it
(`tune_gc`: without it, young-generation collections were ~8 ms of a dashboard's CPU here). For
each read it prints the CPU time per request of both
(`time.process_time`, the client's share included in both), then, with `--profile`, the
functions of the GraphQL path by own time (cProfile, which inflates Python-heavy code).

    DATABASE_URL=… REDIS_URL=… .venv/bin/python -m bench.graphql_profile --generated NAME
    DATABASE_URL=… REDIS_URL=… .venv/bin/python -m bench.graphql_profile --generated NAME \\
        --requests 50 --profile --only "client viewer"
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from app.cli.run import tune_gc
from app.main import create_app
from bench.common import command_line, graphql, servers
from bench.generate import open_generated
from bench.read_bench import CLIENT, DASHBOARD, busiest_client

Call = Callable[[], Awaitable[Any]]


async def cpu_per_request(call: Call, n: int) -> tuple[float, float]:
    """(CPU ms, wall ms) per request over n sequential calls, after 5 warm-up calls."""
    for _ in range(5):
        await call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(n):
        await call()
    return (time.process_time() - cpu) * 1000 / n, (time.perf_counter() - wall) * 1000 / n


async def main(args: argparse.Namespace) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    window = {"from": (now - timedelta(days=30)).isoformat(), "to": now.isoformat()}
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        generated = await open_generated(
            args.generated, admin_url=admin_url, redis_url=redis_url, data_dir=Path(tmp)
        )
        settings, tenant_id = generated.settings, generated.tenant_id
        client_id, workflow, owner, viewer = await busiest_client(settings, tenant_id, now)
        os.environ["BENCH_TENANT_ID"] = str(tenant_id)
        os.environ["DATABASE_URL"] = settings.database_url or ""
        from bench.handwritten_app import create_app as create_handwritten

        app, hand = create_app(settings), create_handwritten()
        tune_gc()  # as `ledger serve` does before serving
        async with (
            app.router.lifespan_context(app),
            hand.router.lifespan_context(hand),
            httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://a") as g,
            httpx.AsyncClient(transport=httpx.ASGITransport(hand), base_url="http://h") as h,
        ):

            async def rest(path: str, params: Any) -> Any:
                r = await h.get(path, params=params)
                assert r.status_code == 200, r.text
                return r.json()

            client_vars = {"id": str(client_id), "workflow": workflow, "range": window}
            client_params = {"id": str(client_id), "workflow": workflow, **window}
            reads: dict[str, tuple[Call, Call]] = {
                "dashboard": (
                    lambda: graphql(g, DASHBOARD, owner, {"range": window}),
                    lambda: rest("/dashboard", window),
                ),
                "client viewer": (
                    lambda: graphql(g, CLIENT, viewer, client_vars),
                    lambda: rest("/client", client_params),
                ),
            }
            if args.only:
                reads = {args.only: reads[args.only]}
            for name, (via_gql, via_hand) in reads.items():
                g_cpu, g_wall = await cpu_per_request(via_gql, args.requests)
                h_cpu, h_wall = await cpu_per_request(via_hand, args.requests)
                print(f"{name}: GraphQL {g_cpu:.1f} ms CPU ({g_wall:.1f} ms wall), hand-written "
                      f"{h_cpu:.1f} ms CPU ({h_wall:.1f} ms wall) per request; GraphQL layer "
                      f"≈ {g_cpu - h_cpu:.1f} ms CPU")  # fmt: skip
                if args.profile:
                    profiler = cProfile.Profile()
                    profiler.enable()
                    for _ in range(args.requests):
                        await via_gql()
                    profiler.disable()
                    out = io.StringIO()
                    stats = pstats.Stats(profiler, stream=out)
                    stats.sort_stats(args.sort).print_stats(args.filter or "", args.top)
                    print(out.getvalue())


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--generated", required=True)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--only", choices=("dashboard", "client viewer"))
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--filter", help="only functions whose path matches this regex")
    asyncio.run(main(parser.parse_args()))
