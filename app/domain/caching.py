"""The prompt cache's effect on a cohort's unit economics.

Token counts are disjoint (see `app.domain.pricing`): ``input`` counts *uncached* input only,
``cache_read`` the input tokens served from the provider's cache. A cache read is priced at the
cache-read rate (falling back to the input rate when the price book has none, which saves
nothing). So each priced event's **savings** are

    (input_per_million - cache_read_per_million) x cache_read_tokens / 1,000,000

in currency units, at the price version that priced the event. Events whose cost was reported
(not priced from the price book) carry no price and save nothing by this measure.

All money is Decimal in currency units; shares are floats; no answer is ``None``, never a fake
zero.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from app.domain.money import MONEY_PLACES, PRECISION, ratio, sum_money
from app.domain.pricing import TOKENS_PER_UNIT


def cache_read_savings(
    *, input_per_million: Decimal, cache_read_per_million: Decimal | None, cache_read_tokens: int
) -> Decimal:
    """What ``cache_read_tokens`` would have cost at the input rate minus what they cost.

    Rates are currency units per million tokens; ``None`` cache-read rate means the reads were
    priced at the input rate (savings 0). Rounded to 10 dp half to even. A cache-read rate above
    the input rate gives negative savings (the cache cost money); that is reported as it is.
    Raises :class:`ValueError` for a negative token count.
    """
    if isinstance(cache_read_tokens, bool) or cache_read_tokens < 0:
        raise ValueError(f"cache_read_tokens must be a non-negative int, got {cache_read_tokens!r}")
    read_rate = input_per_million if cache_read_per_million is None else cache_read_per_million
    ctx = decimal.Context(prec=PRECISION, rounding=ROUND_HALF_EVEN)
    saved = ctx.multiply(ctx.subtract(input_per_million, read_rate), Decimal(cache_read_tokens))
    return ctx.divide(saved, Decimal(TOKENS_PER_UNIT)).quantize(
        MONEY_PLACES, rounding=ROUND_HALF_EVEN, context=ctx
    )


@dataclass(frozen=True)
class CachingTotals:
    """What SQL sums over a cohort's usage (non-negative token counts, exact money)."""

    cache_read_tokens: int
    input_tokens: int
    savings: Decimal
    total_cost: Decimal
    accepted_outcomes: int

    def __post_init__(self) -> None:
        if min(self.cache_read_tokens, self.input_tokens, self.accepted_outcomes) < 0:
            raise ValueError(f"caching totals must be non-negative, got {self!r}")


@dataclass(frozen=True)
class CachingView:
    """The figures of the GraphQL ``CachingView`` type."""

    cache_read_tokens: int
    input_tokens: int
    cache_hit_share: float | None
    savings: Decimal
    total_cost: Decimal
    cost_per_outcome: Decimal | None
    cost_per_outcome_without_cache: Decimal | None


def caching_view(totals: CachingTotals) -> CachingView:
    """Derive the caching figures.

    - ``cache_hit_share = cache_read / (cache_read + input)``; ``None`` when both are 0;
    - ``cost_per_outcome = total_cost / accepted`` (``None`` when nothing accepted);
    - ``cost_per_outcome_without_cache = (total_cost + savings) / accepted``: the counterfactual
      where every cache read was paid at the full input rate (``None`` when nothing accepted).
    """
    reads, uncached = totals.cache_read_tokens, totals.input_tokens
    all_input = reads + uncached
    return CachingView(
        cache_hit_share=None if all_input == 0 else reads / all_input,
        cache_read_tokens=reads,
        input_tokens=uncached,
        savings=totals.savings,
        total_cost=totals.total_cost,
        cost_per_outcome=ratio(totals.total_cost, totals.accepted_outcomes),
        cost_per_outcome_without_cache=ratio(
            sum_money([totals.total_cost, totals.savings]), totals.accepted_outcomes
        ),
    )
