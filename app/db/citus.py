"""Preparing a database on a Citus cluster: the same database on the coordinator and every
worker, the `citus` extension in each, the application role on every node, and the workers
registered in the coordinator's metadata. The migrations then distribute the tables (0017).

`python -m app.db.citus prepare --coordinator URL --workers host:port,... --database NAME`
(used by `scripts/citus up`); the test fixtures call `prepare_database` / `drop_database` when
`LEDGER_CITUS_WORKERS` names the workers. See docs/scale-out.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re

import asyncpg
from sqlalchemy.engine import make_url

from app.db.urls import asyncpg_dsn

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def workers_from_env() -> list[tuple[str, int]]:
    """`LEDGER_CITUS_WORKERS=host:port,host:port` → [(host, port), …]; empty when unset."""
    return parse_workers(os.environ.get("LEDGER_CITUS_WORKERS", ""))


def parse_workers(text: str) -> list[tuple[str, int]]:
    workers = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"LEDGER_CITUS_WORKERS: {item!r} is not host:port")
        workers.append((host, int(port)))
    return workers


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"unsafe identifier {name!r}")
    return name


def _node_url(admin_url: str, host: str, port: int, database: str) -> str:
    return asyncpg_dsn(
        make_url(admin_url)
        .set(host=host, port=port, database=database)
        .render_as_string(hide_password=False)
    )


async def _ensure_database(url: str, database: str, app_role: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        if not await conn.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", app_role):
            await conn.execute(
                f"CREATE ROLE {app_role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE"
            )
        if not await conn.fetchval("SELECT true FROM pg_database WHERE datname = $1", database):
            await conn.execute(f'CREATE DATABASE "{database}"')
    finally:
        await conn.close()
    conn = await asyncpg.connect(make_url(url).set(database=database).render_as_string(False))
    try:
        await conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
    finally:
        await conn.close()


async def prepare_database(
    admin_url: str, database: str, workers: list[tuple[str, int]], *, app_role: str = "ledger_app"
) -> None:
    """Create `database` (if missing) with Citus on the coordinator of `admin_url` and on every
    worker, create the application role on every node, and register the workers."""
    _checked(database)
    _checked(app_role)
    coordinator = make_url(admin_url)
    for host, port in workers:
        await _ensure_database(_node_url(admin_url, host, port, "postgres"), database, app_role)
    await _ensure_database(asyncpg_dsn(admin_url), database, app_role)
    conn = await asyncpg.connect(
        _node_url(admin_url, coordinator.host or "127.0.0.1", coordinator.port or 5432, database)
    )
    try:
        await conn.execute(
            "SELECT citus_set_coordinator_host($1, $2)",
            coordinator.host or "127.0.0.1",
            coordinator.port or 5432,
        )
        known = {
            (r["nodename"], r["nodeport"])
            for r in await conn.fetch("SELECT nodename, nodeport FROM pg_dist_node")
        }
        for host, port in workers:
            if (host, port) not in known:
                await conn.execute("SELECT citus_add_node($1, $2)", host, port)
    finally:
        await conn.close()


async def drop_database(admin_url: str, database: str, workers: list[tuple[str, int]]) -> None:
    """Drop `database` on every worker (the coordinator's copy is the caller's to drop)."""
    _checked(database)
    for host, port in workers:
        conn = await asyncpg.connect(_node_url(admin_url, host, port, "postgres"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.db.citus")
    sub = parser.add_subparsers(dest="command", required=True)
    prepare = sub.add_parser("prepare", help="create a Citus database on every node")
    prepare.add_argument("--coordinator", required=True, help="owner URL of the coordinator")
    prepare.add_argument("--workers", required=True, help="host:port,host:port")
    prepare.add_argument("--database", required=True)
    prepare.add_argument("--app-role", default="ledger_app")
    args = parser.parse_args()
    asyncio.run(
        prepare_database(
            args.coordinator, args.database, parse_workers(args.workers), app_role=args.app_role
        )
    )
    print(f"== database {args.database} ready on the coordinator and {args.workers}")


if __name__ == "__main__":
    main()
