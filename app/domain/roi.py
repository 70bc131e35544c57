"""ROI of day-cohorts of runs: window dates and status, baselines, lift and ROI.

A **window** is one (workflow, client, day) cohort: the runs of the workflow and client *started*
that UTC day. Its figures (docs/numbers.md, "ROI windows"):

- ``runs``: runs in the cohort, every status; ``successes``: those counted ACCEPTED (hold passed).
- ``cost``: fully loaded, by the cohort rule — all usage of the cohort's runs plus the
  workflow-level costs of that client booked that day.
- ``attributed_revenue``: what the cohort's runs claimed (``app.domain.attribution``).
- ``baseline_revenue = successes × revenue_per_success`` of the baseline in force (the client's
  own baseline, else the workflow-wide one; 0 without any baseline: lift is then measured
  against earning nothing).
- ``lift = attributed_revenue − baseline_revenue``; ``roi = lift ÷ cost`` (a float, None when
  cost is 0) — equivalently lift per success ÷ cost per success.
- ``cost_per_success = cost ÷ successes`` (10 dp, None without successes).
- ``cost_vs_labor = cost per success ÷ human cost per task`` = ``cost ÷ labor_cost`` where
  ``labor_cost = successes × human_cost_per_task``; None when no human cost is known or the
  labor cost is 0. Below 1 the agent is cheaper per outcome than the manual process.

A window is ``OPEN`` until ``window_end = day start + 1 day + 30 days`` (the last run of the day
may claim revenue until then) and ``FINAL`` from that instant on. Money is Decimal; datetimes are
timezone-aware UTC; ``now`` is always an argument.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from app.domain.attribution import ATTRIBUTION_WINDOW
from app.domain.money import ratio, share, sum_money

COHORT_LENGTH = timedelta(days=1)
ZERO = Decimal(0)


class WindowStatus(enum.StrEnum):
    OPEN = "OPEN"
    FINAL = "FINAL"


def cohort_day(started_at: datetime) -> date:
    """The UTC day a run started on (its cohort). Raises ValueError for a naive datetime."""
    if started_at.tzinfo is None or started_at.utcoffset() is None:
        raise ValueError("cohort_day needs a timezone-aware datetime")
    return started_at.astimezone(UTC).date()


def window_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def window_end(day: date) -> datetime:
    """``window_start(day) + 1 day + 30 days``: when the day's window becomes FINAL."""
    return window_start(day) + COHORT_LENGTH + ATTRIBUTION_WINDOW


def window_status(day: date, now: datetime) -> WindowStatus:
    """FINAL once ``now >= window_end(day)``, OPEN before."""
    return WindowStatus.FINAL if now >= window_end(day) else WindowStatus.OPEN


def days_in_range(start: datetime, end: datetime) -> tuple[date, date] | None:
    """The first and last cohort day whose ``window_start`` lies in ``[start, end)``; None if
    the range holds no UTC midnight."""
    first = cohort_day(start)
    if window_start(first) < start:
        first += COHORT_LENGTH
    last = cohort_day(end)
    if window_start(last) >= end:
        last -= COHORT_LENGTH
    return (first, last) if first <= last else None


@dataclass(frozen=True)
class Baseline:
    """What the manual process earned per comparable outcome and what a task cost in human time
    (currency units); ``human_cost_per_task`` None when unknown."""

    revenue_per_success: Decimal
    human_cost_per_task: Decimal | None = None


def baseline_in_force(client: Baseline | None, workflow_wide: Baseline | None) -> Baseline | None:
    """A client's own baseline overrides the workflow-wide one."""
    return client if client is not None else workflow_wide


@dataclass(frozen=True)
class WindowTotals:
    """The additive figures of a window (or of several windows summed)."""

    runs: int
    successes: int
    cost: Decimal
    attributed_revenue: Decimal
    baseline_revenue: Decimal
    labor_cost: Decimal | None

    def __post_init__(self) -> None:
        if not 0 <= self.successes <= self.runs:
            raise ValueError(f"need 0 <= successes <= runs, got {self!r}")


def window_totals(
    *,
    runs: int,
    successes: int,
    cost: Decimal,
    attributed_revenue: Decimal,
    baseline: Baseline | None,
) -> WindowTotals:
    """A window's totals under ``baseline`` (None: baseline revenue 0, labor cost unknown)."""
    return WindowTotals(
        runs=runs,
        successes=successes,
        cost=cost,
        attributed_revenue=attributed_revenue,
        baseline_revenue=successes * baseline.revenue_per_success if baseline else ZERO,
        labor_cost=(
            successes * baseline.human_cost_per_task
            if baseline is not None and baseline.human_cost_per_task is not None
            else None
        ),
    )


def add_totals(windows: Iterable[WindowTotals]) -> WindowTotals:
    """The sum of several windows. ``labor_cost`` is None as soon as one window's is unknown
    (a partial comparison with human labor would mislead). No windows: all zero."""
    items = list(windows)
    labor = [w.labor_cost for w in items]
    return WindowTotals(
        runs=sum(w.runs for w in items),
        successes=sum(w.successes for w in items),
        cost=sum_money(w.cost for w in items),
        attributed_revenue=sum_money(w.attributed_revenue for w in items),
        baseline_revenue=sum_money(w.baseline_revenue for w in items),
        labor_cost=None if any(x is None for x in labor) else sum_money(x for x in labor if x),
    )


@dataclass(frozen=True)
class RoiFigures:
    """The derived figures of RoiWindow / RoiSummary."""

    cost: Decimal
    successes: int
    cost_per_success: Decimal | None
    attributed_revenue: Decimal
    baseline_revenue: Decimal
    lift: Decimal
    roi: float | None
    cost_vs_labor: float | None


def roi_figures(totals: WindowTotals) -> RoiFigures:
    """Lift, ROI, cost per success and cost vs labor of ``totals`` (see the module docstring).

    Example: 10 successes costing 42.00 (4.20 each) that claimed 680.00 against a baseline of
    20.00 per success: baseline 200.00, lift 480.00, roi = 480 / 42 ≈ 11.43.
    """
    lift = totals.attributed_revenue - totals.baseline_revenue
    return RoiFigures(
        cost=totals.cost,
        successes=totals.successes,
        cost_per_success=ratio(totals.cost, totals.successes),
        attributed_revenue=totals.attributed_revenue,
        baseline_revenue=totals.baseline_revenue,
        lift=lift,
        roi=share(lift, totals.cost),
        cost_vs_labor=None if totals.labor_cost is None else share(totals.cost, totals.labor_cost),
    )


def range_complete(*, last_day: date | None, now: datetime, any_open: bool) -> bool:
    """A range's ROI is complete when its last cohort day's window is FINAL by the clock and no
    stored window of the range is still OPEN (e.g. waiting for its recompute). A range holding
    no cohort day (``last_day`` None) is trivially complete."""
    if last_day is None:
        return True
    return window_status(last_day, now) is WindowStatus.FINAL and not any_open
