"""Token pricing from a tenant's price book.

Prices are in currency units per **million** tokens. Token counts are disjoint, exactly as in
the public contract: ``input`` counts uncached input only, ``cache_read`` and ``cache_write``
are counted apart from it, and ``output`` excludes ``reasoning``. Each kind is priced at its
own rate; a kind without its own rate falls back to the rate of the kind it was split from
(cache read/write → input, reasoning → output), so no token is ever priced at zero silently.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from app.domain.money import MONEY_PLACES, PRECISION

TOKENS_PER_UNIT = 1_000_000
"""Prices are quoted per this many tokens."""


def _check_rate(name: str, rate: Decimal | None) -> None:
    if rate is None:
        return
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0:
        raise ValueError(f"{name} must be a finite, non-negative Decimal, got {rate!r}")


@dataclass(frozen=True)
class Price:
    """One price-book entry for ``provider``/``model``, in force from ``effective_from``.

    Rates are currency units per million tokens and must be finite and >= 0 (a zero rate is
    allowed when it is stated explicitly). ``None`` optional rates fall back as described in
    the module docstring.
    """

    provider: str
    model: str
    effective_from: datetime
    input_per_million: Decimal
    output_per_million: Decimal
    cache_read_per_million: Decimal | None = None
    cache_write_per_million: Decimal | None = None
    reasoning_per_million: Decimal | None = None

    def __post_init__(self) -> None:
        _check_rate("input_per_million", self.input_per_million)
        _check_rate("output_per_million", self.output_per_million)
        _check_rate("cache_read_per_million", self.cache_read_per_million)
        _check_rate("cache_write_per_million", self.cache_write_per_million)
        _check_rate("reasoning_per_million", self.reasoning_per_million)

    @classmethod
    def from_row(cls, row: Mapping[Any, Any]) -> Price:
        """The price of a `model_prices` row (any mapping with those column names)."""
        return cls(**{column.name: row[column.name] for column in fields(cls)})


@dataclass(frozen=True)
class TokenCounts:
    """Disjoint token counts of one LLM call (all non-negative ints)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0

    def __post_init__(self) -> None:
        i, o, cr, cw, r = self.input, self.output, self.cache_read, self.cache_write, self.reasoning
        if (
            i.__class__ is int
            and o.__class__ is int
            and cr.__class__ is int
            and cw.__class__ is int
            and r.__class__ is int
            and min(i, o, cr, cw, r) >= 0
        ):
            return  # the common case (plain non-negative ints), checked in one expression
        for name in ("input", "output", "cache_read", "cache_write", "reasoning"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"token count {name} must be a non-negative int, got {value!r}")


def price_tokens(tokens: TokenCounts, price: Price) -> Decimal:
    """Cost in currency units of ``tokens`` at ``price``, rounded to 10 dp (half to even).

    ``sum(count_k * rate_k) / 1_000_000`` over the five kinds, where a missing cache-read or
    cache-write rate is the input rate and a missing reasoning rate is the output rate. The
    sum is formed exactly before the single final rounding. Zero tokens cost ``0E-10``.
    """
    cache_read = price.cache_read_per_million
    cache_write = price.cache_write_per_million
    reasoning = price.reasoning_per_million
    terms = (
        (tokens.input, price.input_per_million),
        (tokens.output, price.output_per_million),
        (tokens.cache_read, price.input_per_million if cache_read is None else cache_read),
        (tokens.cache_write, price.input_per_million if cache_write is None else cache_write),
        (tokens.reasoning, price.output_per_million if reasoning is None else reasoning),
    )
    ctx = decimal.Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)
    total = Decimal(0)
    for count, rate in terms:
        if count:  # a zero count adds exactly zero: skipping it leaves the sum's value as is
            total = ctx.add(total, ctx.multiply(Decimal(count), rate))
    cost = ctx.divide(total, Decimal(TOKENS_PER_UNIT))
    return cost.quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN, context=ctx)


