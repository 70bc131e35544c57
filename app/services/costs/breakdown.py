"""Spend broken down along dimensions, by event time, with exact NUMERIC sums.

The events are the usage that occurred in [from, to), optionally of one workflow. Each event is
joined to its run (LEFT JOIN on the correlation id) so run-only tags (campaign, channel, variant,
the tenant's own run dimensions) and fallbacks can be read: the client is COALESCE(event client,
run client), the team COALESCE(event team, run team). A missing value becomes "(none)"; DAY is
the UTC date.

The grouping expressions come from a fixed mapping of dimension to SQL expression: no user
input is ever interpolated into SQL. Each event lands in exactly one bucket and the sums are
NUMERIC, so the buckets add up to the total of the same range to the last decimal place.
`app.domain.breakdown.breakdown` is the pure reference the tests hold this to. On the RECONCILED
basis each event's cost is its reconciled cost (app.services.costs.basis), so the buckets still
add up exactly to the reconciled total.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.breakdown import NONE_KEY, Bucket
from app.services.costs.basis import CostBasis, factors_for, usage_cost
from app.services.costs.scope import (
    RUNS,
    USAGE,
    CostScope,
    TimeRange,
    dimension_filter,
    in_range,
)
from app.services.tenancy.catalog import WORKFLOWS


class CostDimension(enum.StrEnum):
    """A dimension spend can be broken down by (its value is the reference's dimension name)."""

    WORKFLOW = "WORKFLOW"
    CLIENT = "CLIENT"
    MODEL = "MODEL"
    PROVIDER = "PROVIDER"
    STEP = "STEP"
    KIND = "KIND"
    CAMPAIGN = "CAMPAIGN"
    CHANNEL = "CHANNEL"
    VARIANT = "VARIANT"
    TEAM = "TEAM"
    DAY = "DAY"
    EFFORT = "EFFORT"
    CUSTOM = "CUSTOM"  # one of the tenant's own run dimensions, named by its key


CLIENT = func.coalesce(USAGE.c.client_id, RUNS.c.client_id)
TEAM = func.coalesce(USAGE.c.team, RUNS.c.team)

DIMENSIONS: dict[CostDimension, Any] = {
    CostDimension.WORKFLOW: WORKFLOWS.c.key,
    CostDimension.CLIENT: cast(CLIENT, String),
    CostDimension.MODEL: USAGE.c.model,
    CostDimension.PROVIDER: USAGE.c.provider,
    CostDimension.STEP: USAGE.c.step,
    CostDimension.KIND: USAGE.c.kind,
    CostDimension.CAMPAIGN: RUNS.c.campaign,
    CostDimension.CHANNEL: RUNS.c.channel,
    CostDimension.VARIANT: RUNS.c.variant,
    CostDimension.TEAM: TEAM,
    CostDimension.DAY: func.to_char(func.timezone("UTC", USAGE.c.occurred_at), "YYYY-MM-DD"),
    # The event's own reasoning effort, trimmed and lower-cased (app.domain.effort).
    CostDimension.EFFORT: func.nullif(func.lower(func.btrim(USAGE.c.reasoning_effort)), ""),
}


def run_dimension(key: str) -> Any:
    """The run's value of its own dimension `key` (`runs.dimensions ->> key`; NULL without
    one). The key is a bound parameter, never SQL text."""
    return RUNS.c.dimensions[key].astext


def _key_expression(dimension: CostDimension, dimension_key: str | None) -> Any:
    if dimension is CostDimension.CUSTOM:
        if dimension_key is None:
            raise ValueError("CUSTOM needs a dimension key")
        return run_dimension(dimension_key)
    return DIMENSIONS[dimension]


def _scope_filters(scope: CostScope) -> list[Any]:
    filters: list[Any] = []
    if scope.client_id is not None:
        filters.append(CLIENT == scope.client_id)
    if scope.team is not None:
        filters.append(TEAM == scope.team)
    for name in ("campaign", "channel", "variant"):
        value = getattr(scope, name)
        if value is not None:
            filters.append(RUNS.c[name] == value)
    filters.extend(dimension_filter(scope))
    return filters


def _statement(
    *,
    tenant_id: uuid.UUID,
    time_range: TimeRange,
    group_by: Sequence[CostDimension],
    workflow_id: uuid.UUID | None,
    scope: CostScope,
    basis: CostBasis = CostBasis.RACK_RATE,
    dimension_key: str | None = None,
) -> Any:
    keys = [
        func.coalesce(_key_expression(d, dimension_key), NONE_KEY).label(f"k{i}")
        for i, d in enumerate(group_by)
    ]
    cost = usage_cost(factors_for(basis, tenant_id))
    filters = [USAGE.c.tenant_id == tenant_id, *in_range(USAGE.c.occurred_at, time_range)]
    if workflow_id is not None:
        filters.append(USAGE.c.workflow_id == workflow_id)
    filters.extend(_scope_filters(scope))
    sources = USAGE.outerjoin(
        RUNS,
        and_(
            RUNS.c.tenant_id == USAGE.c.tenant_id, RUNS.c.correlation_id == USAGE.c.correlation_id
        ),
    ).join(
        WORKFLOWS,
        and_(
            WORKFLOWS.c.tenant_id == USAGE.c.tenant_id,
            WORKFLOWS.c.workflow_id == USAGE.c.workflow_id,
        ),
    )
    return (
        select(
            *keys,
            func.coalesce(func.sum(cost), Decimal(0)).label("cost"),
            func.count().label("events"),
            func.coalesce(func.sum(USAGE.c.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(USAGE.c.output_tokens), 0).label("output_tokens"),
            func.coalesce(func.sum(USAGE.c.cache_read_tokens), 0).label("cache_read_tokens"),
            func.coalesce(func.sum(USAGE.c.reasoning_tokens), 0).label("reasoning_tokens"),
            func.coalesce(func.sum(USAGE.c.cache_write_tokens), 0).label("cache_write_tokens"),
        )
        .select_from(sources)
        .where(*filters)
        .group_by(*keys)
    )


async def cost_breakdown(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    time_range: TimeRange,
    group_by: Sequence[CostDimension],
    workflow_id: uuid.UUID | None = None,
    scope: CostScope = CostScope(),
    basis: CostBasis = CostBasis.RACK_RATE,
    dimension_key: str | None = None,
) -> list[Bucket]:
    """Buckets sorted by cost (descending), then key, as `app.domain.breakdown.breakdown` does.

    No dimensions: one bucket with key () holding the total; no events at all: no buckets.
    CUSTOM groups by the run's value of its dimension `dimension_key` (required with CUSTOM);
    workflow-level usage, having no run, is in the "(none)" bucket, as for campaign.
    """
    statement = _statement(
        tenant_id=tenant_id,
        time_range=time_range,
        group_by=group_by,
        workflow_id=workflow_id,
        scope=scope,
        basis=basis,
        dimension_key=dimension_key,
    )
    result = await session.execute(statement)
    buckets = [
        Bucket(
            key=tuple(row[f"k{i}"] for i in range(len(group_by))),
            cost=row["cost"],
            events=row["events"],
            input_tokens=int(row["input_tokens"]),
            output_tokens=int(row["output_tokens"]),
            cache_read_tokens=int(row["cache_read_tokens"]),
            reasoning_tokens=int(row["reasoning_tokens"]),
            cache_write_tokens=int(row["cache_write_tokens"]),
        )
        for row in result.mappings()
        if row["events"]  # an aggregate without GROUP BY answers one row even for no events
    ]
    return sorted(buckets, key=lambda b: (-b.cost, b.key))
