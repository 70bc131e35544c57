"""Bulk-load a generated tenant into a Citus cluster: every tenant table of a single-node
database copied as it is, rollups included, with the user triggers off during the copy.

    .venv/bin/python -m bench.citus_load --source postgresql://postgres@HOST:5432/ledger_gen_1m \\
        --coordinator postgresql://postgres@HOST:9700/postgres --workers HOST:9701,HOST:9702 \\
        --database ledger_gen_1m_citus

Why: `bench.generate` on a cluster lets the shard-local rollup triggers fire during its COPY
(Citus refuses the SQL rebuild functions and `session_replication_role` does not reach the
workers), some 500 usage events/s on one machine: days for the 1M-run tenant. Here the tenant is
generated once on one PostgreSQL (where the load rebuilds the rollups exactly) and its rows are
moved over with COPY.

Steps (`copy_database`): the target (`--database`, replaced) is created on every node and
migrated; it must be at the source's alembic revision. Then, on the coordinator (Citus
propagates each command to every shard): the secondary indexes of the copied tables are
dropped and `ALTER TABLE … DISABLE TRIGGER USER` is run on each (the rollup triggers, and
migration 0020's id-filling triggers: every row arrives with its id). Each table with a
`tenant_id` column is streamed, in foreign-key order, from `COPY (SELECT …) TO STDOUT` on the
source into `COPY … FROM STDIN` on the coordinator (binary format; foreign keys are still
checked on the shards), one transaction per table. Afterwards — on failure too — the triggers
are enabled and the indexes re-created; identity sequences on the coordinator are moved past the
copied ids (the workers draw from ranges of their own, far above); every table's row count is
compared with the source's (exit 1 on a difference), the tables are analyzed and the source's
manifest (the generator's database comment) is stored on the target, so `open_generated`
works on it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from app.db.citus import parse_workers
from app.db.urls import asyncpg_dsn
from app.migrate import upgrade
from app.settings import Settings
from bench.common import command_line, owner_connection
from bench.generate import SECONDARY_INDEXES, database_url, manifest_of, target_database

TENANT_TABLES = """
SELECT c.relname FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
              AND NOT a.attisdropped)
ORDER BY 1
"""
FOREIGN_KEYS = """
SELECT conrelid::regclass::text AS child, confrelid::regclass::text AS parent
FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace
"""
COLUMNS = """
SELECT a.attname FROM pg_attribute a
WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum
"""
SEQUENCES = """
SELECT c.relname AS table, a.attname AS column,
       pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS sequence
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
WHERE c.relname = ANY($1::text[]) AND c.relnamespace = 'public'::regnamespace
  AND a.attnum > 0 AND NOT a.attisdropped
  AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL
ORDER BY 1, 2
"""
CHUNKS_IN_FLIGHT = 32


@dataclass
class Copied:
    """What `copy_database` did: rows per table (equal on both sides), seconds per step."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    sequences: dict[str, int] = field(default_factory=dict)


