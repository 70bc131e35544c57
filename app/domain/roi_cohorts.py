"""The reference computation of ROI windows from plain runs, usage and revenue.

This is what the workers' SQL (``app.services.roi.windows``) must agree with, window for window:
the tests feed the same rows to both. It is written for clarity, not speed — one pass over runs,
usage and revenue events.

- Each run belongs to the window (workflow, client, UTC day it started); it counts in ``runs``,
  and in ``successes`` when counted ACCEPTED at ``now`` (``app.domain.acceptance``).
- A usage event whose correlation id names a run costs that run's window. Any other usage event
  of a workflow (no correlation id, or an unknown one) is a workflow-level cost of the window
  (its workflow, its own client, the UTC day it occurred) — such a window may hold no runs.
- Revenue is attributed by ``app.domain.attribution`` to the runs counted ACCEPTED at ``now``;
  each allocation adds to its run's window.
- The baseline of a window is the client's own, else the workflow-wide one
  (``app.domain.roi.baseline_in_force``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.domain.acceptance import is_counted_accepted
from app.domain.attribution import AcceptedRun, Attribution, RevenueEvent, attribute
from app.domain.enums import RunStatus
from app.domain.roi import Baseline, WindowTotals, baseline_in_force, cohort_day, window_totals

WindowKey = tuple[uuid.UUID, uuid.UUID | None, date]
"""(workflow id, client id or None, cohort day)."""

BaselineKey = tuple[uuid.UUID, uuid.UUID | None]
"""(workflow id, client id); client None is the workflow-wide baseline."""


@dataclass(frozen=True)
class CohortRun:
    """A run as stored: its dimensions, current status and the workflow's acceptance hold."""

    correlation_id: str
    workflow_id: uuid.UUID
    client_id: uuid.UUID | None
    started_at: datetime
    status: RunStatus = RunStatus.RUNNING
    status_at: datetime | None = None
    ended_at: datetime | None = None
    subject: str | None = None
    hold_hours: int = 0

    def counted_accepted(self, now: datetime) -> bool:
        return is_counted_accepted(self.status, self.status_at, self.hold_hours, now)


@dataclass(frozen=True)
class UsageCost:
    """One usage event's cost and what it is booked to."""

    workflow_id: uuid.UUID
    client_id: uuid.UUID | None
    correlation_id: str | None
    occurred_at: datetime
    cost: Decimal


def accepted_runs(runs: Sequence[CohortRun], now: datetime) -> list[AcceptedRun]:
    """The runs that may claim revenue at ``now``: counted ACCEPTED, with an end time."""
    return [
        AcceptedRun(r.correlation_id, r.workflow_id, r.client_id, r.subject, r.ended_at)
        for r in runs
        if r.counted_accepted(now) and r.ended_at is not None
    ]


@dataclass
class _Sums:
    runs: int = 0
    successes: int = 0
    cost: Decimal = Decimal(0)
    attributed: Decimal = Decimal(0)


def compute_windows(
    *,
    runs: Sequence[CohortRun],
    usage: Sequence[UsageCost],
    events: Sequence[RevenueEvent],
    baselines: Mapping[BaselineKey, Baseline],
    now: datetime,
) -> tuple[dict[WindowKey, WindowTotals], Attribution]:
    """Every window's totals, and the attribution they were computed from."""
    sums: dict[WindowKey, _Sums] = defaultdict(_Sums)
    window_of: dict[str, WindowKey] = {}
    for run in runs:
        key = (run.workflow_id, run.client_id, cohort_day(run.started_at))
        window_of[run.correlation_id] = key
        sums[key].runs += 1
        sums[key].successes += run.counted_accepted(now)
    for event in usage:
        if event.correlation_id is not None and event.correlation_id in window_of:
            key = window_of[event.correlation_id]
        else:
            key = (event.workflow_id, event.client_id, cohort_day(event.occurred_at))
        sums[key].cost += event.cost
    attribution = attribute(events, accepted_runs(runs, now))
    for allocation in attribution.allocations:
        sums[window_of[allocation.correlation_id]].attributed += allocation.amount

    windows: dict[WindowKey, WindowTotals] = {}
    for key, s in sums.items():
        workflow_id, client_id, _ = key
        baseline = baseline_in_force(
            baselines.get((workflow_id, client_id)) if client_id is not None else None,
            baselines.get((workflow_id, None)),
        )
        windows[key] = window_totals(
            runs=s.runs,
            successes=s.successes,
            cost=s.cost,
            attributed_revenue=s.attributed,
            baseline=baseline,
        )
    return windows, attribution
