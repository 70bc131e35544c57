"""Shared set-up for the benchmarks: servers, a fresh migrated database, a tenant, a server process.

With DATABASE_URL / REDIS_URL set the benchmarks use those servers; otherwise embedded ones in a
temporary directory. Every run creates (and drops) its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from app.db import citus
from app.db.sessions import tenant_sessions
from app.db.urls import asyncpg_dsn
from app.domain.pricing import Price
from app.embedded import start_embedded
from app.ingest.otlp_decode import PROTOBUF, decode_spans
from app.ingest.otlp_mapping import map_spans
from app.migrate import upgrade
from app.services.pricing.prices import set_model_price
from app.services.tenancy.tenants import create_api_key, create_tenant
from app.services.tenancy.workflows import upsert_workflow
from app.settings import Settings

PRICE = Price(
    provider="anthropic",
    model="claude-sonnet-4",
    effective_from=datetime(2020, 1, 1, tzinfo=UTC),
    input_per_million=Decimal("3"),
    output_per_million=Decimal("15"),
    cache_read_per_million=Decimal("0.30"),
    cache_write_per_million=Decimal("3.75"),
)


def command_line(doc: str | None, *, whole: bool = False) -> argparse.ArgumentParser:
    """The argument parser of a bench or drill, described by its module docstring `doc`: the
    first line, or with `whole` the docstring as written (its own line breaks kept)."""
    if whole:
        return argparse.ArgumentParser(
            description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
        )
    return argparse.ArgumentParser(description=(doc or "").splitlines()[0])


@dataclass
class BenchDatabase:
    settings: Settings
    admin_url: str
    name: str


@dataclass
class BenchTenant:
    tenant_id: uuid.UUID
    workflow_id: uuid.UUID
    api_key: str


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str]]:
    """(owner database URL of the server, redis URL): configured, or embedded for the run."""
    database_url, redis_url = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
    if database_url and redis_url:
        yield database_url, redis_url
        return
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as tmp:
        embedded = start_embedded(Path(tmp), database="postgres")
        try:
            yield database_url or embedded.database_url, redis_url or embedded.redis_url
        finally:
            embedded.stop()


@contextlib.asynccontextmanager
async def owner_connection(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to `url` (an owner or admin URL: no tenant is bound, so
    row-level security does not narrow what it reads), closed on leaving."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        yield conn
    finally:
        await conn.close()


async def drop_database(
    admin_url: str, name: str, citus_workers: list[tuple[str, int]] | None = None
) -> None:
    """DROP DATABASE `name`, connections and all, on the server of `admin_url` and, when it is
    a Citus coordinator with `citus_workers`, on each of them."""
    async with owner_connection(admin_url) as conn:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if citus_workers:
        await citus.drop_database(admin_url, name, citus_workers)


@contextlib.asynccontextmanager
async def scratch_database(admin_url: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty database `<prefix>_<8 hex digits>` on the server of `admin_url`: yields its
    URL (the same user's) and drops it, connections and all, on leaving."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    async with owner_connection(admin_url) as conn:
        await conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await drop_database(admin_url, name)


@contextlib.asynccontextmanager
async def fresh_database(
    admin_url: str, redis_url: str, data_dir: Path
) -> AsyncIterator[BenchDatabase]:
    """A scratch database migrated to head, with settings for it."""
    async with scratch_database(admin_url, "ledger_bench") as url:
        settings = Settings(
            env="test",
            database_url=url,
            redis_url=redis_url,
            data_dir=data_dir,
            log_level="WARNING",
        )
        await asyncio.to_thread(upgrade, settings)
        yield BenchDatabase(settings, admin_url, make_url(url).database or "")


async def analyze(owner_url: str, *tables: str) -> None:
    """Planner statistics, as autovacuum would gather them: ANALYZE `tables` (every table when
    none are named) as the owner, the only role that may."""
    async with owner_connection(owner_url) as conn:
        await conn.execute(f"ANALYZE {', '.join(tables)}" if tables else "ANALYZE")


async def make_tenant(settings: Settings, name: str) -> BenchTenant:
    async with tenant_sessions(settings, pool_size=2) as sessions:
        tenant_id = await create_tenant(sessions=sessions, name=name)
        async with sessions(tenant_id) as session:
            workflow = await upsert_workflow(
                session=session, tenant_id=tenant_id, key="outreach", name="Outreach"
            )
            await set_model_price(session=session, tenant_id=tenant_id, price=PRICE)
        key = await create_api_key(
            sessions=sessions, tenant_id=tenant_id, name="bench", scopes=["ingest", "read"]
        )
        return BenchTenant(tenant_id, workflow.workflow_id, key.key)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ledger_env(settings: Settings, log_level: str) -> dict[str, str]:
    """The environment of a `ledger` subprocess configured as `settings`: this process's own,
    with the settings' servers and data directory, logging at `log_level`."""
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "LEDGER_DATA_DIR": str(settings.data_dir),
        "LEDGER_LOG_LEVEL": log_level,
    }


