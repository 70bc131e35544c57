"""Token pricing from a tenant's price book.

Prices are in currency units per **million** tokens. Token counts are disjoint, exactly as in
the public contract: ``input`` counts uncached input only, ``cache_read`` and ``cache_write``
are counted apart from it, and ``output`` excludes ``reasoning``. Each kind is priced at its
own rate; a kind without its own rate falls back to the rate of the kind it was split from
(cache read/write → input, reasoning → output), so no token is ever priced at zero silently.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

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


@dataclass(frozen=True)
class TokenCounts:
    """Disjoint token counts of one LLM call (all non-negative ints)."""

    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    reasoning: int = 0

    def __post_init__(self) -> None:
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
        total = ctx.add(total, ctx.multiply(Decimal(count), rate))
    cost = ctx.divide(total, Decimal(TOKENS_PER_UNIT))
    return cost.quantize(MONEY_PLACES, rounding=ROUND_HALF_EVEN, context=ctx)


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
