"""The drift check of an autonomy gate: is daily cost per outcome trending up?

The series is one point per day of the window *with at least one accepted outcome*: the day's
cost per outcome (its cohort's cost ÷ its accepted outcomes, see ``gate_cost.DayTotals``), at
the day's index (gaps allowed). Days without an outcome have no cost per outcome and are left
out of the series (their spend still counts in the cost check).

- **Trend test**: Mann–Kendall on the values in time order (``statistics.mann_kendall``, ties
  corrected). A rise is *significant* when S > 0 and the two-sided p-value is below
  ``1 − confidence``.
- **Magnitude**: Sen's slope — the median of the pairwise slopes (y_j − y_i) ÷ (x_j − x_i) —
  with Sen's confidence interval from the Mann–Kendall variance (Gilbert 1987, §16.5; the rank
  rule of R's ``trend::sens.slope``): with N pairwise slopes sorted ascending and
  ``C = z_{(1+c)/2} · sqrt(Var S)``, the limits are the ``round((N − C)/2)``-th and the
  ``round((N + C)/2 + 1)``-th slopes (1-based, clamped to 1..N).
- **Units**: slopes are expressed as percent of the series' median per 30 days:
  ``slope × 30 ÷ median × 100``.

Decision: PASS only when the *upper* confidence limit is <= ``maxDriftPct`` (a few noisy points
never prove "no drift"); FAIL when the rise is significant and Sen's slope itself is above the
limit; otherwise INSUFFICIENT_DATA (inconclusive). Fewer than ``MIN_DRIFT_POINTS`` points, or a
median <= 0 (no percent can be taken of it), is INSUFFICIENT_DATA as well.
"""

from __future__ import annotations

import math
import statistics as pystats
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from app.domain.gate_cost import DayTotals
from app.domain.gates import (
    CheckStatus,
    GateCheck,
    GateSpec,
    format_amount,
    format_drift,
    format_percent,
    plural,
)
from app.domain.money import ratio
from app.domain.statistics import Number, mann_kendall

MIN_DRIFT_POINTS = 10
"""Fewer daily points with outcomes than this cannot show a trend: INSUFFICIENT_DATA."""

DRIFT_HORIZON_DAYS = 30
"""Drift is reported as percent of the median per this many days."""


@dataclass(frozen=True)
class SenInterval:
    """Sen's slope and its confidence limits, in value units per day."""

    slope: float
    low: float
    high: float


def sen_slope_interval(points: Sequence[tuple[int, Number]], confidence: float) -> SenInterval:
    """Sen's slope of ``(day, value)`` points (days strictly increasing) and its interval.

    See the module docstring for the rank rule. With ``Var S = 0`` (all values tied) the
    interval collapses onto the median slope. Raises :class:`ValueError` for fewer than two
    points, days not strictly increasing, or ``confidence`` outside (0, 1).
    """
    if len(points) < 2:
        raise ValueError(f"need at least 2 points, got {len(points)}")
    if any(b[0] <= a[0] for a, b in pairwise(points)):
        raise ValueError("days must be strictly increasing")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    xs = [x for x, _ in points]
    ys = [float(y) for _, y in points]
    n = len(points)
    slopes = sorted((ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(n) for j in range(i + 1, n))
    count = len(slopes)
    z = pystats.NormalDist().inv_cdf((1 + confidence) / 2)
    c = z * math.sqrt(mann_kendall([y for _, y in points]).var_s)
    low_rank = min(max(round((count - c) / 2), 1), count)
    high_rank = min(max(round((count + c) / 2 + 1), 1), count)
    return SenInterval(
        slope=float(pystats.median(slopes)),
        low=slopes[low_rank - 1],
        high=slopes[high_rank - 1],
    )


def daily_costs_per_outcome(days: Sequence[DayTotals]) -> list[tuple[int, Decimal]]:
    """``(day, cost ÷ accepted)`` for each day with an accepted outcome, in day order."""
    points: list[tuple[int, Decimal]] = []
    for d in sorted(days, key=lambda d: d.day):
        value = ratio(d.cost, d.accepted)
        if value is not None:
            points.append((d.day, value))
    return points


def drift_check(*, days: Sequence[DayTotals], gate: GateSpec) -> GateCheck:
    """Trend of daily cost per outcome over the window against ``gate.max_drift_pct``.

    ``observed`` is Sen's slope and ``bound`` its upper confidence limit, both in percent of the
    median per 30 days; ``sample_size`` the number of daily points. Days must be distinct.
    """
    points = daily_costs_per_outcome(days)
    n = len(points)
    limit = gate.max_drift_pct
    if n < MIN_DRIFT_POINTS:
        short = (
            f" (the window has only {plural(gate.window_days, 'day')})"
            if gate.window_days < MIN_DRIFT_POINTS
            else ""
        )
        detail = (
            f"Cost drift is unproven: {plural(n, 'day')} with accepted outcomes, and the trend "
            f"test needs at least {MIN_DRIFT_POINTS}{short}."
        )
        return GateCheck(CheckStatus.INSUFFICIENT_DATA, None, None, limit, n, detail)
    values = [v for _, v in points]
    median = pystats.median(values)
    if median <= 0:
        detail = (
            f"Cost drift cannot be expressed in percent: the median daily cost per outcome "
            f"is {format_amount(median)}."
        )
        return GateCheck(CheckStatus.INSUFFICIENT_DATA, None, None, limit, n, detail)
    interval = sen_slope_interval(points, gate.confidence)
    scale = DRIFT_HORIZON_DAYS * 100 / float(median)
    observed, bound = interval.slope * scale, interval.high * scale
    trend = mann_kendall(values)
    significant_rise = trend.s > 0 and trend.p_two_sided < 1 - gate.confidence
    head = (
        f"Daily cost per outcome drifts {format_drift(observed)} per 30 days (Sen's slope over "
        f"{n} days, {format_percent(gate.confidence)} upper limit {format_drift(bound)}"
    )
    if bound <= limit:
        detail = f"{head}), within the limit {format_drift(limit)}."
        return GateCheck(CheckStatus.PASS, observed, bound, limit, n, detail)
    p_value = f"Mann-Kendall p = {trend.p_two_sided:.3g}"
    if significant_rise and observed > limit:
        detail = f"{head}): a significant rise ({p_value}) above the limit {format_drift(limit)}."
        return GateCheck(CheckStatus.FAIL, observed, bound, limit, n, detail)
    detail = (
        f"{head}): inconclusive, since the upper limit exceeds {format_drift(limit)} but the "
        f"rise is {'not above the limit' if significant_rise else 'not significant'} "
        f"({p_value})."
    )
    return GateCheck(CheckStatus.INSUFFICIENT_DATA, observed, bound, limit, n, detail)
