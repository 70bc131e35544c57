"""The cost check of an autonomy gate: cost per accepted outcome, bounded by a day bootstrap.

The window — the windowDays complete UTC days before today — is cut into its UTC calendar days
("days", index 0 first). A day's figures are those of the cohort rule: the runs *started*
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

import bisect
import functools
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
    """One UTC day of a gate's window (``day`` 0 is the window's first day).

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
    get_units = [u for u, _ in pairs].__getitem__
    get_accepted = [a for _, a in pairs].__getitem__
    finite: list[tuple[float, int, int]] = []
    for draw in _draws(seed & _MASK64, n, resamples):
        accepted = sum(map(get_accepted, draw))
        if accepted != 0:  # a resample without outcomes is +∞: it sorts after every ratio
            units = sum(map(get_units, draw))
            # int / int is correctly rounded, so this float never orders two ratios the wrong
            # way round; only ratios with the same float need an exact comparison (below).
            finite.append((units / accepted, units, accepted))
    rank = math.ceil((1 + confidence) / 2 * resamples)  # nearest rank, 1-based
    rank = min(rank, resamples)
    if rank > len(finite):
        return None
    finite.sort(key=lambda s: s[0])
    key = finite[rank - 1][0]
    below = bisect.bisect_left(finite, key, key=lambda s: s[0])
    tied = finite[below : bisect.bisect_right(finite, key, key=lambda s: s[0])]
    tied.sort(key=lambda s: Fraction(s[1], s[2]))  # stable, like the exact sort of all
    _, units, accepted = tied[rank - 1 - below]
    return ratio(Decimal(units).scaleb(-10), accepted)


_CACHED_DRAWS = 800_000
"""Index tables up to this many draws (resamples × days: 366 days at 2,000) are kept, 8 at most
(under 50 MiB in the worst case; a 30-day table is about 0.5 MiB)."""


def _draws(seed: int, n: int, resamples: int) -> Sequence[Sequence[int]]:
    """The day indices of every resample: ``SplitMix64(seed).below(n)``, ``n`` per resample.

    They depend only on (seed, n, resamples), not on the data, so a worker evaluating many
    workflows whose windows hold the same number of days with data draws them once.
    """
    if n * resamples <= _CACHED_DRAWS:
        return _cached_draws(seed, n, resamples)
    return _draw(seed, n, resamples)


def _draw(seed: int, n: int, resamples: int) -> list[list[int]]:
    state = seed
    draws: list[list[int]] = []
    for _ in range(resamples):
        row = []
        for _ in range(n):
            # SplitMix64(seed).below(n), inlined: this loop is the cost of a cold evaluation.
            state = (state + _GOLDEN) & _MASK64
            z = ((state ^ (state >> 30)) * _MIX1) & _MASK64
            z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
            row.append((z ^ (z >> 31)) % n)
        draws.append(row)
    return draws


@functools.lru_cache(maxsize=8)
def _cached_draws(seed: int, n: int, resamples: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(row) for row in _draw(seed, n, resamples))


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
