"""What a batch's records name, looked up in the tenant: one query per kind for the whole batch
(workflows by key, clients by id, stored runs by correlation id), none for nothing to look up."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from app.db.tenant_sql import TenantSql

WORKFLOWS = "SELECT key, workflow_id FROM workflows WHERE tenant_id = $1 AND key = ANY($2::text[])"
CLIENTS = "SELECT client_id FROM clients WHERE tenant_id = $1 AND client_id = ANY($2::uuid[])"
# By key, the tenant written `{tenant}` (app.db.tenant_sql): given the value of a tenant newer
# than the statistics, it read the tenant's whole range of another index of `runs`.
RUNS = TenantSql(
    "SELECT correlation_id FROM runs"
    " WHERE tenant_id = {tenant} AND correlation_id = ANY($2::text[])"
)


async def workflow_ids(
    conn: Any, tenant_id: uuid.UUID, keys: Collection[str]
) -> dict[str, uuid.UUID]:
    """{key: workflow id} for those of `keys` that name a workflow of the tenant."""
    if not keys:
        return {}
    rows = await conn.fetch(WORKFLOWS, tenant_id, sorted(set(keys)))
    return {row["key"]: row["workflow_id"] for row in rows}


async def known_clients(
    conn: Any, tenant_id: uuid.UUID, client_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of `client_ids` that are clients of the tenant."""
    if not client_ids:
        return set()
    rows = await conn.fetch(CLIENTS, tenant_id, sorted(set(client_ids)))
    return {row["client_id"] for row in rows}


async def stored_runs(
    conn: Any, tenant_id: uuid.UUID, correlation_ids: Collection[str]
) -> set[str]:
    """Those of `correlation_ids` that name a stored run of the tenant."""
    if not correlation_ids:
        return set()
    rows = await conn.fetch(await RUNS.on(conn), tenant_id, sorted(set(correlation_ids)))
    return {row["correlation_id"] for row in rows}
