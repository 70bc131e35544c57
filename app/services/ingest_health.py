"""Reading the ingest health: what OTLP ingest rejected or stored with less detail, per day."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

HEALTH = text(
    """
    SELECT day, source, workflow_key, reason, spans, examples, last_seen_at
    FROM ingest_health
    WHERE tenant_id = :tenant AND day >= :first AND day <= :last
    ORDER BY day DESC, spans DESC, source, workflow_key, reason
    LIMIT :limit
    """
)


@dataclass(frozen=True)
class HealthRow:
    day: date
    source: str
    workflow_key: str
    reason: str
    spans: int
    examples: list[str]
    last_seen_at: datetime


async def ingest_health(
    *, session: AsyncSession, tenant_id: uuid.UUID, first: date, last: date, limit: int
) -> list[HealthRow]:
    """The tenant's rows for UTC days first..last (inclusive), newest day first, at most
    `limit`."""
    result = await session.execute(
        HEALTH, {"tenant": tenant_id, "first": first, "last": last, "limit": limit}
    )
    return [HealthRow(**row) for row in result.mappings()]
