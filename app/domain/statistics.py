"""Statistics for autonomy gates: a confidence bound on a rate and a trend test on a series.

Results are floats: these are dimensionless rates, scores and probabilities, not money.

- :func:`wilson_interval` — the Wilson score interval for a binomial proportion (quality gate:
  "is the acceptance rate above target with confidence?").
- :func:`mann_kendall` — the Mann-Kendall trend test with tie correction (cost drift: "is cost
  per outcome trending up?").
- :func:`theil_sen_slope` — the Theil-Sen robust slope (how fast it drifts, per step).
"""

from __future__ import annotations

import math
import statistics as pystats
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import NamedTuple

Number = float | Decimal


def _z_two_sided(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be within (0, 1), got {confidence}")
    return pystats.NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Two-sided Wilson score interval ``(low, high)`` for ``successes`` out of ``n`` trials.

    With ``p = successes / n`` and ``z`` the two-sided normal quantile of ``confidence``
    (from :class:`statistics.NormalDist`)::

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z * sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)

    Bounds are clamped to [0, 1]; ``low`` is exactly 0.0 when ``successes == 0`` and ``high``
    exactly 1.0 when ``successes == n``. ``None`` when ``n == 0`` (no data, no bound). Raises
    :class:`ValueError` unless ``0 <= successes <= n`` and ``0 < confidence < 1``.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got successes={successes}, n={n}")
    z = _z_two_sided(confidence)
    if n == 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


class MannKendall(NamedTuple):
    """Result of :func:`mann_kendall`; unpacks as ``(s, var_s, z, p_two_sided)``."""

    s: int
    var_s: float
    z: float
    p_two_sided: float


def _direction(earlier: Number, later: Number) -> int:
    """sign(later - earlier), comparing without subtracting (floats and Decimals may mix)."""
    return int(later > earlier) - int(later < earlier)


def mann_kendall(values: Sequence[Number]) -> MannKendall:
    """Mann-Kendall test for a monotonic trend in ``values`` (in time order).

    ``S = sum_{i<j} sign(x_j - x_i)``; with tie groups of sizes ``t``,
    ``Var(S) = [n(n-1)(2n+5) - sum t(t-1)(2t+5)] / 18``; the continuity-corrected score is
    ``z = (S - 1)/sqrt(Var)`` for ``S > 0``, ``(S + 1)/sqrt(Var)`` for ``S < 0``, else 0; and
    ``p = 2 (1 - Phi(|z|))``. A positive ``z`` means an upward trend. With fewer than two
    values or all values tied, ``Var(S) = 0`` and the answer is ``(0, 0.0, 0.0, 1.0)`` (no
    evidence of a trend). O(n²).
    """
    n = len(values)
    s = sum(_direction(values[i], values[j]) for i in range(n) for j in range(i + 1, n))
    ties = sum(t * (t - 1) * (2 * t + 5) for t in Counter(values).values())
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18
    if var_s <= 0:
        return MannKendall(s=s, var_s=0.0, z=0.0, p_two_sided=1.0)
    if s > 0:
        z = (s - 1) / math.sqrt(var_s)
    elif s < 0:
        z = (s + 1) / math.sqrt(var_s)
    else:
        z = 0.0
    p = 2 * (1 - pystats.NormalDist().cdf(abs(z)))
    return MannKendall(s=s, var_s=var_s, z=z, p_two_sided=min(1.0, p))


def theil_sen_slope(values: Sequence[Number]) -> float:
    """Theil-Sen slope of ``values`` against their index 0, 1, 2, …: the median of the pairwise
    slopes ``(x_j - x_i) / (j - i)`` over ``i < j`` (mean of the two middle ones when their
    count is even). Units: value units per step. Raises :class:`ValueError` for fewer than two
    values. O(n² log n).
    """
    n = len(values)
    if n < 2:
        raise ValueError(f"theil_sen_slope needs at least 2 values, got {n}")
    xs = [float(v) for v in values]
    slopes = [(xs[j] - xs[i]) / (j - i) for i in range(n) for j in range(i + 1, n)]
    return float(pystats.median(slopes))
