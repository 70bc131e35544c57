"""Client invitations: one-time, expiring, revocable links that create a client viewer.

Only the SHA-256 of the link's token is stored. Accepting is one UPDATE … WHERE unused, unrevoked
and unexpired … RETURNING, so a link creates at most one account even when two requests race.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.tables import Invitation
from app.identity.claims import email_domain
from app.services.ingest.errors import FieldError
from app.services.tenancy.catalog import clients_by_id

MAX_TTL = timedelta(days=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown once, in the link


async def create_invitation(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    client_id: uuid.UUID,
    email: str,
    created_by: str,
    ttl: timedelta,
    now: datetime,
) -> NewInvitation:
    email = email.strip()
    if email_domain(email) is None or len(email) > 320:
        raise FieldError("email", "must be an email address (name@domain)")
    if not timedelta(minutes=5) <= ttl <= MAX_TTL:
        raise FieldError("expiresInHours", "must be between 5 minutes and 30 days")
    if not await clients_by_id(session=session, tenant_id=tenant_id, ids=[client_id]):
        raise FieldError("clientId", f"no client {client_id} in this tenant")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        tenant_id=tenant_id,
        invitation_id=uuid.uuid4(),
        client_id=client_id,
        email=email,
        token_hash=token_hash(token),
        created_by=created_by[:300],
        created_at=now,
        expires_at=now + ttl,
    )
    session.add(invitation)
    await session.flush()
    return NewInvitation(invitation, token)


async def accept_invitation(
    *, session: AsyncSession, tenant_id: uuid.UUID, token: str, now: datetime
) -> Invitation | None:
    """Uses up a valid invitation; None when unknown, used, revoked or expired."""
    if not token or len(token) > 200:
        return None
    statement = (
        update(Invitation)
        .where(
            col(Invitation.tenant_id) == tenant_id,
            col(Invitation.token_hash) == token_hash(token),
            col(Invitation.accepted_at).is_(None),
            col(Invitation.revoked_at).is_(None),
            col(Invitation.expires_at) > now,
        )
        .values(accepted_at=now)
        .returning(Invitation)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def attach_user(
    *, session: AsyncSession, tenant_id: uuid.UUID, invitation_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    await session.execute(
        update(Invitation)
        .where(
            col(Invitation.tenant_id) == tenant_id,
            col(Invitation.invitation_id) == invitation_id,
        )
        .values(user_id=user_id)
    )


async def revoke_invitation(
    *, session: AsyncSession, tenant_id: uuid.UUID, invitation_id: uuid.UUID, now: datetime
) -> Invitation | None:
    """Revokes the invitation (an accepted one too: its viewer is then removed by the caller);
    None when unknown or already revoked."""
    statement = (
        update(Invitation)
        .where(
            col(Invitation.tenant_id) == tenant_id,
            col(Invitation.invitation_id) == invitation_id,
            col(Invitation.revoked_at).is_(None),
        )
        .values(revoked_at=now)
        .returning(Invitation)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def list_invitations(*, session: AsyncSession, tenant_id: uuid.UUID) -> list[Invitation]:
    query = (
        select(Invitation)
        .where(col(Invitation.tenant_id) == tenant_id)
        .order_by(col(Invitation.created_at).desc())
    )
    return list((await session.execute(query)).scalars())