def spawn_api(
    settings: Settings, port: int, extra_env: dict[str, str] | None = None, workers: int = 1
) -> subprocess.Popen[bytes]:
    """Start `ledger serve --workers N` on loopback `port` (a subprocess; not waited for)."""
    env = {
        **ledger_env(settings, "WARNING"),
        "LEDGER_MAX_BATCH_RECORDS": "10000",
        **(extra_env or {}),
    }
    if settings.jwt_private_key_file is not None:  # tokens issued with `settings` must verify
        env["LEDGER_JWT_PRIVATE_KEY_FILE"] = str(settings.jwt_private_key_file)
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_until_serving(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Poll /healthz until it answers 200; RuntimeError if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the API server did not start")
        time.sleep(0.2)


@contextlib.contextmanager
def api_process(
    settings: Settings,
    extra_env: dict[str, str] | None = None,
    workers: int = 1,
    *,
    start_timeout: float = 30,
    stop_timeout: float = 10,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`ledger serve` in a subprocess (a real uvicorn on loopback); yields its base URL and
    the process (its pid, e.g. for /proc/<pid>/status; with workers > 1 the supervisor, whose
    children serve). Seconds it is given: `start_timeout` to answer /healthz, `stop_timeout` to
    exit once terminated."""
    port = free_port()
    process = spawn_api(settings, port, extra_env, workers)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, timeout=start_timeout)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=stop_timeout)


@contextlib.contextmanager
def api_server(settings: Settings, workers: int = 1) -> Iterator[str]:
    """`ledger serve` in a subprocess (a real uvicorn on loopback); yields its base URL."""
    with api_process(settings, workers=workers) as (base, _):
        yield base


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds local process `pid` has used so far (Linux /proc); OSError
    when that cannot be read (another OS, a process on another machine or gone)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backend_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of every PostgreSQL server process connected to the database of
    `url` (but the one asking), by pid; the ones that cannot be read here are left out (all of
    them when the database server is on another machine)."""
    async with owner_connection(url) as conn:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
    found = {}
    for row in rows:
        with contextlib.suppress(OSError, IndexError):
            found[row["pid"]] = cpu_seconds(row["pid"])
    return found


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(p * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) for c, w in zip(r, widths, strict=True))  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


async def graphql(
    client: httpx.AsyncClient, query: str, token: str, variables: Any
) -> dict[str, Any]:
    """POST `query` with `variables` to /graphql as the bearer of `token`: the response body,
    which must be a 200 without errors."""
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


def print_timings(rows: list[list[str]], header: list[str]) -> None:
    """Print a table of timings, then the machine's 1-minute load average and CPU count as the
    run ends (timings taken on a busy machine read differently)."""
    print(table(rows, header))
    load = os.getloadavg()[0]
    print(f"load average after the run: {load:.1f} (1 min), {os.cpu_count()} CPUs")


def events_body(protobuf: bytes) -> bytes:
    """The usage and runs of an OTLP protobuf export as a /v1/events JSON body, mapped exactly as
    /v1/traces maps them (so the two endpoints are timed on the same records)."""
    batch = map_spans(decode_spans(protobuf, media=PROTOBUF, coding="", limit=1 << 30))
    records: list[dict[str, Any]] = []
    for record in batch.records:
        stamp = "occurredAt" if record["type"] == "usage" else "startedAt"
        records.append(
            {k: v for k, v in {**record, stamp: record[stamp].isoformat()}.items() if v is not None}
        )
    return json.dumps(records).encode()


async def post_events(
    base: str,
    key: str,
    records: list[dict[str, Any]],
    batch: int,
    concurrency: int,
    latencies: list[float] | None = None,
) -> tuple[list[int], float]:
    """POST `records` to /v1/events with the API key `key`, in batches of `batch`, `concurrency`
    at a time. Returns the `accepted` count of each batch and the wall seconds of the posting
    (the bodies are encoded before the clock starts); each batch's latency (ms) is appended to
    `latencies` when given."""
    bodies = [
        json.dumps(records[offset : offset + batch]).encode()
        for offset in range(0, len(records), batch)
    ]
    limit = asyncio.Semaphore(concurrency)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base, timeout=120, headers=headers) as client:

        async def post(body: bytes) -> int:
            async with limit:
                sent = time.perf_counter()
                response = await client.post("/v1/events", content=body)
                if latencies is not None:
                    latencies.append(1000 * (time.perf_counter() - sent))
                response.raise_for_status()
                return int(response.json()["accepted"])

        started = time.perf_counter()
        accepted = await asyncio.gather(*(post(body) for body in bodies))
        return list(accepted), time.perf_counter() - started
