"""The audit log: who signed in or out, who invited whom, what was revoked, and when."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db.tables import AuditEvent

ACTIONS = frozenset(
    {
        "sign_in",
        "sign_in_refused",
        "sign_out",
        "session_revoked",
        "invitation_created",
        "invitation_accepted",
        "invitation_revoked",
        "user_removed",
        "provider_set",
        "provider_removed",
    }
)


async def record(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    actor: str,
    action: str,
    now: datetime,
    **detail: Any,
) -> None:
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    session.add(
        AuditEvent(
            tenant_id=tenant_id,
            event_id=uuid.uuid4(),
            at=now,
            actor=actor[:900],
            action=action,
            detail={k: v for k, v in detail.items() if v is not None},
        )
    )
    await session.flush()


async def recent(
    *, session: AsyncSession, tenant_id: uuid.UUID, limit: int, before: datetime | None = None
) -> list[AuditEvent]:
    """The newest `limit` events (before `before` when given), newest first."""
    query = select(AuditEvent).where(col(AuditEvent.tenant_id) == tenant_id)
    if before is not None:
        query = query.where(col(AuditEvent.at) < before)
    query = query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.event_id).desc()).limit(limit)
    return list((await session.execute(query)).scalars())
