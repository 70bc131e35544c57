"""How a raw statement names its tenant, chosen per connection.

A statement written with `{tenant}` where it filters on the tenant (`WHERE tenant_id = {tenant}`)
is kept in two forms, and `TenantSql.on(conn)` picks the one for the connection's database:

- **One PostgreSQL:** `(SELECT $1::uuid)`, a value the planner does not see, so it costs "this
  tenant" at a tenant's average share of the table. Given the value, for a tenant the statistics
  do not hold yet (one that started after the last analyse) the planner expects one row, the
  tenant-only scan of any index that leads with `tenant_id` ties with the probe by the full key,
  and a per-key lookup reads the tenant's whole range of that index once per key
  (tests/integration/test_ingest_plans.py: 12 s for 512 spans at 100,000 claims; ~50 rows per
  run for the ROI markers of a usage batch).
- **Citus:** `$1` itself. It is what routes the statement to the tenant's one shard: a
  sub-select cannot be pruned on, and the multi-shard planner refuses LATERAL probes. There each
  shard's own statistics, on its worker, plan the probes (docs/scale-out.md).

Whether a connection is a Citus coordinator is asked once per connection (its database does not
change) and remembered for as long as the connection object lives.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

HIDDEN_TENANT = "(SELECT $1::uuid)"
ROUTED_TENANT = "$1"

_citus_connections: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


async def on_citus(conn: Any) -> bool:
    """Is `conn` (an asyncpg connection) connected to a database with the citus extension?"""
    citus = _citus_connections.get(conn)
    if citus is None:
        citus = bool(await conn.fetchval("SELECT true FROM pg_extension WHERE extname = 'citus'"))
        _citus_connections[conn] = citus
    return citus


@dataclass(frozen=True)
class TenantSql:
    """A statement whose tenant (parameter $1) is written `{tenant}`."""

    template: str
    plain: str = field(init=False)
    citus: str = field(init=False)

    def __post_init__(self) -> None:
        if "{tenant}" not in self.template:
            raise ValueError("a TenantSql statement names its tenant as {tenant}")
        object.__setattr__(self, "plain", self.template.replace("{tenant}", HIDDEN_TENANT))
        object.__setattr__(self, "citus", self.template.replace("{tenant}", ROUTED_TENANT))

    async def on(self, conn: Any) -> str:
        """The form for `conn`'s database."""
        return self.citus if await on_citus(conn) else self.plain
