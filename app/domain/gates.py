"""Autonomy gates: what a workflow must prove before promotion, and the quality check.

A gate belongs to a workflow and a *target level*: what the workflow must show, over the last
``window_days`` days, to be promoted to that level. Each check answers PASS, FAIL or
INSUFFICIENT_DATA (Argo Rollouts / Kayenta style) and checks combine **worst-of**: any FAIL is a
FAIL, else any INSUFFICIENT_DATA is INSUFFICIENT_DATA, else PASS. Not enough data is never a pass.

Bounds convention (the same for every check): the bound compared with the threshold is the
relevant end of the **two-sided** interval at the gate's confidence ``c`` — the lower end for the
acceptance rate, the upper end for cost per outcome and for drift. With ``c = 0.95`` each is
therefore a one-sided 97.5 % bound: conservative on purpose, since a false promotion costs more
than a late one.

This module holds the gate definition (:class:`GateSpec`, validated with contract field names),
the check result (:class:`GateCheck`), :func:`worst_of`, the quality check and the number
formats the one-sentence details use. The cost check is in ``gate_cost``, drift in
``gate_drift``, and the readiness verdict in ``readiness``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from app.domain.statistics import wilson_interval

MAX_AUTONOMY_LEVEL = 3
"""Autonomy levels run 0 (shadow), 1 (every output reviewed), 2 (sampled review), 3 (autonomous);
a gate targets 1..3 and a promotion cannot go past 3."""

MAX_WINDOW_DAYS = 366
"""Longest window a gate may look back over (one year, leap day included)."""

MAX_BUDGET = Decimal(10) ** 10
"""Budgets are stored as NUMERIC(20, 10): below ten billion currency units."""


class CheckStatus(enum.StrEnum):
    """The answer of one check (and, worst-of, of a whole gate)."""

    PASS = "PASS"  # noqa: S105 (a check status, not a password)
    FAIL = "FAIL"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


_SEVERITY = {CheckStatus.PASS: 0, CheckStatus.INSUFFICIENT_DATA: 1, CheckStatus.FAIL: 2}


def worst_of(statuses: Iterable[CheckStatus]) -> CheckStatus:
    """FAIL if any FAIL, else INSUFFICIENT_DATA if any, else PASS.

    An empty iterable is INSUFFICIENT_DATA: nothing was checked, so nothing passed.
    """
    found = list(statuses)
    if not found:
        return CheckStatus.INSUFFICIENT_DATA
    return max(found, key=_SEVERITY.__getitem__)


class InvalidGate(ValueError):
    """A gate definition refused because of one field (named as in the GraphQL contract)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class GateSpec:
    """What a workflow must prove, over the last ``window_days`` days, to reach ``target_level``.

    - ``min_acceptance_rate``: in [0, 1]; the Wilson lower bound of accepted ÷ finished must
      reach it.
    - ``min_sample_size``: >= 1; finished runs for quality, accepted outcomes for cost.
    - ``confidence``: in (0, 1), exclusive; e.g. 0.95.
    - ``max_cost_per_outcome``: >= 0 and < 10¹⁰, currency units (Decimal); the budget finance
      signed off.
    - ``max_drift_pct``: >= 0; the largest tolerated rise of daily cost per outcome, in percent
      of its median per 30 days.
    - ``window_days``: 1..366.
    - ``auto_demote_after``: ``None`` (off) or >= 1: after that many consecutive FAIL
      evaluations at this level the worker demotes the workflow one level.

    Raises :class:`InvalidGate` naming the offending field (camelCase, as in ``GateInput``).
    """

    target_level: int
    min_acceptance_rate: float
    min_sample_size: int
    confidence: float
    max_cost_per_outcome: Decimal
    max_drift_pct: float
    window_days: int
    auto_demote_after: int | None = None

    def __post_init__(self) -> None:
        if not _is_int(self.target_level) or not 1 <= self.target_level <= MAX_AUTONOMY_LEVEL:
            raise InvalidGate(
                "targetLevel",
                f"must be an autonomy level from 1 to {MAX_AUTONOMY_LEVEL} "
                f"(got {self.target_level})",
            )
        rate = self.min_acceptance_rate
        if not _is_finite_number(rate) or not 0 <= rate <= 1:
            raise InvalidGate("minAcceptanceRate", f"must be within [0, 1] (got {rate})")
        if not _is_int(self.min_sample_size) or self.min_sample_size < 1:
            raise InvalidGate("minSampleSize", f"must be >= 1 (got {self.min_sample_size})")
        if not _is_finite_number(self.confidence) or not 0 < self.confidence < 1:
            raise InvalidGate(
                "confidence", f"must be strictly between 0 and 1 (got {self.confidence})"
            )
        budget = self.max_cost_per_outcome
        if (
            not isinstance(budget, Decimal)
            or not budget.is_finite()
            or not 0 <= budget < MAX_BUDGET
        ):
            raise InvalidGate(
                "maxCostPerOutcome", f"must be an amount >= 0 and below 10^10 (got {budget})"
            )
        if not _is_finite_number(self.max_drift_pct) or self.max_drift_pct < 0:
            raise InvalidGate("maxDriftPct", f"must be >= 0 (got {self.max_drift_pct})")
        if not _is_int(self.window_days) or not 1 <= self.window_days <= MAX_WINDOW_DAYS:
            raise InvalidGate(
                "windowDays", f"must be within 1..{MAX_WINDOW_DAYS} (got {self.window_days})"
            )
        after = self.auto_demote_after
        if after is not None and (not _is_int(after) or after < 1):
            raise InvalidGate("autoDemoteAfter", f"must be >= 1, or null for off (got {after})")


