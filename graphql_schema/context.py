"""The per-request context: the verified principal, a tenant-bound session factory, loaders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from strawberry.types import Info as StrawberryInfo

from app.auth.principal import Principal
from app.db.sessions import TenantSessions
from app.settings import Settings


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


Info = StrawberryInfo[Context, None]
