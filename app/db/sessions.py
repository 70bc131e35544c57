"""The one session factory: every transaction is bound to exactly one tenant.

`app.tenant_id` is set with `SET LOCAL` at the start of each transaction, so it is
transaction-local and can never leak to the next checkout of a pooled connection. Row-level
security policies compare every tenant table's `tenant_id` with it; with no tenant set, a query
sees nothing.

`SET LOCAL` rather than `set_config(..., true)` (the same thing on one PostgreSQL): on a Citus
cluster with `citus.propagate_set_commands = 'local'` the coordinator forwards a `SET LOCAL` to
every worker the transaction touches, so the policies on the shards see the tenant; a
`set_config()` call is a function, not a SET command, and never reaches them (the shards' policies
would then filter every row, silently). `SET` takes no bind parameter: the value is a `uuid.UUID`
rendered by Python, so nothing but hex digits and dashes is ever spliced in. docs/scale-out.md.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.db.urls import application_url
from app.settings import Settings


def set_tenant(tenant_id: uuid.UUID) -> TextClause:
    """`SET LOCAL app.tenant_id = '<uuid>'` for one tenant (forwarded to Citus workers)."""
    return text(f"SET LOCAL app.tenant_id = '{uuid.UUID(str(tenant_id))}'")


NO_JIT_SQL = "SET LOCAL jit = off"
"""For a read of a few milliseconds whose estimated cost crosses PostgreSQL's JIT thresholds
(`jit_above_cost`, 100,000 by default): compiling its expressions took 50–70 ms per statement on
the 1M-run tenant, for statements that run in 5–25 ms. The cost estimates of the held-run
ranges are what cross it: `status_at > since`, a value computed in the statement, is guessed to
keep a third of a workflow's ACCEPTED runs (docs/changelog.md). `SET LOCAL`: this transaction
only, and forwarded to Citus workers like the tenant. The text, for a raw (asyncpg) connection;
`NO_JIT` is the statement for a session."""

NO_JIT = text(NO_JIT_SQL)
"""`NO_JIT_SQL` as a statement for an `AsyncSession`."""


def create_engine(settings: Settings, *, url: str | None = None, **kwargs: Any) -> AsyncEngine:
    return create_async_engine(
        url or application_url(settings),
        pool_size=kwargs.pop("pool_size", 10),
        max_overflow=kwargs.pop("max_overflow", 10),
        pool_pre_ping=True,
        **kwargs,
    )


class TenantSessions:
    """Opens a transaction bound to one tenant; commits on normal exit, rolls back on error."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def __call__(self, tenant_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            async with session.begin():
                await session.execute(set_tenant(tenant_id))
                yield session


@asynccontextmanager
async def tenant_sessions(
    settings: Settings, **engine_options: Any
) -> AsyncIterator[TenantSessions]:
    """TenantSessions on an engine of their own (`create_engine`'s options, e.g. pool_size),
    disposed of when the block ends: for a command, a script or a test that is not the app."""
    engine = create_engine(settings, **engine_options)
    try:
        yield TenantSessions(engine)
    finally:
        await engine.dispose()


async def raw_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under a session, inside its transaction (COPY, unnest batches)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