# Below this many (10**EXACT_DIGITS) scaled units every step of `price_tokens` is exact at
# PRECISION (50) significant digits, so integer arithmetic gives the very same Decimal.
EXACT_DIGITS = 45
_SCALE_CONTEXT = decimal.Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)
_PER_UNIT_DIGITS = len(str(TOKENS_PER_UNIT)) - 1  # 6: TOKENS_PER_UNIT is 10**6
_MONEY_DIGITS = -int(MONEY_PLACES.as_tuple().exponent)  # 10 decimal places


def _scaled(rate: Decimal, places: int) -> int:
    """``rate * 10**places`` as an int (exact: ``places`` covers every fractional digit)."""
    _, digits, exponent = rate.as_tuple()
    coefficient = int("".join(map(str, digits)))
    return coefficient * int(10 ** (int(exponent) + places))


class ScaledPrice:
    """`price_tokens` for one price in integer arithmetic, for pricing many events at once.

    The five rates (fallbacks resolved as in `price_tokens`) are scaled by one power of ten to
    integers; a cost is then ``sum(count_k * rate_k)`` in units of ``10**-(6 + places)``,
    rounded half to even to 10 decimal places with integer division. The result is the same
    Decimal as `price_tokens` — value and exponent, e.g. ``0E-10`` for no tokens — because that
    function's steps are all exact below 50 significant digits; a total of EXACT_DIGITS digits
    or more is left to `price_tokens` itself (a hypothesis property checks the equality).
    """

    __slots__ = ("_half", "_price", "_rates", "_shift", "_unit")

    def __init__(self, price: Price) -> None:
        cache_read = price.cache_read_per_million
        cache_write = price.cache_write_per_million
        reasoning = price.reasoning_per_million
        rates = (
            price.input_per_million,
            price.output_per_million,
            price.input_per_million if cache_read is None else cache_read,
            price.input_per_million if cache_write is None else cache_write,
            price.output_per_million if reasoning is None else reasoning,
        )
        places = max(0, *(-int(rate.as_tuple().exponent) for rate in rates))
        self._price = price
        self._rates = tuple(_scaled(rate, places) for rate in rates)
        # N scaled units are N / 10**(6 + places) currency units: to 10 dp, N * 10**-shift.
        self._shift = _PER_UNIT_DIGITS + places - _MONEY_DIGITS
        self._unit = 10 ** max(self._shift, 0)
        self._half = self._unit // 2

    def cost(
        self, input: int, output: int, cache_read: int, cache_write: int, reasoning: int
    ) -> Decimal:
        """``price_tokens(TokenCounts(…), price)`` for valid (non-negative int) counts."""
        r_in, r_out, r_cr, r_cw, r_rs = self._rates
        total = input * r_in + output * r_out + cache_read * r_cr + cache_write * r_cw
        total += reasoning * r_rs
        if total >= 10**EXACT_DIGITS:
            tokens = TokenCounts(input, output, cache_read, cache_write, reasoning)
            return price_tokens(tokens, self._price)
        if self._shift <= 0:
            units = total * 10**-self._shift
        else:
            units, rest = divmod(total, self._unit)
            if rest > self._half or (rest == self._half and units & 1):
                units += 1
        return Decimal(units).scaleb(-10, _SCALE_CONTEXT)


def price_in_force(
    prices: Iterable[Price], provider: str, model: str, at: datetime
) -> Price | None:
    """The price of ``provider``/``model`` in force at ``at``; ``None`` when there is none.

    That is the entry with the latest ``effective_from <= at`` (a price is in force from its
    own ``effective_from`` inclusive). Provider and model match exactly (case-sensitive). If
    two entries share the winning ``effective_from``, the later one in iteration order wins
    (a re-set price replaces the earlier one). Datetimes should be timezone-aware UTC.
    """
    best: Price | None = None
    for p in prices:
        if p.provider != provider or p.model != model or p.effective_from > at:
            continue
        if best is None or p.effective_from >= best.effective_from:
            best = p
    return best
