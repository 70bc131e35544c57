"""What a cost figure is about: a half-open time range and the optional dimension filters.

Both are frozen (hashable) so they can be part of DataLoader keys. The filters are turned into
SQL predicates here, in one place, so every figure applies them the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, any_, func, or_, select, true

from app.db.tables import CohortDay, Run, RunCost, UsageEvent

RUNS = Run.__table__  # type: ignore[attr-defined]
USAGE = UsageEvent.__table__  # type: ignore[attr-defined]
# Per correlation id: its usage totals and whether its run is stored (rollup, migration 0007).
RUN_COSTS = RunCost.__table__  # type: ignore[attr-defined]
# Per (workflow, UTC start day, client, status): runs and their exact cost (migration 0009).
COHORT_DAYS = CohortDay.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class TimeRange:
    """The half-open interval [start, end); both ends timezone-aware."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a time range needs timezone-aware datetimes")
        if self.start >= self.end:
            raise ValueError("a time range must end after it starts")


@dataclass(frozen=True)
class CostScope:
    """Filters every cost figure accepts; all optional, combined with AND."""

    client_id: uuid.UUID | None = None
    campaign: str | None = None
    channel: str | None = None
    variant: str | None = None
    team: str | None = None
    # The tenant's own run dimensions: (key, value) pairs, sorted by key, each key once.
    dimensions: tuple[tuple[str, str], ...] = ()

    @property
    def tags_runs_only(self) -> bool:
        """True when a filter names a tag only runs carry (campaign, channel, variant, or one of
        the tenant's own run dimensions).

        Workflow-level costs (usage with no stored run) carry no such tags, so they are left
        out of any figure filtered by them.
        """
        return (
            self.campaign is not None
            or self.channel is not None
            or self.variant is not None
            or bool(self.dimensions)
        )

    @property
    def client_only(self) -> bool:
        """True when the scope filters nothing but (optionally) the client: the dimensions the
        daily rollup `cohort_days` keeps."""
        return (
            self.campaign is None
            and self.channel is None
            and self.variant is None
            and (self.team is None)
            and not self.dimensions
        )

    def with_client(self, client_id: uuid.UUID) -> CostScope:
        return replace(self, client_id=client_id)


def dimension_filter(scope: CostScope, runs: Any = RUNS) -> list[ColumnElement[bool]]:
    """The run-dimension filters as one JSONB containment (`dimensions @> '{"k": "v", …}'`):
    every pair must match (AND). A run without the key, or a row without a run, never matches."""
    if not scope.dimensions:
        return []
    return [runs.c.dimensions.contains(dict(scope.dimensions))]


def run_filters(
    scope: CostScope, runs: Any = RUNS, *, client_bound: bool = True
) -> list[ColumnElement[bool]]:
    """Predicates on the run's own dimensions. With `client_bound=False` the client is written
    `IS NOT DISTINCT FROM` (the same runs: the scope's client is never NULL), which no index
    takes as a bound: for a read that must go through another index."""
    filters: list[ColumnElement[bool]] = []
    if scope.client_id is not None:
        client = runs.c.client_id
        filters.append(
            client == scope.client_id
            if client_bound
            else client.is_not_distinct_from(scope.client_id)
        )
    for name in ("campaign", "channel", "variant", "team"):
        value = getattr(scope, name)
        if value is not None:
            filters.append(runs.c[name] == value)
    filters.extend(dimension_filter(scope, runs))
    return filters


def workflow_level_filters(scope: CostScope, usage: Any = USAGE) -> list[ColumnElement[bool]]:
    """Predicates on a workflow-level usage event's own client and team.

    When the scope names a run-only tag, nothing matches (see `CostScope.tags_runs_only`).
    """
    if scope.tags_runs_only:
        return [~true()]
    filters: list[ColumnElement[bool]] = []
    if scope.client_id is not None:
        filters.append(usage.c.client_id == scope.client_id)
    if scope.team is not None:
        filters.append(usage.c.team == scope.team)
    return filters


def in_range(column: Any, time_range: TimeRange) -> list[ColumnElement[bool]]:
    return [column >= time_range.start, column < time_range.end]


def split_whole_days(time_range: TimeRange) -> tuple[TimeRange | None, list[TimeRange]]:
    """The whole UTC days inside the range, as one range of midnights (None if there is no
    whole day), and the partial pieces at its ends (zero, one or two ranges).

    Every instant of the range is in exactly one of them.
    """
    start = time_range.start.astimezone(UTC)
    end = time_range.end.astimezone(UTC)
    first = datetime.combine(start.date(), time(), UTC)
    if first < start:
        first += timedelta(days=1)
    last = datetime.combine(end.date(), time(), UTC)
    if first >= last:
        return None, [time_range]
    pieces = [TimeRange(start, first)] if start < first else []
    if last < end:
        pieces.append(TimeRange(last, end))
    return TimeRange(first, last), pieces


