"""The people of a tenant: staff signed in through the provider, client viewers by invitation."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.auth.principal import Role
from app.db.tables import User


class UserRemoved(Exception):
    """The person was removed by the agency; signing in again does not bring them back."""


async def sign_in_staff(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    subject: str,
    email: str,
    role: Role,
    now: datetime,
) -> uuid.UUID:
    """Creates or updates the staff user for a provider subject; returns its id."""
    values = {
        "tenant_id": tenant_id,
        "user_id": uuid.uuid4(),
        "email": email,
        "subject": subject,
        "role": role.value,
        "last_sign_in_at": now,
    }
    insert_user = insert(User).values(**values)
    statement = insert_user.on_conflict_do_update(
        constraint="uq_users_tenant_subject",
        set_={"email": email, "role": role.value, "last_sign_in_at": now},
        where=col(User.removed_at).is_(None),
    ).returning(col(User.user_id))
    user_id = (await session.execute(statement)).scalar_one_or_none()
    if user_id is None:
        raise UserRemoved(subject)
    return uuid.UUID(str(user_id))


async def create_viewer(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    invitation_id: uuid.UUID,
    email: str,
    client_id: uuid.UUID,
    now: datetime,
) -> uuid.UUID:
    user_id = uuid.uuid4()
    session.add(
        User(
            tenant_id=tenant_id,
            user_id=user_id,
            email=email,
            subject=f"invitation|{invitation_id}",
            role=Role.CLIENT_VIEWER.value,
            client_id=client_id,
            last_sign_in_at=now,
        )
    )
    await session.flush()
    return user_id


async def get_user(
    *, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID
) -> User | None:
    query = select(User).where(col(User.tenant_id) == tenant_id, col(User.user_id) == user_id)
    return (await session.execute(query)).scalar_one_or_none()


async def remove_user(
    *, session: AsyncSession, tenant_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """Marks the user removed (kept for the audit trail); False when unknown or already removed."""
    result = await session.execute(
        update(User)
        .where(
            col(User.tenant_id) == tenant_id,
            col(User.user_id) == user_id,
            col(User.removed_at).is_(None),
        )
        .values(removed_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_users(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[User]:
    query = select(User).where(col(User.tenant_id) == tenant_id).order_by(col(User.email))
    return list((await session.execute(query)).scalars())
