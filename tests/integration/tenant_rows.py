"""Rows read back in one tenant's session (under its row-level security), as dicts."""

from __future__ import annotations

import uuid

from sqlalchemy import text


async def rows(sessions, tenant_id: uuid.UUID, sql: str, **params) -> list[dict]:
    async with sessions(tenant_id) as session:
        result = await session.execute(text(sql), params)
        return [dict(row) for row in result.mappings()]


async def usage_costs(sessions, tenant_id: uuid.UUID) -> list[dict]:
    """Each stored usage event's cost, cost_source and price_effective_from."""
    return await rows(
        sessions, tenant_id, "SELECT cost, cost_source, price_effective_from FROM usage_events"
    )
