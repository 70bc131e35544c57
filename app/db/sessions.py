"""The one session factory: every transaction is bound to exactly one tenant.

`app.tenant_id` is set with `set_config(..., true)` at the start of each transaction, so it is
transaction-local and can never leak to the next checkout of a pooled connection. Row-level
security policies compare every tenant table's `tenant_id` with it; with no tenant set, a query
sees nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from app.db.urls import application_url
from app.settings import Settings

SET_TENANT = text("SELECT set_config('app.tenant_id', :tenant_id, true)")


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
                await session.execute(SET_TENANT, {"tenant_id": str(tenant_id)})
                yield session


async def raw_connection(session: AsyncSession) -> Any:
    """The asyncpg connection under a session, inside its transaction (COPY, unnest batches)."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection
