"""Reasoning-effort economics: what a pricier effort tier costs and whether it buys quality.

A workflow's cohort is split by each run's effort tier (its *dominant* effort: the normalised
`reasoning_effort` carrying the largest LLM cost in the run; see `app.services.costs.model_mix`).
Every tier is compared with the **baseline**: the tier with the lowest cost per attempt among
the tiers that have at least one attempt and a known effort.

- ``cost_multiple = tier cost per attempt / baseline cost per attempt`` (what one attempt costs
  relative to the baseline; ``outcome_cost_multiple`` is the same for cost per outcome);
- ``quality_lift = tier success rate − baseline success rate`` (success rate = accepted /
  finished), with the Newcombe hybrid score interval (:func:`lift_interval`);
- the verdict (:func:`lift_verdict`): ``INSUFFICIENT_DATA`` when either side has fewer than
  ``min_finished`` finished runs; else ``LIFT_PROVEN`` when the interval lies above 0,
  ``DROP_PROVEN`` when it lies below 0, ``NOT_DISTINGUISHABLE`` when it contains 0.

The recommended default (:func:`recommend_default`) is the baseline unless a pricier tier's
lift is proven, in which case it is the proven tier with the lowest cost per outcome.

Money is Decimal; multiples are Decimal ratios at 10 dp; rates, lifts and bounds are floats.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.domain.cost_per_outcome import CohortTotals, CostPerOutcome, cost_per_outcome
from app.domain.money import ratio
from app.domain.statistics import wilson_interval

EFFORT_ORDER: tuple[str, ...] = ("none", "minimal", "low", "medium", "high", "xhigh")
"""The usual tiers from cheapest to dearest; other tiers sort after them, alphabetically."""

DEFAULT_MIN_FINISHED = 30
"""Finished runs each side of a comparison needs before a verdict other than INSUFFICIENT_DATA."""


def normalize_effort(value: str | None) -> str | None:
    """An effort tier as a code: trimmed and case-folded; ``None`` for absent or blank."""
    if value is None:
        return None
    code = value.strip().casefold()
    return code or None


def effort_sort_key(tier: str | None) -> tuple[int, str]:
    """Known tiers in EFFORT_ORDER, then unknown ones alphabetically, then ``None``."""
    if tier is None:
        return (len(EFFORT_ORDER) + 1, "")
    if tier in EFFORT_ORDER:
        return (EFFORT_ORDER.index(tier), "")
    return (len(EFFORT_ORDER), tier)


class LiftVerdict(enum.StrEnum):
    """Whether a tier's success rate differs from the baseline's, at the chosen confidence."""

    LIFT_PROVEN = "LIFT_PROVEN"
    DROP_PROVEN = "DROP_PROVEN"
    NOT_DISTINGUISHABLE = "NOT_DISTINGUISHABLE"
    INSUFFICIENT_DATA = "INSUFFICIENT_DATA"


def lift_interval(
    successes: int, n: int, base_successes: int, base_n: int, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval (his method 10) for ``p − p_base``.

    With ``p = successes/n``, ``q = base_successes/base_n`` and their Wilson intervals
    ``(l1, u1)`` and ``(l2, u2)`` at ``confidence``::

        low  = (p − q) − sqrt((p − l1)² + (u2 − q)²)
        high = (p − q) + sqrt((u1 − p)² + (q − l2)²)

    It stays within [−1, 1] and behaves at 0 % and 100 %, unlike the Wald interval. Newcombe
    (1998), Table II: 56/70 vs 48/80 gives (0.0524, 0.3339). ``None`` when either ``n`` is 0.
    Raises :class:`ValueError` for impossible counts (as :func:`wilson_interval`).
    """
    first = wilson_interval(successes, n, confidence)
    second = wilson_interval(base_successes, base_n, confidence)
    if first is None or second is None:
        return None
    p, q = successes / n, base_successes / base_n
    (l1, u1), (l2, u2) = first, second
    d = p - q
    return (d - math.hypot(p - l1, u2 - q), d + math.hypot(u1 - p, q - l2))


def lift_verdict(
    interval: tuple[float, float] | None, n: int, base_n: int, min_finished: int
) -> LiftVerdict:
    """The verdict on a lift interval (see the module docstring). Too few finished runs on
    either side is INSUFFICIENT_DATA whatever the interval says."""
    if interval is None or min(n, base_n) < max(1, min_finished):
        return LiftVerdict.INSUFFICIENT_DATA
    low, high = interval
    if low > 0:
        return LiftVerdict.LIFT_PROVEN
    if high < 0:
        return LiftVerdict.DROP_PROVEN
    return LiftVerdict.NOT_DISTINGUISHABLE


@dataclass(frozen=True)
class TierTotals:
    """One tier's cohort totals (``tier`` None: runs with no effort on any LLM call)."""

    tier: str | None
    totals: CohortTotals


@dataclass(frozen=True)
class TierComparison:
    """One tier's figures and its comparison with the baseline (``None`` figures: no answer)."""

    tier: str | None
    figures: CostPerOutcome
    finished: int
    is_baseline: bool
    cost_multiple: Decimal | None
    outcome_cost_multiple: Decimal | None
    quality_lift: float | None
    lift_low: float | None
    lift_high: float | None
    verdict: LiftVerdict


@dataclass(frozen=True)
class EffortEconomics:
    """All tiers (in effort order) and the tier to default to (``None``: not enough data)."""

    baseline: str | None
    recommended_default: str | None
    tiers: list[TierComparison]


def _baseline(tiers: Sequence[TierTotals]) -> TierTotals | None:
    candidates = [t for t in tiers if t.tier is not None and t.totals.attempts > 0]
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda t: (
            ratio(t.totals.total_cost, t.totals.attempts) or Decimal(0),
            effort_sort_key(t.tier),
        ),
    )


def _multiple(cost: Decimal, count: int, base_cost: Decimal, base_count: int) -> Decimal | None:
    """``(cost / count) / (base_cost / base_count)`` computed in one division (no rounding of
    the two ratios first); ``None`` when any of the three divisors is 0."""
    if count == 0 or base_count == 0 or base_cost == 0:
        return None
    return ratio(cost * base_count, Decimal(count) * base_cost)


def compare_tiers(
    tiers: Sequence[TierTotals],
    *,
    min_finished: int = DEFAULT_MIN_FINISHED,
    confidence: float = 0.95,
) -> EffortEconomics:
    """Compare every tier with the baseline and pick the default (module docstring).

    The baseline's own row has multiples 1 and lift 0 with verdict NOT_DISTINGUISHABLE (or
    INSUFFICIENT_DATA when it has too few finished runs). The ``None`` tier is listed with its
    figures but never compared (verdict INSUFFICIENT_DATA, no multiples). Raises
    :class:`ValueError` for a negative ``min_finished``.
    """
    if min_finished < 0:
        raise ValueError(f"min_finished must be >= 0, got {min_finished}")
    base = _baseline(tiers)
    base_figures = None if base is None else cost_per_outcome(base.totals)
    rows: list[TierComparison] = []
    for tier in sorted(tiers, key=lambda t: effort_sort_key(t.tier)):
        figures = cost_per_outcome(tier.totals)
        if base is None or base_figures is None or tier.tier is None:
            rows.append(
                TierComparison(
                    tier.tier,
                    figures,
                    tier.totals.finished,
                    False,
                    None,
                    None,
                    None,
                    None,
                    None,
                    LiftVerdict.INSUFFICIENT_DATA,
                )
            )
            continue
        n, base_n = tier.totals.finished, base.totals.finished
        interval = lift_interval(tier.totals.accepted, n, base.totals.accepted, base_n, confidence)
        lift = (
            None
            if figures.success_rate is None or base_figures.success_rate is None
            else figures.success_rate - base_figures.success_rate
        )
        rows.append(
            TierComparison(
                tier=tier.tier,
                figures=figures,
                finished=n,
                is_baseline=tier is base,
                cost_multiple=_multiple(
                    tier.totals.total_cost,
                    tier.totals.attempts,
                    base.totals.total_cost,
                    base.totals.attempts,
                ),
                outcome_cost_multiple=_multiple(
                    tier.totals.total_cost,
                    tier.totals.accepted,
                    base.totals.total_cost,
                    base.totals.accepted,
                ),
                quality_lift=lift,
                lift_low=None if interval is None else interval[0],
                lift_high=None if interval is None else interval[1],
                verdict=lift_verdict(interval, n, base_n, min_finished),
            )
        )
    return EffortEconomics(
        baseline=None if base is None else base.tier,
        recommended_default=recommend_default(rows, base, min_finished),
        tiers=rows,
    )


def recommend_default(
    rows: Sequence[TierComparison], base: TierTotals | None, min_finished: int
) -> str | None:
    """The baseline tier, unless pricier tiers proved a lift: then, of those, the one with the
    lowest cost per outcome (ties: effort order). ``None`` when there is no baseline or it has
    fewer than ``min_finished`` finished runs (nothing is known about the cheap option)."""
    if base is None or base.totals.finished < max(1, min_finished):
        return None
    proven = [
        r
        for r in rows
        if r.verdict is LiftVerdict.LIFT_PROVEN and r.figures.cost_per_outcome is not None
    ]
    if not proven:
        return base.tier
    best = min(
        proven,
        key=lambda r: (r.figures.cost_per_outcome or Decimal(0), effort_sort_key(r.tier)),
    )
    return best.tier
