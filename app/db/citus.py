"""Preparing a database on a Citus cluster: the same database on the coordinator and every
worker, the `citus` extension in each, the application role on every node, and the workers
registered in the coordinator's metadata. The migrations then distribute the tables (0017).

`python -m app.db.citus prepare --coordinator URL --workers host:port,... --database NAME`
(used by `scripts/citus up`); the test fixtures call `prepare_database` / `drop_database` when
`LEDGER_CITUS_WORKERS` names the workers.

`python -m app.db.citus move-tenant --coordinator URL --tenant UUID --to host:port` moves a
tenant's shard group (`move_tenant`): `citus_move_shard_placement` with `block_writes`, then
`ledger_citus_shard_defaults()` at once, since a moved shard is created without the identity
defaults the rollup triggers rely on. See docs/scale-out.md.
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


async def tenant_node(conn: asyncpg.Connection, tenant_id: str) -> tuple[int, str, int]:
    """(shard id of the tenant's `tenants` shard, node name, node port) of its placement."""
    row = await conn.fetchrow(
        "SELECT s.shardid, s.nodename, s.nodeport FROM citus_shards s "
        "WHERE s.shardid = get_shard_id_for_distribution_column('tenants', $1::uuid)",
        tenant_id,
    )
    if row is None:
        raise LookupError("tenants is not distributed on this database")
    return int(row["shardid"]), str(row["nodename"]), int(row["nodeport"])


async def move_tenant(coordinator_url: str, tenant_id: str, to: tuple[str, int]) -> float:
    """Move the tenant's shard group (every co-located shard holding its hash range) to node
    `to`, blocking writes to those shards during the copy, then give the moved shards their
    identity defaults again. Returns the seconds the move took; a no-op (0.0) when the tenant
    already lives there. Other tenants sharing the shards move with it."""
    conn = await asyncpg.connect(asyncpg_dsn(coordinator_url))
    try:
        shard, host, port = await tenant_node(conn, tenant_id)
        if (host, port) == to:
            return 0.0
        started = asyncio.get_running_loop().time()
        await conn.execute(
            "SELECT citus_move_shard_placement($1, $2, $3, $4, $5, "
            "shard_transfer_mode => 'block_writes')",
            shard, host, port, to[0], to[1],
        )  # fmt: skip
        await conn.execute("SELECT ledger_citus_shard_defaults()")
        return asyncio.get_running_loop().time() - started
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
    move = sub.add_parser("move-tenant", help="move a tenant's shard group to another node")
    move.add_argument("--coordinator", required=True, help="owner URL of the database")
    move.add_argument("--tenant", required=True)
    move.add_argument("--to", required=True, help="host:port of the target worker")
    args = parser.parse_args()
    if args.command == "move-tenant":
        (target,) = parse_workers(args.to)
        seconds = asyncio.run(move_tenant(args.coordinator, args.tenant, target))
        print(f"== tenant {args.tenant} on {args.to} ({seconds:.1f} s)")
        return
    asyncio.run(
        prepare_database(
            args.coordinator, args.database, parse_workers(args.workers), app_role=args.app_role
        )
    )
    print(f"== database {args.database} ready on the coordinator and {args.workers}")


if __name__ == "__main__":
    main()
