"""Reads of runs and their usage: one run, a keyset page of runs, and per-run cost and usage.

Pages of runs are ordered by (started_at desc, correlation_id desc), which is unique per tenant,
so a page boundary is exact (app.services.keyset), whatever was inserted meanwhile. Per-run cost
and usage are read for a whole batch of correlation ids at once (the DataLoaders call them),
never one query per run.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import Run, UsageEvent
from app.services.costs.scope import (
    RUN_COSTS,
    RUNS,
    USAGE,
    CostScope,
    TimeRange,
    in_range,
    run_filters,
)
from app.services.keyset import Page, PageRequest, keyset_page


@dataclass(frozen=True)
class RunFilter:
    workflow_id: uuid.UUID | None = None
    status: str | None = None
    scope: CostScope = field(default_factory=CostScope)
    time_range: TimeRange | None = None


async def run_by_correlation_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, correlation_id: str
) -> Run | None:
    result = await session.execute(
        select(Run).where(RUNS.c.tenant_id == tenant_id, RUNS.c.correlation_id == correlation_id)
    )
    return result.scalar_one_or_none()


def _filters(tenant_id: uuid.UUID, run_filter: RunFilter) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = [RUNS.c.tenant_id == tenant_id]
    if run_filter.workflow_id is not None:
        filters.append(RUNS.c.workflow_id == run_filter.workflow_id)
    if run_filter.status is not None:
        filters.append(RUNS.c.status == run_filter.status)
    if run_filter.time_range is not None:
        filters.extend(in_range(RUNS.c.started_at, run_filter.time_range))
    filters.extend(run_filters(run_filter.scope))
    return filters


async def page_of_runs(
    *, session: AsyncSession, tenant_id: uuid.UUID, run_filter: RunFilter, request: PageRequest
) -> Page:
    """A keyset page of runs, newest first: (started_at, correlation_id) descending; a cursor
    is the (started_at, correlation_id) of a run."""
    return await keyset_page(
        session=session,
        entity=Run,
        filters=_filters(tenant_id, run_filter),
        order=[RUNS.c.started_at, RUNS.c.correlation_id],
        descending=True,
        request=request,
    )


async def page_of_usage(
    *, session: AsyncSession, tenant_id: uuid.UUID, correlation_id: str, request: PageRequest
) -> Page:
    """A keyset page of one run's usage in the order it occurred: (occurred_at, event_id)."""
    return await keyset_page(
        session=session,
        entity=UsageEvent,
        filters=[USAGE.c.tenant_id == tenant_id, USAGE.c.correlation_id == correlation_id],
        order=[USAGE.c.occurred_at, USAGE.c.event_id],
        descending=False,
        request=request,
    )


async def usage_count(*, session: AsyncSession, tenant_id: uuid.UUID, correlation_id: str) -> int:
    """How many usage events the run has (an index-only count over ix_usage_correlation)."""
    result = await session.scalar(
        select(func.count())
        .select_from(USAGE)
        .where(USAGE.c.tenant_id == tenant_id, USAGE.c.correlation_id == correlation_id)
    )
    return int(result or 0)


async def usage_by_event_id(
    *, session: AsyncSession, tenant_id: uuid.UUID, event_id: str
) -> UsageEvent | None:
    result = await session.execute(
        select(UsageEvent).where(USAGE.c.tenant_id == tenant_id, USAGE.c.event_id == event_id)
    )
    return result.scalar_one_or_none()


async def run_costs(
    *, session: AsyncSession, tenant_id: uuid.UUID, correlation_ids: Sequence[str]
) -> dict[str, Decimal]:
    """The exact cost of each run: the sum of its usage (0 when it has none), read from the
    `run_costs` rollup (one primary-key row per run, kept exact by triggers on usage)."""
    result = await session.execute(
        select(RUN_COSTS.c.correlation_id, RUN_COSTS.c.cost).where(
            RUN_COSTS.c.tenant_id == tenant_id, RUN_COSTS.c.correlation_id.in_(correlation_ids)
        )
    )
    found: dict[str, Decimal] = {cid: Decimal(0) for cid in correlation_ids}
    for correlation_id, cost in result:
        found[correlation_id] = cost
    return found


async def run_usage(
    *, session: AsyncSession, tenant_id: uuid.UUID, correlation_ids: Sequence[str]
) -> dict[str, list[UsageEvent]]:
    """Each run's usage events in the order they occurred (then by event id)."""
    result = await session.execute(
        select(UsageEvent)
        .where(USAGE.c.tenant_id == tenant_id, USAGE.c.correlation_id.in_(correlation_ids))
        .order_by(USAGE.c.correlation_id, USAGE.c.occurred_at, USAGE.c.event_id)
    )
    found: dict[str, list[UsageEvent]] = {cid: [] for cid in correlation_ids}
    for event in result.scalars():
        assert event.correlation_id is not None
        found[event.correlation_id].append(event)
    return found
