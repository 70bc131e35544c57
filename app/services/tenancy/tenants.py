"""Tenants, clients and API keys: the administrative writes behind the CLI and mutations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth import api_keys
from app.auth.principal import API_KEY_SCOPES, Scope
from app.db.sessions import TenantSessions
from app.db.tables import ApiKey, Client, Tenant


async def create_tenant(*, sessions: TenantSessions, name: str) -> uuid.UUID:
    tenant_id = uuid.uuid4()
    async with sessions(tenant_id) as session:
        session.add(Tenant(tenant_id=tenant_id, name=name))
    return tenant_id


async def create_client(*, session: AsyncSession, tenant_id: uuid.UUID, name: str) -> Client:
    client = Client(tenant_id=tenant_id, client_id=uuid.uuid4(), name=name)
    session.add(client)
    await session.flush()
    return client


@dataclass(frozen=True)
class IssuedKey:
    key_id: uuid.UUID
    key: str  # shown once; only its hash is stored
    scopes: tuple[str, ...]


def parse_scopes(scopes: list[str]) -> tuple[str, ...]:
    allowed = {s.value for s in API_KEY_SCOPES}
    bad = [s for s in scopes if s not in allowed]
    if bad or not scopes:
        raise ValueError(f"scopes must be a non-empty subset of {sorted(allowed)}; got {scopes}")
    return tuple(sorted(set(scopes)))


async def create_api_key(
    *, sessions: TenantSessions, tenant_id: uuid.UUID, name: str, scopes: list[str]
) -> IssuedKey:
    chosen = parse_scopes(scopes)
    key_id, full, secret_hash = api_keys.new_key(tenant_id)
    async with sessions(tenant_id) as session:
        session.add(
            ApiKey(
                tenant_id=tenant_id,
                key_id=key_id,
                name=name,
                secret_hash=secret_hash,
                scopes=list(chosen),
            )
        )
    return IssuedKey(key_id, full, chosen)


async def revoke_api_key(
    *, sessions: TenantSessions, tenant_id: uuid.UUID, key_id: uuid.UUID
) -> bool:
    """True when a live key was revoked; False when it does not exist or was already revoked."""
    async with sessions(tenant_id) as session:
        result = await session.execute(
            update(ApiKey)
            .where(col(ApiKey.key_id) == key_id, col(ApiKey.revoked_at).is_(None))
            .values(revoked_at=datetime.now(UTC))
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def tenant_exists(*, sessions: TenantSessions, tenant_id: uuid.UUID) -> bool:
    async with sessions(tenant_id) as session:
        found = await session.execute(
            select(col(Tenant.tenant_id)).where(col(Tenant.tenant_id) == tenant_id)
        )
        return found.scalar_one_or_none() is not None


SCOPE_NAMES = tuple(s.value for s in Scope)
