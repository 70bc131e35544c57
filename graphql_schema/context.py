"""The per-request context: the verified principal, a tenant-bound session factory, loaders."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from app.auth.principal import Principal
from app.db.sessions import TenantSessions
from app.settings import Settings

T = TypeVar("T")


@dataclass(frozen=True)
class Transaction:
    """One transaction bound to the caller's tenant; `call` hands it to a service."""

    session: AsyncSession
    tenant_id: uuid.UUID

    async def call(self, service: Callable[..., Awaitable[T]], /, **arguments: Any) -> T:
        """`service(session=…, tenant_id=<the caller's tenant>, **arguments)` in this
        transaction."""
        return await service(session=self.session, tenant_id=self.tenant_id, **arguments)


@dataclass
class Context:
    request: Request
    principal: Principal
    sessions: TenantSessions
    settings: Settings
    # Fresh per request; graphql_schema.loaders.build_loaders fills it.
    loaders: Any = None
    # One clock per request, so every figure of one answer agrees on "now".
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    arq: Any = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A transaction bound to the caller's tenant (one per resolver or loader batch)."""
        async with self.sessions(self.principal.tenant_id) as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """Several service calls that must commit together (`Transaction.call` each)."""
        async with self.session() as session:
            yield Transaction(session, self.principal.tenant_id)

    async def call(self, service: Callable[..., Awaitable[T]], /, **arguments: Any) -> T:
        """`service(session=…, tenant_id=<the caller's tenant>, **arguments)` in a transaction
        of its own: the one way a resolver calls a service that reads or writes tenant rows."""
        async with self.transaction() as tx:
            return await tx.call(service, **arguments)


Info = StrawberryInfo[Context, None]