def foreign_key_order(tables: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """`tables` with every referenced table before the tables referencing it (self references
    ignored); ties alphabetical. Raises ValueError on a cycle."""
    wanted = set(tables)
    parents = {t: {p for c, p in edges if c == t and p != t and p in wanted} for t in tables}
    ordered: list[str] = []
    while parents:
        ready = sorted(t for t, ps in parents.items() if not ps)
        if not ready:
            raise ValueError(f"foreign keys form a cycle among {sorted(parents)}")
        for t in ready:
            ordered.append(t)
            del parents[t]
        for ps in parents.values():
            ps.difference_update(ready)
    return ordered


def _line(text: str) -> None:
    sys.stderr.write("\r" + text.ljust(100))
    sys.stderr.flush()


async def _stream(
    source: asyncpg.Connection, target: asyncpg.Connection, table: str, columns: list[str]
) -> None:
    """One table, source → target, binary COPY through a bounded queue of chunks."""
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(CHUNKS_IN_FLIGHT)
    listed = ", ".join(f'"{c}"' for c in columns)

    async def produce() -> None:
        await source.copy_from_query(
            f'SELECT {listed} FROM "{table}"',  # noqa: S608 - catalog names, quoted
            output=queue.put, format="binary",
        )  # fmt: skip
        await queue.put(None)

    async def chunks() -> AsyncIterator[bytes]:
        while (chunk := await queue.get()) is not None:
            yield chunk

    producer = asyncio.create_task(produce())
    try:
        await target.copy_to_table(table, source=chunks(), columns=columns, format="binary")
    finally:
        if not producer.done():
            producer.cancel()
    await producer


async def copy_database(source_url: str, target_url: str) -> Copied:
    """Copy every row of every tenant table of `source_url` (one PostgreSQL) into `target_url`
    (a migrated database on a Citus coordinator, or on one PostgreSQL), triggers off. Owner
    (superuser) URLs. Rows already in the target stay; the copied ones must not collide."""
    copied = Copied()
    source = await asyncpg.connect(asyncpg_dsn(source_url))
    target = await asyncpg.connect(asyncpg_dsn(target_url))
    try:
        revisions = [await c.fetchval("SELECT version_num FROM alembic_version")
                     for c in (source, target)]  # fmt: skip
        if revisions[0] != revisions[1]:
            raise SystemExit(f"source at revision {revisions[0]}, target at {revisions[1]}: "
                             "migrate both to the same revision first")  # fmt: skip
        tables = [r[0] for r in await target.fetch(TENANT_TABLES)]
        missing = set(tables) - {r[0] for r in await source.fetch(TENANT_TABLES)}
        if missing:
            raise SystemExit(f"tables missing in the source: {sorted(missing)}")
        edges = [(r["child"], r["parent"]) for r in await target.fetch(FOREIGN_KEYS)]
        tables = foreign_key_order(tables, edges)
        columns = {}
        for table in tables:
            columns[table] = [r[0] for r in await target.fetch(COLUMNS, table)]
            theirs = [r[0] for r in await source.fetch(COLUMNS, table)]
            if set(theirs) != set(columns[table]):
                raise SystemExit(f"{table}: columns differ between source and target")
        before = {t: await target.fetchval(f'SELECT count(*) FROM "{t}"') for t in tables}  # noqa: S608

        t = time.perf_counter()
        indexes = await target.fetch(SECONDARY_INDEXES, tables)
        for row in indexes:
            await target.execute(f"DROP INDEX {row['name']}")
        disabled: list[str] = []
        try:
            for table in tables:
                await target.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
                disabled.append(table)
            copied.seconds["prepare_s"] = time.perf_counter() - t
            t = time.perf_counter()
            for table in tables:
                _line(f"copying {table}")
                started = time.perf_counter()
                async with target.transaction():
                    await _stream(source, target, table, columns[table])
                copied.seconds[f"copy_{table}_s"] = time.perf_counter() - started
            sys.stderr.write("\n")
            copied.seconds["copy_s"] = time.perf_counter() - t
        finally:
            t = time.perf_counter()
            for table in disabled:
                await target.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
            for row in indexes:
                _line(f"re-creating {row['name']}")
                await target.execute(row["definition"])
            sys.stderr.write("\n")
            copied.seconds["triggers_indexes_s"] = time.perf_counter() - t

        for row in await target.fetch(SEQUENCES, tables):
            copied_max = await source.fetchval(
                f'SELECT max("{row["column"]}") FROM "{row["table"]}"'  # noqa: S608
            )
            if copied_max is not None:
                current = await target.fetchval(f"SELECT last_value FROM {row['sequence']}")  # noqa: S608
                if copied_max > current:
                    await target.execute("SELECT setval($1::regclass, $2)", row["sequence"],
                                         copied_max)  # fmt: skip
                copied.sequences[row["sequence"]] = max(copied_max, current)

        problems = []
        for table in tables:
            ours = await source.fetchval(f'SELECT count(*) FROM "{table}"')  # noqa: S608
            theirs = await target.fetchval(f'SELECT count(*) FROM "{table}"')  # noqa: S608
            copied.rows[table] = ours
            if theirs != before[table] + ours:
                problems.append(f"{table}: {ours} rows in the source, {theirs - before[table]} "
                                "copied")  # fmt: skip
        if problems:
            raise RuntimeError("copy incomplete: " + "; ".join(problems))

        t = time.perf_counter()
        await target.execute("ANALYZE " + ", ".join(f'"{t}"' for t in tables))
        if "ladder_reach" in tables:  # index-only scans of the copied rollup (as bench.generate)
            await target.execute("VACUUM ladder_reach, ladder_reach_days")
        copied.seconds["analyze_s"] = time.perf_counter() - t
        return copied
    finally:
        await source.close()
        await target.close()


async def store_manifest(url: str, name: str, manifest: dict[str, Any]) -> None:
    async with owner_connection(url) as conn:
        text = json.dumps({**manifest, "database": name}).replace("'", "''")
        await conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{text}'")


async def load_into_cluster(
    *, source_url: str, coordinator_url: str, workers: list[tuple[str, int]], name: str,
    redis_url: str,
) -> Copied:  # fmt: skip
    """Create (replace) database `name` on the cluster, migrate it, copy the source into it and
    store the source's manifest on it. Kept afterwards."""
    source = make_url(source_url)
    manifest = await manifest_of(
        source.set(database="postgres").render_as_string(False), source.database or ""
    )
    async with target_database(coordinator_url, name, workers) as chosen:
        url = database_url(coordinator_url, chosen)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(env="test", database_url=url, redis_url=redis_url,
                                data_dir=Path(tmp), log_level="WARNING")  # fmt: skip
            t = time.perf_counter()
            await asyncio.to_thread(upgrade, settings)
            migrate_s = time.perf_counter() - t
        copied = await copy_database(source_url, url)
        copied.seconds["migrate_s"] = migrate_s
        if manifest is not None:
            await store_manifest(url, chosen, manifest)
        return copied


async def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    copied = await load_into_cluster(
        source_url=args.source, coordinator_url=args.coordinator,
        workers=parse_workers(args.workers), name=args.database, redis_url=args.redis,
    )  # fmt: skip
    total = time.perf_counter() - started
    print(json.dumps({"database": args.database, "rows": copied.rows,
                      "seconds": {k: round(v, 1) for k, v in copied.seconds.items()},
                      "total_s": round(total, 1), "sequences": copied.sequences},
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    parser = command_line(__doc__, whole=True)
    parser.add_argument("--source", required=True, help="owner URL of the generated database")
    parser.add_argument("--coordinator", required=True, help="owner URL of the coordinator")
    parser.add_argument("--workers", required=True, help="the cluster's workers, host:port,…")
    parser.add_argument("--database", required=True, help="the cluster database (replaced)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0",
                        help="only for the settings of the migration")  # fmt: skip
    asyncio.run(main(parser.parse_args()))
