"""The run dimensions a tenant declared, read for ingest validation (one query per batch)."""

from __future__ import annotations

import uuid
from typing import Any

from app.domain.dimensions import DeclaredDimension

DECLARED = """
SELECT key, description, allowed_values, retired_at IS NOT NULL AS retired
FROM run_dimensions WHERE tenant_id = $1
"""


async def load_declared(conn: Any, tenant_id: uuid.UUID) -> dict[str, DeclaredDimension]:
    """Every declared dimension of the tenant (retired ones included), by key."""
    rows = await conn.fetch(DECLARED, tenant_id)
    return {
        row["key"]: DeclaredDimension(
            key=row["key"],
            description=row["description"],
            allowed=None if row["allowed_values"] is None else tuple(row["allowed_values"]),
            retired=row["retired"],
        )
        for row in rows
    }
