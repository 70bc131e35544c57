"""Cache-read tokens and savings of a workflow's cohort, set-wise in PostgreSQL (one statement).

The events are exactly those whose cost `app.services.costs.cohorts` sums for costPerOutcome (the
cohort rule): every usage event of the runs *started* in range, whenever it occurred, plus the
workflow-level usage (no stored run) that occurred in range. So `savings` adds to the same
`totalCost` and divides by the same `acceptedOutcomes`.

Savings per event (`app.domain.caching.cache_read_savings`, rounded to 10 dp per event):
`(input_per_million - coalesce(cache_read_per_million, input_per_million)) x cache_read_tokens
/ 1e6` at the price version that priced the event, found by joining `model_prices` on
(tenant, provider, model, effective_from = usage.price_effective_from). Reported-cost events
have no price version and contribute 0 savings (their tokens are still counted).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import ModelPrice
from app.domain.pricing import TOKENS_PER_UNIT
from app.services.costs.basis import MONEY_DIGITS
from app.services.costs.cohorts import CohortQuestion, cohort_runs
from app.services.costs.scope import (
    USAGE,
    workflow_level_source,
)

PRICES = ModelPrice.__table__  # type: ignore[attr-defined]
PRICED = "priced"
ZERO = Decimal(0)


@dataclass(frozen=True)
class CacheTokens:
    """Per workflow: summed cache-read and uncached input tokens, and savings (currency)."""

    cache_read_tokens: int = 0
    input_tokens: int = 0
    savings: Decimal = ZERO


USAGE_COLUMNS = ("workflow_id", "input_tokens", "cache_read_tokens", "provider", "model")


def _cohort_events(question: CohortQuestion) -> Any:
    """The cohort's usage rows (run usage + workflow-level usage), as one subquery."""
    cohort = cohort_runs(question)
    columns = [USAGE.c[name] for name in USAGE_COLUMNS]
    priced_from = USAGE.c.price_effective_from.label("priced_from")
    of_runs = select(*columns, USAGE.c.cost_source, priced_from).select_from(
        cohort.join(
            USAGE,
            and_(
                USAGE.c.tenant_id == question.tenant_id,
                USAGE.c.correlation_id == cohort.c.correlation_id,
            ),
        )
    )
    workflow_level = (
        select(*columns, USAGE.c.cost_source, priced_from)
        .select_from(workflow_level_source())
        .where(*question.workflow_level_filters())
    )
    return union_all(of_runs, workflow_level).subquery("cohort_events")


async def cache_tokens(
    *,
    session: AsyncSession,
    question: CohortQuestion,
) -> dict[uuid.UUID, CacheTokens]:
    """Cache figures of each workflow's cohort (zeros for an empty cohort), in one statement."""
    events = _cohort_events(question)
    read_rate = func.coalesce(PRICES.c.cache_read_per_million, PRICES.c.input_per_million)
    per_event = func.round(
        (PRICES.c.input_per_million - read_rate) * events.c.cache_read_tokens / TOKENS_PER_UNIT,
        MONEY_DIGITS,
    )
    statement = (
        select(
            events.c.workflow_id,
            func.coalesce(func.sum(events.c.cache_read_tokens), 0).label("reads"),
            func.coalesce(func.sum(events.c.input_tokens), 0).label("uncached"),
            func.coalesce(func.sum(per_event), ZERO).label("savings"),
        )
        .select_from(
            events.outerjoin(
                PRICES,
                and_(
                    PRICES.c.tenant_id == question.tenant_id,
                    events.c.cost_source == literal(PRICED),
                    PRICES.c.provider == events.c.provider,
                    PRICES.c.model == events.c.model,
                    PRICES.c.effective_from == events.c.priced_from,
                ),
            )
        )
        .group_by(events.c.workflow_id)
    )
    found = {wid: CacheTokens() for wid in question.workflow_ids}
    for row in (await session.execute(statement)).mappings():
        found[row["workflow_id"]] = CacheTokens(
            cache_read_tokens=int(row["reads"]),
            input_tokens=int(row["uncached"]),
            savings=Decimal(row["savings"]),
        )
    return found
