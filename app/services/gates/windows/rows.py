"""Row mapping: a window's days as `WindowDays`, and its totals as the sums of its days."""

from __future__ import annotations

from typing import NamedTuple

from app.domain.gate_cost import DayTotals
from app.domain.readiness import WindowFigures
from app.services.costs.cohorts import ZERO


class WindowDays(NamedTuple):
    """A workflow's buckets with data, in day order (days without runs or cost omitted), and
    the runs of the window that finished (neither RUNNING nor held)."""

    days: tuple[DayTotals, ...]
    finished: int


def figures_of(window: WindowDays) -> WindowFigures:
    """The window's totals are the sums of its days: the days partition the window, and each
    day counts its runs and costs by the cohort rule of `cohorts.cohort_figures`
    (tests/integration/test_gates_services.py checks the totals against it)."""
    days = window.days
    return WindowFigures(
        accepted=sum(day.accepted for day in days),
        finished=window.finished,
        total_cost=sum((day.cost for day in days), ZERO),
        days=days,
    )
