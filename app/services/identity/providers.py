"""A tenant's OpenID Connect provider for its staff: set, read, remove."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth.principal import Role
from app.db.tables import IdentityProvider
from app.db.upserts import excluded_values
from app.services.ingest.errors import FieldError

STAFF_ROLES = (Role.OWNER, Role.ENGINEER, Role.ANALYST)


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    client_id: str
    allowed_domains: tuple[str, ...]
    role_claim: str
    role_map: dict[str, Role]


def check_settings(settings: ProviderSettings) -> None:
    """Refuses settings that could not work or would be unsafe, naming the field."""
    if not settings.issuer.startswith(("https://", "http://")):
        raise FieldError("issuer", "must be the provider's issuer URL (https://…)")
    if not settings.client_id.strip():
        raise FieldError("clientId", "must not be empty")
    if not settings.allowed_domains:
        raise FieldError(
            "allowedDomains", "name at least one email domain whose people may sign in"
        )
    for domain in settings.allowed_domains:
        if "@" in domain or "." not in domain or domain != domain.strip().lower():
            raise FieldError("allowedDomains", f"{domain!r} is not a lower-case domain name")
    if not settings.role_claim.strip():
        raise FieldError("roleClaim", "name the ID-token claim that carries groups or roles")
    for value, role in settings.role_map.items():
        if role not in STAFF_ROLES:
            raise FieldError(
                "roleMap",
                f"{value!r} maps to {role.value}; staff roles are OWNER, ENGINEER, ANALYST",
            )


async def set_provider(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    settings: ProviderSettings,
    client_secret_encrypted: str,
) -> None:
    check_settings(settings)
    values = {
        "tenant_id": tenant_id,
        "issuer": settings.issuer.rstrip("/"),
        "client_id": settings.client_id,
        "client_secret_encrypted": client_secret_encrypted,
        "allowed_domains": list(settings.allowed_domains),
        "role_claim": settings.role_claim,
        "role_map": {k: v.value for k, v in settings.role_map.items()},
    }
    statement = insert(IdentityProvider).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id"],
        set_=excluded_values(statement, *(k for k in values if k != "tenant_id"), "updated_at"),
    )
    await session.execute(statement)


async def get_provider(*, session: AsyncSession, tenant_id: uuid.UUID) -> IdentityProvider | None:
    query = select(IdentityProvider).where(col(IdentityProvider.tenant_id) == tenant_id)
    return (await session.execute(query)).scalar_one_or_none()


async def remove_provider(*, session: AsyncSession, tenant_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(IdentityProvider).where(col(IdentityProvider.tenant_id) == tenant_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def settings_of(row: IdentityProvider) -> ProviderSettings:
    return ProviderSettings(
        issuer=row.issuer,
        client_id=row.client_id,
        allowed_domains=tuple(row.allowed_domains),
        role_claim=row.role_claim,
        role_map={k: Role(v) for k, v in row.role_map.items()},
    )
