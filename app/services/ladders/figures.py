"""Outcome-ladder figures: cost per rung, its series over time, and the slices where it rises.

SQL counts and sums (`app.services.ladders.cohorts`, and `app.services.costs.cohorts` for the
cohort's total, so `totalCost` is the very figure `costPerOutcome` shows); `app.domain.ladder` says
what the totals mean. Rungs are the workflow's *active* rungs: retired ones are hidden, their events
kept (see docs/numbers.md, "Outcome ladders").

Bad arguments raise `FieldError` naming the contract's argument ("rung", "bucket", "dimension").
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import LadderRung
from app.domain import ladder
from app.domain.dimensions import key_problem
from app.services.costs.cohorts import CohortFigures, CohortQuestion, cohort_figures
from app.services.costs.scope import CostScope, TimeRange
from app.services.costs.slices import by_bucket, by_dimension, split_dimension
from app.services.ingest.errors import FieldError
from app.services.ladders.cohorts import SliceFigures, rung_counts, slice_figures
from app.services.tenancy import catalog

Bucket = tuple[datetime, datetime]

SLICE_DIMENSIONS: tuple[str, ...] = ("CAMPAIGN", "CHANNEL", "VARIANT", "CLIENT", "TEAM")
"""Dimensions a rung's cost can be sliced by: the run's own tags, its client, its team."""


@dataclass(frozen=True)
class SeriesPoint:
    """One bucket [start, end) of a rung's series: a cohort of its own."""

    start: datetime
    end: datetime
    count: int
    total_cost: Decimal
    cost_per_rung: Decimal | None


@dataclass(frozen=True)
class RisingSlice:
    """A slice whose cost per rung rose more than the threshold against the previous window.

    `current_cost_per_rung` is None for spend without any outcome at the rung (infinitely
    expensive); `rise_pct` is None when the rise is unbounded (that case, or from a cost of 0).
    """

    dimension: str
    value: str
    previous_cost_per_rung: Decimal
    current_cost_per_rung: Decimal | None
    rise_pct: float | None


def active_rungs(rungs: Sequence[LadderRung]) -> list[tuple[str, int]]:
    """(key, position) of the rungs not retired, in ladder order."""
    return [(r.key, r.position) for r in rungs if r.retired_at is None]


def rung_costs_of(
    rungs: Sequence[LadderRung], counts: dict[str, int], figures: CohortFigures
) -> list[ladder.RungCost]:
    """The ladder's figures from its rungs, the cohort's reachers and the cohort's totals."""
    return ladder.ladder_costs(active_rungs(rungs), counts, figures.total_cost)


async def ladder_costs(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    time_range: TimeRange,
    scope: CostScope,
    now: datetime,
) -> list[ladder.RungCost]:
    """One entry per active rung, in ladder order, for the cohort of runs started in range."""
    ids = [workflow_id]
    figures = await cohort_figures(
        session=session,
        question=CohortQuestion(tenant_id, ids, time_range, scope, now),
    )
    counts = await rung_counts(
        session=session,
        question=CohortQuestion(tenant_id, ids, time_range, scope, now),
    )
    rungs = await _rungs(session, tenant_id, workflow_id)
    return rung_costs_of(rungs, counts[workflow_id], figures[workflow_id])


def series_plan(time_range: TimeRange, bucket: str) -> tuple[timedelta, list[Bucket]]:
    """The bucket length and the buckets of a series; FieldError("bucket") for a duration that
    is not PnD, PnW or PTnH, or that would make more than `ladder.MAX_BUCKETS` buckets."""
    try:
        step = ladder.parse_bucket(bucket)
        return step, ladder.series_buckets(time_range.start, time_range.end, step)
    except ValueError as exc:
        raise FieldError("bucket", str(exc)) from None


def series_points(
    found: dict[Any, SliceFigures], buckets: Sequence[Bucket], rung: str
) -> list[SeriesPoint]:
    """Every bucket's figures for `rung` (empty buckets: count 0, no cost per rung), from the
    slices of a `by_bucket` grouping (keyed by bucket index)."""
    points = []
    for index, (start, end) in enumerate(buckets):
        window = _window(found.get(index), rung)
        points.append(
            SeriesPoint(
                start.astimezone(UTC),
                end.astimezone(UTC),
                window.count,
                window.total_cost,
                window.cost_per_rung,
            )
        )
    return points


