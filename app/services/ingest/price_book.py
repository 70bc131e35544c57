"""Loading the tenant's price book for a batch: every version of the needed models, one query."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from app.domain.pricing import Price

LOAD_PRICES = """
SELECT p.provider, p.model, p.effective_from,
       p.input_per_million, p.output_per_million, p.cache_read_per_million,
       p.cache_write_per_million, p.reasoning_per_million
FROM model_prices p
JOIN unnest($2::text[], $3::text[]) AS wanted(provider, model)
  ON wanted.provider = p.provider AND wanted.model = p.model
WHERE p.tenant_id = $1
"""


async def load_prices(
    conn: Any, tenant_id: uuid.UUID, pairs: Iterable[tuple[str, str]]
) -> list[Price]:
    """Every price version (all effective dates) of the given (provider, model) pairs."""
    wanted = sorted(set(pairs))
    if not wanted:
        return []
    rows = await conn.fetch(LOAD_PRICES, tenant_id, [p for p, _ in wanted], [m for _, m in wanted])
    return [Price.from_row(row) for row in rows]
