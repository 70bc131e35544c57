"""Slices of a cohort: which group a run, or a workflow-level cost, belongs to.

A grouping pairs an expression over `runs` (for cohort runs) with one over `usage_events` (for
workflow-level costs, which have no run). Dimensions follow the scope rule: a workflow-level
cost belongs to the slice of its own client or team, and to no campaign, channel, variant or
custom run dimension slice. Time buckets put a run in the bucket it started in and a cost in the
one it was booked in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Integer, Numeric, String, cast, func, literal

from app.services.costs.scope import RUNS, USAGE

NONE_VALUE = "(none)"
"""The slice of runs (and workflow-level costs) without a value for the dimension."""


@dataclass(frozen=True)
class Grouping:
    """How rows fall into slices: an expression over `runs`, and one over `usage_events` for
    workflow-level costs (None: those costs belong to no slice of this kind)."""

    run_key: Any
    usage_key: Any | None


WHOLE = Grouping(literal(0), literal(0))
"""No slicing: one slice (key 0) per workflow."""

_RUN_TAGS = {"CAMPAIGN": RUNS.c.campaign, "CHANNEL": RUNS.c.channel, "VARIANT": RUNS.c.variant}
CUSTOM_PREFIX = "CUSTOM:"
"""A tenant's own run dimension as a slice dimension: "CUSTOM:<key>" (e.g. "CUSTOM:segment")."""


def custom_dimension(key: str) -> str:
    """The slice dimension of the run dimension `key`."""
    return CUSTOM_PREFIX + key


def split_dimension(dimension: str) -> tuple[str, str | None]:
    """("CUSTOM", key) for a custom slice dimension; (dimension, None) for the others."""
    if dimension.startswith(CUSTOM_PREFIX):
        return "CUSTOM", dimension[len(CUSTOM_PREFIX) :]
    return dimension, None


def by_dimension(dimension: str) -> Grouping:
    """Slices by CAMPAIGN, CHANNEL, VARIANT (run tags), CLIENT (id as text), TEAM or a run
    dimension of the tenant ("CUSTOM:<key>", a run tag too: workflow-level costs belong to no
    slice); a missing value is the slice "(none)". Raises KeyError for any other dimension."""
    if dimension.startswith(CUSTOM_PREFIX):
        key = dimension[len(CUSTOM_PREFIX) :]
        return Grouping(func.coalesce(RUNS.c.dimensions[key].astext, NONE_VALUE), None)
    if dimension in _RUN_TAGS:
        return Grouping(func.coalesce(_RUN_TAGS[dimension], NONE_VALUE), None)
    if dimension == "CLIENT":
        return Grouping(
            func.coalesce(cast(RUNS.c.client_id, String), NONE_VALUE),
            func.coalesce(cast(USAGE.c.client_id, String), NONE_VALUE),
        )
    if dimension == "TEAM":
        return Grouping(
            func.coalesce(RUNS.c.team, NONE_VALUE), func.coalesce(USAGE.c.team, NONE_VALUE)
        )
    raise KeyError(dimension)


def by_bucket(start: datetime, step: timedelta) -> Grouping:
    """Slices by time bucket: floor((t - start) / step), t = a run's start or a cost's booking.

    `app.domain.ladder.bucket_index` is the same arithmetic (EXTRACT(epoch …) is exact NUMERIC).
    """
    seconds = Decimal(step.total_seconds())

    def index(column: Any) -> Any:
        origin = cast(literal(start), DateTime(timezone=True))
        elapsed = cast(func.extract("epoch", column - origin), Numeric)
        return cast(func.floor(elapsed / literal(seconds, Numeric)), Integer)

    return Grouping(index(RUNS.c.started_at), index(USAGE.c.occurred_at))
