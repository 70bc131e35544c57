"""Reads of runs and their usage: one run, a keyset page of runs, and per-run cost and usage.

Pages are ordered by (started_at desc, correlation_id desc), which is unique per tenant, so a
page boundary is exact: the next page starts strictly after the last row seen, whatever was
inserted meanwhile. Per-run cost and usage are read for a whole batch of correlation ids at once
(the DataLoaders call them), never one query per run.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, select, tuple_
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


@dataclass(frozen=True)
class RunFilter:
    workflow_id: uuid.UUID | None = None
    status: str | None = None
    scope: CostScope = field(default_factory=CostScope)
    time_range: TimeRange | None = None


@dataclass(frozen=True)
class PagePosition:
    """The last row of the previous page: the next page starts strictly after it."""

    started_at: datetime
    correlation_id: str


@dataclass(frozen=True)
class RunPage:
    runs: list[Run]
    has_next_page: bool


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
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    run_filter: RunFilter,
    first: int,
    after: PagePosition | None,
) -> RunPage:
    """Up to `first` runs after `after`, newest first; reads one extra row to know if more exist."""
    filters = _filters(tenant_id, run_filter)
    if after is not None:
        filters.append(
            tuple_(RUNS.c.started_at, RUNS.c.correlation_id)
            < tuple_(after.started_at, after.correlation_id)
        )
    result = await session.execute(
        select(Run)
        .where(*filters)
        .order_by(RUNS.c.started_at.desc(), RUNS.c.correlation_id.desc())
        .limit(first + 1)
    )
    rows = list(result.scalars())
    return RunPage(runs=rows[:first], has_next_page=len(rows) > first)


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
