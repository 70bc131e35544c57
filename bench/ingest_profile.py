"""Profile `ingest_records` on 10k-usage batches (the events of bench.ingest_bench), in process.

Decodes the JSON body as `POST /v1/events` does, then validates, prices and writes each batch in
its own transaction; prints wall-clock and CPU times (this process: the Python side, not the
server's) per batch and, with --profile, cProfile of the last.

    .venv/bin/python -m bench.ingest_profile --events 10000 --profile
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import tempfile
import time
from pathlib import Path

from app.db.sessions import TenantSessions, create_engine
from app.ingest.events import decode_json_array
from app.services.ingest import ingest_records
from bench.common import command_line, fresh_database, make_tenant, servers
from bench.ingest_bench import usage_record


async def main(events: int, batches: int, profile: bool) -> None:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            tenant = await make_tenant(db.settings, "profile")
            engine = create_engine(db.settings, pool_size=2)
            sessions = TenantSessions(engine)
            profiler = cProfile.Profile()
            try:
                for n in range(batches):
                    body = json.dumps([usage_record(i, f"p{n}") for i in range(events)]).encode()
                    last = profile and n == batches - 1
                    if last:
                        profiler.enable()
                    started, cpu_started = time.perf_counter(), time.process_time()
                    records = decode_json_array(body)
                    decoded, cpu_decoded = time.perf_counter(), time.process_time()
                    async with sessions(tenant.tenant_id) as session:
                        outcome = await ingest_records(
                            session=session, tenant_id=tenant.tenant_id, records=records
                        )
                    done, cpu_done = time.perf_counter(), time.process_time()
                    if last:
                        profiler.disable()
                    print(
                        f"batch {n}: decode {decoded - started:.3f} s "
                        f"(CPU {cpu_decoded - cpu_started:.3f} s), ingest + commit "
                        f"{done - decoded:.3f} s (CPU {cpu_done - cpu_decoded:.3f} s), "
                        f"accepted {outcome.accepted}"
                    )
            finally:
                await engine.dispose()
            if profile:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.events, args.batches, args.profile))
