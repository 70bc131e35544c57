"""CPU per export, in process: `/v1/traces`' work against `/v1/events`' on the same batches.

What the server's one Python process spends per request is what limits its throughput on a
loaded machine (the event loop and the decoding thread share one interpreter), and CPU time
moves far less with the machine's load than wall time. This runs both paths' work in this
process, export by export, alternating (OTLP export k, then events batch k), into two tenants
of a fresh database:

- traces: gunzip + protobuf decode + flatten (`decode_spans`), mapping (`map_spans`), then
  `store_export` (analyse check, provider-call claims, validation, pricing, insert, health) and
  the commit;
- events: `decode_json_array` of the same records as JSON, then `ingest_records` and the
  commit.

It prints the median CPU (this process) and wall time per export of each, their ratio, and the
traces side split into decode, map and store. With `--profile`, cProfile of the traces path
(environment PROFILE_SORT, PROFILE_LINES: its order and length).

    .venv/bin/python -m bench.otlp_profile --exports 60
    .venv/bin/python -m bench.otlp_profile --exports 20 --profile
    .venv/bin/python -m bench.otlp_profile --exports 60 --realistic   # response and parent ids
"""

from __future__ import annotations

import asyncio
import cProfile
import gzip
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from app.db.sessions import TenantSessions, create_engine
from app.ingest.events import decode_json_array
from app.ingest.otlp_calls import store_export
from app.ingest.otlp_decode import PROTOBUF, decode_spans
from app.ingest.otlp_mapping import map_spans
from app.services.ingest import ingest_records
from bench.common import command_line, events_body, fresh_database, servers
from bench.ingest_growth import export_request, fresh_target

MAX_RECORDS = 10_000


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def main(exports: int, batch: int, profile: bool, realistic: bool = False) -> None:
    with servers() as (admin_url, redis_url), tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(admin_url, redis_url, Path(tmp)) as db:
            traces = await fresh_target(db.settings, "traces")
            events = await fresh_target(db.settings, "events")
            engine = create_engine(db.settings, pool_size=2)
            sessions = TenantSessions(engine)
            profiler = cProfile.Profile()
            split: dict[str, list[float]] = {"decode": [], "map": [], "store": []}
            cpu: dict[str, list[float]] = {"traces": [], "events": []}
            wall: dict[str, list[float]] = {"traces": [], "events": []}
            try:
                for k in range(exports):
                    body = gzip.compress(
                        export_request(1, k * batch, batch, traces.workflow, realistic)
                    )
                    json_body = events_body(
                        export_request(2, k * batch, batch, events.workflow, realistic)
                    )

                    if profile:
                        profiler.enable()
                    w0, c0 = time.perf_counter(), time.process_time()
                    spans = decode_spans(body, media=PROTOBUF, coding="gzip", limit=1 << 30)
                    c1 = time.process_time()
                    mapped = map_spans(spans)
                    c2 = time.process_time()
                    async with sessions(traces.tenant_id) as session:
                        result = await store_export(
                            session=session,
                            tenant_id=traces.tenant_id,
                            batch=mapped,
                            max_records=MAX_RECORDS,
                        )
                    c3, w3 = time.process_time(), time.perf_counter()
                    if profile:
                        profiler.disable()
                    if result.rejected:
                        raise RuntimeError(f"traces: rejected {list(result.rejected.items())[:3]}")
                    split["decode"].append(c1 - c0)
                    split["map"].append(c2 - c1)
                    split["store"].append(c3 - c2)
                    cpu["traces"].append(c3 - c0)
                    wall["traces"].append(w3 - w0)

                    w0, c0 = time.perf_counter(), time.process_time()
                    records = decode_json_array(json_body)
                    async with sessions(events.tenant_id) as session:
                        outcome = await ingest_records(
                            session=session, tenant_id=events.tenant_id, records=records
                        )
                    c1, w1 = time.process_time(), time.perf_counter()
                    if outcome.errors:
                        raise RuntimeError(f"events: {outcome.errors[:3]}")
                    cpu["events"].append(c1 - c0)
                    wall["events"].append(w1 - w0)
            finally:
                await engine.dispose()
    med = {name: statistics.median(values) for name, values in cpu.items()}
    print(f"{exports} exports of {batch} spans per path, alternating; medians per export:")
    for name in ("traces", "events"):
        print(
            f"  {name}: CPU {_ms(med[name])}, wall {_ms(statistics.median(wall[name]))}"
            + (
                " (" + ", ".join(f"{k} {_ms(statistics.median(v))}" for k, v in split.items()) + ")"
                if name == "traces"
                else ""
            )
        )
    ratios = [t / e for t, e in zip(cpu["traces"], cpu["events"], strict=True)]
    print(f"  traces/events CPU per export: {statistics.median(ratios):.2f} (median of pairs)")
    if profile:
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
        stats.print_stats(int(os.environ.get("PROFILE_LINES", "30")))


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--exports", type=int, default=60)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="spans with a provider response id and a parent span id (bench.ingest_growth)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.exports, args.batch, args.profile, args.realistic))
