"""Exact money arithmetic: quantization, ratios, shares and sums.

Money is always :class:`decimal.Decimal`, never float. Every computation here runs in a local
decimal context with 50 significant digits, so results do not depend on (and do not change)
the caller's thread-local context; with 10 decimal places that leaves 40 integer digits.

Non-finite decimals (NaN, Infinity) are rejected with :class:`ValueError`: a cost figure that
is not a number must never be silently carried into a total.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal

RATIO_PLACES = Decimal("0.0000000001")
"""Quantum of every derived ratio (cost per outcome, cost per attempt…): 10 decimal places."""

MONEY_PLACES = Decimal("0.0000000001")
"""Quantum of stored event costs (currency units, 10 decimal places)."""

PRECISION = 50
"""Significant digits of the local decimal context used by this module."""


def _context() -> decimal.Context:
    return decimal.Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)


def _finite(x: Decimal, name: str) -> Decimal:
    if not isinstance(x, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(x).__name__}")
    if not x.is_finite():
        raise ValueError(f"{name} must be a finite Decimal, got {x}")
    return x


def quantize_money(x: Decimal) -> Decimal:
    """Round an amount (currency units) to 10 decimal places, half to even.

    ``quantize_money(Decimal("0.00000000005"))`` is ``Decimal("0E-10")`` (ties go to the even
    neighbour), ``quantize_money(Decimal("1.00000000015"))`` is ``Decimal("1.0000000002")``.
    Raises :class:`ValueError` on NaN/Infinity.
    """
    _finite(x, "amount")
    return x.quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN, context=_context())


def ratio(numerator: Decimal, denominator: int | Decimal) -> Decimal | None:
    """``numerator / denominator`` rounded to 10 dp (half to even); ``None`` when dividing by 0.

    Used for every "cost per X" figure: no denominator means no answer (``None``), never a
    fake zero. The division is carried out with 50 significant digits before rounding, so
    ``ratio(Decimal(100), 19)`` is ``Decimal("5.2631578947")``.
    """
    _finite(numerator, "numerator")
    if isinstance(denominator, bool) or not isinstance(denominator, (int, Decimal)):
        raise TypeError("denominator must be an int or a Decimal")
    den = Decimal(denominator)
    _finite(den, "denominator")
    if den == 0:
        return None
    ctx = _context()
    return ctx.divide(numerator, den).quantize(RATIO_PLACES, rounding=ROUND_HALF_EVEN, context=ctx)


def share(part: Decimal, total: Decimal) -> float | None:
    """``part / total`` as a float (a dimensionless share, not money); ``None`` when total is 0.

    The quotient is computed exactly-enough in Decimal (50 digits) and only then converted, so
    ``share(x, x)`` is exactly ``1.0``. Shares are not clamped: a negative part (a credit) or
    a part larger than the total yields a share outside [0, 1].
    """
    _finite(part, "part")
    _finite(total, "total")
    if total == 0:
        return None
    return float(_context().divide(part, total))


def sum_money(values: Iterable[Decimal]) -> Decimal:
    """Sum amounts in the 50-digit context (exact for any realistic 10 dp amounts).

    Returns ``Decimal(0)`` for an empty iterable. Raises :class:`ValueError` on NaN/Infinity.
    """
    ctx = _context()
    total = Decimal(0)
    for v in values:
        total = ctx.add(total, _finite(v, "amount"))
    return total
