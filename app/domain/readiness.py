"""Readiness for the next autonomy level: three checks, worst-of, and the reasons why not.

A workflow at level L asks the gate for level L + 1. It is **ready** only when the quality,
cost and drift checks all PASS; every check that FAILs or is INSUFFICIENT_DATA contributes its
one-sentence detail to ``blockers``. With no gate defined for L + 1 the workflow is not ready,
``target_level`` is ``None`` and the single blocker is "no gate defined for level L+1".

Auto-demotion: a gate may say "demote after K consecutive FAIL evaluations"; only FAIL counts
(INSUFFICIENT_DATA breaks the streak: missing data is no evidence of a regression).

The three checks are a pure function of the gate and the window's figures (the bootstrap is
seeded), and a window is whole UTC days, so the same figures come back all day: the checks of
the last ``CHECKS_CACHE_SIZE`` distinct (gate, figures) pairs are kept. The key holds every
Decimal's exact digits and exponent, so only identical inputs share a result.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from app.domain.gate_cost import DayTotals, cost_check
from app.domain.gate_drift import drift_check
from app.domain.gates import CheckStatus, GateCheck, GateSpec, quality_check, worst_of


class AutonomyEventKind(enum.StrEnum):
    """What happened to a workflow's autonomy level (one row of its audit trail)."""

    PROMOTED = "PROMOTED"
    REFUSED = "REFUSED"  # a promotion the gate did not allow
    DEMOTED = "DEMOTED"
    AUTO_DEMOTED = "AUTO_DEMOTED"  # by the worker, after K consecutive FAIL evaluations


@dataclass(frozen=True)
class WindowFigures:
    """A workflow's cohort over a gate's window: totals, and the window's UTC days.

    ``accepted``/``finished`` as in the cohort rule; ``total_cost`` in currency units. The
    buckets may omit days without data; their sums equal the totals.
    """

    accepted: int
    finished: int
    total_cost: Decimal
    days: tuple[DayTotals, ...]


@dataclass(frozen=True)
class Readiness:
    """The answer to "may this workflow go from ``current_level`` to ``target_level``?"."""

    workflow_key: str
    current_level: int
    target_level: int | None
    ready: bool
    quality: GateCheck
    cost: GateCheck
    drift: GateCheck
    blockers: tuple[str, ...]
    evaluated_at: datetime

    @property
    def status(self) -> CheckStatus:
        """Worst-of the three checks (INSUFFICIENT_DATA when there is no gate)."""
        if self.target_level is None:
            return CheckStatus.INSUFFICIENT_DATA
        return worst_of((self.quality.status, self.cost.status, self.drift.status))


def evaluate_gate(
    *,
    workflow_key: str,
    current_level: int,
    gate: GateSpec,
    window: WindowFigures,
    evaluated_at: datetime,
) -> Readiness:
    """Run the three checks of ``gate`` on ``window`` and combine them.

    ``ready`` is true only when all three PASS. ``blockers`` holds, in the order quality, cost,
    drift, the detail of every check that did not PASS.
    """
    checks = _checks(_exact_key(gate, window), gate, window)
    quality, cost, drift = checks
    return Readiness(
        workflow_key=workflow_key,
        current_level=current_level,
        target_level=gate.target_level,
        ready=all(check.status is CheckStatus.PASS for check in checks),
        quality=quality,
        cost=cost,
        drift=drift,
        blockers=tuple(c.detail for c in checks if c.status is not CheckStatus.PASS),
        evaluated_at=evaluated_at,
    )


CHECKS_CACHE_SIZE = 512
"""Distinct (gate, window figures) pairs whose checks are kept (a dashboard asks one per
workflow; a 366-day window's key holds 366 day tuples)."""


def _exact_key(gate: GateSpec, window: WindowFigures) -> tuple[object, ...]:
    """What tells two inputs apart beyond `==`: the digits and exponent of every Decimal
    (Decimal("1.0") == Decimal("1.00"))."""
    return (
        gate.max_cost_per_outcome.as_tuple(),
        window.total_cost.as_tuple(),
        tuple(day.cost.as_tuple() for day in window.days),
    )


@lru_cache(maxsize=CHECKS_CACHE_SIZE)
def _checks(
    exact: tuple[object, ...], gate: GateSpec, window: WindowFigures
) -> tuple[GateCheck, GateCheck, GateCheck]:
    """(quality, cost, drift) of ``gate`` on ``window``; ``exact`` only keys the cache."""
    del exact
    quality = quality_check(accepted=window.accepted, finished=window.finished, gate=gate)
    cost = cost_check(
        total_cost=window.total_cost, accepted=window.accepted, days=window.days, gate=gate
    )
    drift = drift_check(days=window.days, gate=gate)
    return quality, cost, drift


def no_gate_blocker(level: int) -> str:
    return f"no gate defined for level {level}"


def no_gate_readiness(
    *, workflow_key: str, current_level: int, evaluated_at: datetime
) -> Readiness:
    """Not ready: nothing defines what level ``current_level + 1`` requires."""
    level = current_level + 1
    unchecked = GateCheck(
        status=CheckStatus.INSUFFICIENT_DATA,
        observed=None,
        bound=None,
        threshold=None,
        sample_size=0,
        detail=f"Not checked: no gate is defined for level {level}.",
    )
    return Readiness(
        workflow_key=workflow_key,
        current_level=current_level,
        target_level=None,
        ready=False,
        quality=unchecked,
        cost=unchecked,
        drift=unchecked,
        blockers=(no_gate_blocker(level),),
        evaluated_at=evaluated_at,
    )


def should_auto_demote(recent: Sequence[CheckStatus], after: int | None) -> bool:
    """True when auto-demotion is on (``after`` >= 1) and the ``after`` most recent
    evaluations (``recent``, newest first, all at the current level) are all FAIL."""
    if after is None or after < 1 or len(recent) < after:
        return False
    return all(status is CheckStatus.FAIL for status in recent[:after])
