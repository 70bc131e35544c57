"""The cost check of an autonomy gate: cost per accepted outcome, bounded by a day bootstrap.

The window [now − windowDays, now) is cut into consecutive 24-hour buckets counted from its
start ("days", index 0 first). A day's figures are those of the cohort rule: the runs *started*
in it (every usage of theirs, failures included) plus the workflow-level costs booked in it, and
the accepted outcomes among those runs. Days partition the window, so the days' sums are the
window's totals and ``observed = Σ cost ÷ Σ accepted`` is exactly ``Workflow.costPerOutcome``
over the window.

**Upper bound: a percentile bootstrap over days.** Runs of one day share prompts, traffic and
incidents, so days — not runs — are resampled: draw as many days as there are days with data,
with replacement; the resample's statistic is its ratio of sums (a resample without any accepted
outcome is +∞: spend with nothing to show); the bound is the nearest-rank ``(1 + c) / 2``
quantile of the ``BOOTSTRAP_RESAMPLES`` statistics (the upper end of the two-sided percentile
interval at confidence ``c``), and never less than the observed ratio. The random draws come from
SplitMix64 with the fixed seed ``BOOTSTRAP_SEED``, so the same data always gives the same bound.
Sums are exact integers of 10⁻¹⁰ currency units; only the final quotient is rounded (10 dp).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from app.domain.gates import (
    CheckStatus,
    GateCheck,
    GateSpec,
    format_amount,
    format_percent,
    plural,
)
from app.domain.money import quantize_money, ratio

MIN_COST_DAYS = 7
"""Fewer days with data than this cannot bound cost: INSUFFICIENT_DATA."""

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261122
_MASK64 = (1 << 64) - 1
_GOLDEN, _MIX1, _MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


@dataclass(frozen=True)
class DayTotals:
    """One 24-hour bucket of a gate's window (``day`` 0 starts at the window's start).

    ``attempts``: runs started in it; ``accepted``: of those, ACCEPTED with the hold passed;
    ``cost``: their fully loaded cost plus the workflow-level costs booked in it (Decimal).
    """

    day: int
    attempts: int
    accepted: int
    cost: Decimal

    @property
    def has_data(self) -> bool:
        """A run started, or money was spent, in this bucket."""
        return self.attempts > 0 or self.cost != 0


class SplitMix64:
    """Vigna's SplitMix64 generator: a tiny, well-tested 64-bit PRNG with an explicit seed.

    Used instead of :mod:`random` so the domain stays free of hidden global state.
    """

    def __init__(self, seed: int) -> None:
        self.state = seed & _MASK64

    def next(self) -> int:
        self.state = (self.state + _GOLDEN) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
        z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """An index in [0, n); the modulo bias is below n / 2⁶⁴ (negligible for day counts)."""
        if n < 1:
            raise ValueError(f"need n >= 1, got {n}")
        return self.next() % n


def _units(cost: Decimal) -> int:
    """A cost as an exact integer count of 10⁻¹⁰ currency units."""
    return int(quantize_money(cost).scaleb(10))


def ratio_upper_bound(
    days: Sequence[DayTotals],
    *,
    confidence: float,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> Decimal | None:
    """Upper end of the two-sided day-bootstrap percentile interval of Σ cost ÷ Σ accepted.

    Resamples only the days with data (see :attr:`DayTotals.has_data`). ``None`` when the bound
    is unbounded (+∞: too many resamples hold no accepted outcome) or there is no day with
    data. Currency units, 10 dp. Raises :class:`ValueError` unless ``0 < confidence < 1`` and
    ``resamples >= 1``.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    if resamples < 1:
        raise ValueError(f"need resamples >= 1, got {resamples}")
    pairs = [(_units(d.cost), d.accepted) for d in days if d.has_data]
    n = len(pairs)
    if n == 0:
        return None
    day_units = [u for u, _ in pairs]
    day_accepted = [a for _, a in pairs]
    state = seed & _MASK64
    statistics: list[tuple[int, Fraction, int, int]] = []
    for _ in range(resamples):
        units = accepted = 0
        for _ in range(n):
            # SplitMix64(seed).below(n), inlined: this loop is the whole cost of the check.
            state = (state + _GOLDEN) & _MASK64
            z = ((state ^ (state >> 30)) * _MIX1) & _MASK64
            z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
            i = (z ^ (z >> 31)) % n
            units += day_units[i]
            accepted += day_accepted[i]
        if accepted == 0:
            statistics.append((1, Fraction(0), units, accepted))  # +∞ sorts last
        else:
            statistics.append((0, Fraction(units, accepted), units, accepted))
    statistics.sort(key=lambda s: (s[0], s[1]))
    rank = math.ceil((1 + confidence) / 2 * resamples)  # nearest rank, 1-based
    infinite, _, units, accepted = statistics[min(rank, resamples) - 1]
    if infinite:
        return None
    return ratio(Decimal(units).scaleb(-10), accepted)


def cost_check(
    *,
    total_cost: Decimal,
    accepted: int,
    days: Sequence[DayTotals],
    gate: GateSpec,
    seed: int = BOOTSTRAP_SEED,
) -> GateCheck:
    """Cost per accepted outcome over the window against ``gate.max_cost_per_outcome``.

    ``total_cost`` and ``accepted`` are the window's cohort totals (equal to the days' sums).
    INSUFFICIENT_DATA with fewer than ``min_sample_size`` accepted outcomes, fewer than
    ``MIN_COST_DAYS`` days with data, or an unbounded bootstrap; PASS when the upper bound is
    <= the budget; FAIL otherwise. Comparisons are exact (Decimal); the figures returned are
    floats for display. ``sample_size`` is the number of accepted outcomes.
    """
    budget = gate.max_cost_per_outcome
    observed = ratio(total_cost, accepted)
    data_days = sum(1 for d in days if d.has_data)
    threshold = float(budget)
    shown = float(observed) if observed is not None else None
    if accepted < gate.min_sample_size or data_days < MIN_COST_DAYS:
        detail = (
            f"Cost per outcome is unproven: {plural(accepted, 'accepted outcome')} over "
            f"{plural(data_days, 'day')} with data, and the gate needs at least "
            f"{gate.min_sample_size} outcomes over at least {MIN_COST_DAYS} days."
        )
        return GateCheck(CheckStatus.INSUFFICIENT_DATA, shown, None, threshold, accepted, detail)
    assert observed is not None  # accepted >= min_sample_size >= 1
    upper = ratio_upper_bound(days, confidence=gate.confidence, seed=seed)
    if upper is None:
        detail = (
            f"Cost per outcome {format_amount(observed)} cannot be bounded: too many of the "
            f"{data_days} days with data have no accepted outcome."
        )
        return GateCheck(CheckStatus.INSUFFICIENT_DATA, shown, None, threshold, accepted, detail)
    upper = max(upper, observed)
    head = (
        f"Cost per outcome {format_amount(observed)} ({plural(accepted, 'accepted outcome')} "
        f"over {data_days} days): its {format_percent(gate.confidence)} upper bound "
        f"{format_amount(upper)}"
    )
    if upper <= budget:
        detail = f"{head} is within the budget {format_amount(budget)}."
        return GateCheck(CheckStatus.PASS, shown, float(upper), threshold, accepted, detail)
    detail = f"{head} exceeds the budget {format_amount(budget)}."
    return GateCheck(CheckStatus.FAIL, shown, float(upper), threshold, accepted, detail)