def previous_window(time_range: TimeRange) -> TimeRange:
    """The window of the same length that ends where `time_range` starts."""
    return TimeRange(time_range.start - (time_range.end - time_range.start), time_range.start)


def check_dimension(dimension: str) -> None:
    """FieldError("dimension") unless it is one of SLICE_DIMENSIONS or "CUSTOM:<key>" with a
    well-formed key (whether the key is declared is the caller's check)."""
    name, key = split_dimension(dimension)
    if key is not None:
        problem = key_problem(key)
        if problem is not None:
            raise FieldError("dimensionKey", problem)
        return
    if name not in SLICE_DIMENSIONS:
        raise FieldError("dimension", f"must be one of {', '.join(SLICE_DIMENSIONS)} or CUSTOM")


def check_rung(rungs: Sequence[LadderRung], rung: str) -> None:
    """FieldError("rung") unless `rung` is an active rung of the ladder `rungs`."""
    keys = [key for key, _ in active_rungs(rungs)]
    if rung not in keys:
        raise FieldError("rung", f"{rung!r} is not a rung of this ladder: {', '.join(keys)}")


def rising_of(
    dimension: str,
    rung: str,
    before: dict[Any, SliceFigures],
    after: dict[Any, SliceFigures],
    min_rise_pct: Decimal,
) -> list[RisingSlice]:
    """The slices whose cost per `rung` rose more than `min_rise_pct` percent from `before`
    (the previous window) to `after` (see `app.domain.ladder.rise`).

    Listed: a finite previous cost per rung that rose past the threshold, or spend without
    outcome now (an unbounded rise). Omitted: slices with no outcome in either window, or none
    in the previous one (no finite cost to rise from). Ordered by rise, unbounded first, then
    by value.
    """
    found: list[RisingSlice] = []
    for value in set(before) | set(after):
        previous, current = _window(before.get(value), rung), _window(after.get(value), rung)
        rise = ladder.rise(previous, current, min_rise_pct)
        if rise is not None:
            found.append(RisingSlice(dimension, str(value), rise.previous, rise.current, rise.pct))
    return sorted(found, key=lambda s: (s.rise_pct is not None, -(s.rise_pct or 0.0), s.value))


async def ladder_series(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    time_range: TimeRange,
    bucket: str,
    rung: str,
    scope: CostScope,
    now: datetime,
) -> list[SeriesPoint]:
    """The rung's figures per bucket of the range (see `series_plan`, `series_points`); one
    statement for all the buckets."""
    step, buckets = series_plan(time_range, bucket)
    check_rung(await _rungs(session, tenant_id, workflow_id), rung)
    found = await slice_figures(
        session=session,
        question=CohortQuestion(tenant_id, [workflow_id], time_range, scope, now),
        grouping=by_bucket(time_range.start, step),
        rungs=[rung],
    )
    return series_points(found[workflow_id], buckets, rung)


async def rising_slices(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    workflow_id: uuid.UUID,
    rung: str,
    time_range: TimeRange,
    dimension: str,
    min_rise_pct: Decimal,
    now: datetime,
) -> list[RisingSlice]:
    """The values of `dimension` whose cost per `rung` in `time_range` rose more than
    `min_rise_pct` percent against the window of the same length just before it (`rising_of`).
    Two statements, one per window."""
    check_dimension(dimension)
    check_rung(await _rungs(session, tenant_id, workflow_id), rung)
    windows = []
    for window_range in (previous_window(time_range), time_range):
        found = await slice_figures(
            session=session,
            question=CohortQuestion(tenant_id, [workflow_id], window_range, CostScope(), now),
            grouping=by_dimension(dimension),
            rungs=[rung],
        )
        windows.append(found[workflow_id])
    return rising_of(dimension, rung, windows[0], windows[1], min_rise_pct)


async def require_rung(
    *, session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID, rung: str
) -> None:
    """FieldError("rung") unless `rung` is an active rung of the workflow's ladder."""
    check_rung(await _rungs(session, tenant_id, workflow_id), rung)


def _window(figures: SliceFigures | None, rung: str) -> ladder.RungWindow:
    if figures is None:
        return ladder.RungWindow(Decimal(0), 0)
    return ladder.RungWindow(figures.total_cost, figures.counts.get(rung, 0))


async def _rungs(
    session: AsyncSession, tenant_id: uuid.UUID, workflow_id: uuid.UUID
) -> list[LadderRung]:
    found = await catalog.ladders(session=session, tenant_id=tenant_id, workflow_ids=[workflow_id])
    return found[workflow_id]