@dataclass(frozen=True)
class DayCover:
    """A range as whole UTC days read from a daily rollup, plus the pieces to add live and the
    pieces to take back out live: range = days + plus − minus, instant by instant."""

    days: TimeRange
    plus: list[TimeRange]
    minus: list[TimeRange]


def cover_with_days(time_range: TimeRange) -> DayCover | None:
    """`split_whole_days`, with each partial end piece replaced by its whole day minus the rest
    of that day when the rest is shorter (a range from 04:00 reads its first day from the rollup
    and takes back 00:00–04:00 live: a sixth of the day's runs instead of five sixths; a range
    ending at "now" late in the day takes back only the hours after now). None when the range
    holds no whole day.
    """
    days, pieces = split_whole_days(time_range)
    if days is None:
        return None
    start, end = days.start, days.end
    plus: list[TimeRange] = []
    minus: list[TimeRange] = []
    for piece in pieces:
        if piece.end == days.start:  # the head: [from, first midnight)
            midnight = piece.end - timedelta(days=1)
            if piece.start - midnight < piece.end - piece.start:
                start = midnight
                minus.append(TimeRange(midnight, piece.start))
                continue
        else:  # the tail: [last midnight, to)
            midnight = piece.start + timedelta(days=1)
            if midnight - piece.end < piece.end - piece.start:
                end = midnight
                minus.append(TimeRange(piece.end, midnight))
                continue
        plus.append(piece)
    return DayCover(TimeRange(start, end), plus, minus)


def cohort_source(workflows: Any) -> Any:
    """Runs joined to their workflow (for the acceptance hold): the FROM of every cohort query."""
    return RUNS.join(
        workflows,
        and_(
            workflows.c.tenant_id == RUNS.c.tenant_id, workflows.c.workflow_id == RUNS.c.workflow_id
        ),
    )


def cohort_filters(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    scope: CostScope,
    started_in: Sequence[TimeRange] | None = None,
) -> list[ColumnElement[bool]]:
    """The cohort rule's run predicates: the workflows' runs started in range, scope-filtered.

    `started_in` (pieces of `time_range`) restricts the start to those pieces.
    """
    started: list[ColumnElement[bool]] = in_range(RUNS.c.started_at, time_range)
    if started_in is not None:
        started.append(or_(*[and_(*in_range(RUNS.c.started_at, r)) for r in started_in]))
    return [
        RUNS.c.tenant_id == tenant_id,
        RUNS.c.workflow_id.in_(workflow_ids),
        *started,
        *run_filters(scope),
    ]


def workflow_level_source() -> Any:
    """Usage; with `workflow_level_filters_for`, the usage no stored run owns."""
    return USAGE


def orphan_correlation_ids(tenant_id: uuid.UUID) -> Any:
    """The tenant's correlation ids that have usage and name no stored run, as an array.

    Read from the `run_costs` rollup (its `has_run` flag, kept by triggers on runs and usage)
    through a partial index: an array, so `= ANY(...)` is an index condition on usage.
    """
    return func.array(
        select(RUN_COSTS.c.correlation_id)
        .where(RUN_COSTS.c.tenant_id == tenant_id, ~RUN_COSTS.c.has_run)
        .scalar_subquery()
    )


def workflow_level_filters_for(
    *,
    tenant_id: uuid.UUID,
    workflow_ids: Sequence[uuid.UUID],
    time_range: TimeRange,
    scope: CostScope,
) -> list[ColumnElement[bool]]:
    """Workflow-level costs: usage booked in range whose correlation id is NULL or names no
    stored run, filtered by the event's own client and team.

    Two index arms (a BitmapOr): the partial index of usage without a correlation id, and the
    correlation-id index probed with the few ids no stored run owns (`orphan_correlation_ids`),
    instead of an anti-join of all the range's usage with runs.
    """
    return [
        USAGE.c.tenant_id == tenant_id,
        USAGE.c.workflow_id.in_(workflow_ids),
        *in_range(USAGE.c.occurred_at, time_range),
        or_(
            USAGE.c.correlation_id.is_(None),
            USAGE.c.correlation_id == any_(orphan_correlation_ids(tenant_id)),
        ),
        *workflow_level_filters(scope),
    ]
