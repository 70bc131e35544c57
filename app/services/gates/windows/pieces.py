"""The pieces every window statement is a union of: the day index of a timestamp, the column
order of a piece, the workflow-level costs by day, and the merge of the pieces per workflow."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from app.services.costs.rules import timestamp
from app.services.costs.scope import (
    USAGE,
    CostScope,
    TimeRange,
    workflow_level_filters_for,
    workflow_level_source,
)

SECONDS_PER_DAY = 86_400


WHOLE_COHORT = CostScope()


def day_of(column: Any, start: datetime) -> Any:
    """0-based index of the 24-hour bucket of `column`, counted from `start` (a UTC midnight:
    the bucket is the UTC day)."""
    elapsed = func.extract("epoch", column - timestamp(start))
    return func.floor(elapsed / SECONDS_PER_DAY).cast(Integer)


def piece(
    workflow_id: Any, day: Any, *, attempts: Any, accepted: Any, cost: Any, finished: Any
) -> list[Any]:
    """The columns of one piece of the window's union, in the order every piece shares (a union
    matches its parts' columns by position)."""
    return [
        workflow_id,
        day.label("day"),
        attempts.label("attempts"),
        accepted.label("accepted"),
        cost.label("cost"),
        finished.label("finished"),
    ]


def workflow_level_by_day(
    *, tenant_id: uuid.UUID, workflow_ids: Sequence[uuid.UUID], window: TimeRange
) -> Any:
    """Workflow-level costs: the workflow's usage in the window whose correlation id is NULL or
    names no stored run (the anti-join of `cohorts`), by the day it occurred."""
    usage_day = day_of(USAGE.c.occurred_at, window.start)
    return (
        select(
            *piece(
                USAGE.c.workflow_id,
                usage_day,
                attempts=literal(0),
                accepted=literal(0),
                cost=func.sum(USAGE.c.cost),
                finished=literal(0),
            )
        )
        .select_from(workflow_level_source())
        .where(
            *workflow_level_filters_for(
                tenant_id=tenant_id,
                workflow_ids=workflow_ids,
                time_range=window,
                scope=WHOLE_COHORT,
            )
        )
        .group_by(USAGE.c.workflow_id, usage_day)
    )


def days_per_workflow(pieces: Any) -> Any:
    """The pieces (rollup days, held runs taken back, workflow-level costs) summed per
    (workflow, day), then one row per workflow: its days, attempts, accepted and costs as
    arrays in day order. A 30-day window of 20 workflows comes back as 20 rows instead of ~1,200
    pieces merged in Python (~7 ms of CPU per dashboard, docs/benchmarks.md)."""
    piece = pieces.subquery("piece")
    per_day = (
        select(
            piece.c.workflow_id,
            piece.c.day,
            # the rollup's sums of bigint are NUMERIC; these are whole numbers
            func.sum(piece.c.attempts).cast(BigInteger).label("attempts"),
            func.sum(piece.c.accepted).cast(BigInteger).label("accepted"),
            func.coalesce(func.sum(piece.c.cost), 0).label("cost"),
            func.sum(piece.c.finished).cast(BigInteger).label("finished"),
        )
        .group_by(piece.c.workflow_id, piece.c.day)
        .subquery("per_day")
    )
    in_day_order = [
        func.array_agg(aggregate_order_by(column, per_day.c.day))
        for column in (per_day.c.day, per_day.c.attempts, per_day.c.accepted, per_day.c.cost)
    ]
    return select(
        per_day.c.workflow_id,
        *in_day_order,
        func.sum(per_day.c.finished).cast(BigInteger).label("finished"),
    ).group_by(per_day.c.workflow_id)