@dataclass(frozen=True)
class GateCheck:
    """One check's verdict, with the numbers behind it and one sentence saying why.

    ``observed`` is the point estimate (acceptance rate, cost per outcome, or drift in % per 30
    days); ``bound`` the confidence bound compared with ``threshold``; ``sample_size`` what the
    check counted (finished runs, accepted outcomes, or daily points). Numbers are ``None`` when
    there is nothing to compute them from.
    """

    status: CheckStatus
    observed: float | None
    bound: float | None
    threshold: float | None
    sample_size: int
    detail: str


# --- number formats of the one-sentence details -------------------------------------------


def format_percent(fraction: float) -> str:
    """0.95 → '95%', 0.975 → '97.5%', 0.8882 → '88.82%' (at most 4 significant digits)."""
    return f"{fraction * 100:.4g}%"


def format_amount(amount: Decimal | float) -> str:
    """Money for a sentence: 2 decimals from 1 up, 4 below ('4.20', '0.0042')."""
    value = Decimal(str(amount)) if isinstance(amount, float) else amount
    quantum = Decimal("0.01") if abs(value) >= 1 else Decimal("0.0001")
    return f"{value.quantize(quantum):f}"


def format_drift(pct: float) -> str:
    """A drift in percent per 30 days, signed: '+12.5%', '-3%'."""
    return f"{pct:+.3g}%"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


# --- quality --------------------------------------------------------------------------------


def quality_check(*, accepted: int, finished: int, gate: GateSpec) -> GateCheck:
    """Acceptance rate = ``accepted ÷ finished`` over the window, with its Wilson lower bound.

    ``finished`` counts runs that are neither RUNNING nor inside their acceptance hold;
    ``accepted`` those of them ACCEPTED with the hold passed. INSUFFICIENT_DATA while
    ``finished < min_sample_size``; PASS when the lower end of the two-sided Wilson interval at
    the gate's confidence is >= ``min_acceptance_rate``; FAIL otherwise. ``observed`` and
    ``bound`` are ``None`` without any finished run. Raises :class:`ValueError` unless
    ``0 <= accepted <= finished``.
    """
    if accepted < 0 or accepted > finished:
        raise ValueError(f"need 0 <= accepted <= finished, got {accepted} of {finished}")
    threshold = gate.min_acceptance_rate
    interval = wilson_interval(accepted, finished, gate.confidence)
    observed = accepted / finished if finished else None
    bound = interval[0] if interval is not None else None
    window = f"in the last {plural(gate.window_days, 'day')}"
    if finished < gate.min_sample_size:
        detail = (
            f"Acceptance rate is unproven: {plural(finished, 'finished run')} {window}, "
            f"and the gate needs at least {gate.min_sample_size}."
        )
        return GateCheck(
            CheckStatus.INSUFFICIENT_DATA, observed, bound, threshold, finished, detail
        )
    assert observed is not None and bound is not None  # finished >= min_sample_size >= 1
    head = (
        f"Acceptance rate {format_percent(observed)} ({accepted} of "
        f"{plural(finished, 'finished run')} {window}): its {format_percent(gate.confidence)} "
        f"lower bound {format_percent(bound)}"
    )
    if bound >= threshold:
        detail = f"{head} clears the minimum {format_percent(threshold)}."
        return GateCheck(CheckStatus.PASS, observed, bound, threshold, finished, detail)
    detail = f"{head} is below the minimum {format_percent(threshold)}."
    return GateCheck(CheckStatus.FAIL, observed, bound, threshold, finished, detail)
