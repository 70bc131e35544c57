"""Resolver steps of ladder figures: load through the request's loaders (batched across
workflows), let the services and the domain say what the totals mean.

Service FieldErrors become BAD_USER_INPUT naming the argument ("rung", "bucket", "dimension").
"""

from __future__ import annotations

import asyncio
import math
import uuid
from decimal import Decimal

from app.services.costs.scope import CostScope
from app.services.ladders import figures as ladders
from graphql_schema.context import Info
from graphql_schema.costs.enums import CostDimension
from graphql_schema.costs.inputs import TimeRangeInput, sliced_dimension
from graphql_schema.costs.loaders import CohortKey
from graphql_schema.errors import BadUserInput, field_errors
from graphql_schema.ladders.loaders import SliceKey
from graphql_schema.ladders.types import LadderCost, RisingSlice, SeriesPoint
from graphql_schema.loaders import loaders


async def ladder_costs(info: Info, key: CohortKey) -> list[LadderCost]:
    """Totals, reach and rungs come from three loaders, each batched across workflows."""
    load = loaders(info)
    figures, counts, rungs = await asyncio.gather(
        load.cohort.load(key), load.rung_counts.load(key), load.ladder.load(key.workflow_id)
    )
    return [LadderCost.from_figures(c) for c in ladders.rung_costs_of(rungs, counts, figures)]


async def ladder_series(
    info: Info,
    workflow_id: uuid.UUID,
    time_range: TimeRangeInput,
    bucket: str,
    rung: str,
    scope: CostScope,
) -> list[SeriesPoint]:
    window = time_range.to_range()
    load = loaders(info)
    with field_errors():
        step, buckets = ladders.series_plan(window, bucket)
        ladders.check_rung(await load.ladder.load(workflow_id), rung)
    found = await load.slices.load(SliceKey(workflow_id, window, scope, rung, step=step))
    return [SeriesPoint.from_point(p) for p in ladders.series_points(found, buckets, rung)]


async def rising_slices(
    info: Info,
    workflow_id: uuid.UUID,
    rung: str,
    time_range: TimeRangeInput,
    dimension: CostDimension,
    min_rise_pct: float,
    dimension_key: str | None = None,
) -> list[RisingSlice]:
    if not math.isfinite(min_rise_pct):
        raise BadUserInput("minRisePct must be a finite number.", field="minRisePct")
    sliced = await sliced_dimension(info, dimension, dimension_key)
    window = time_range.to_range()
    load = loaders(info)
    with field_errors():
        ladders.check_dimension(sliced)
        ladders.check_rung(await load.ladder.load(workflow_id), rung)
    before, after = await asyncio.gather(
        *(
            load.slices.load(SliceKey(workflow_id, w, CostScope(), rung, dimension=sliced))
            for w in (ladders.previous_window(window), window)
        )
    )
    found = ladders.rising_of(sliced, rung, before, after, Decimal(str(min_rise_pct)))
    return [RisingSlice.from_slice(s) for s in found]
