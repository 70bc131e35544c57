"""Reconciling rack-rate LLM costs with what a provider invoiced for a month.

A provider-month is one provider's LLM usage whose `occurredAt` falls in one UTC calendar month.
With an invoice recorded for it, every LLM event of that provider-month is scaled by one factor:

    factor = invoiced ÷ computed       (computed = the rack-rate sum of those events' costs)
    reconciled cost = cost × factor    (rounded to 10 decimal places)

so the reconciled costs of the provider-month add up to the invoice (to within half of 10⁻¹⁰ per
event: to the cent). The factor is rounded to FACTOR_PLACES decimal places first. Both roundings
are half up — PostgreSQL's `round(numeric, n)`, which the SQL in app.services.costs.basis uses
(amounts are never negative, so half up and half away from zero agree) — so this reference and
the SQL give the same figures to the last digit.

Events of other kinds, and of provider-months without an invoice, keep their rack-rate cost
(factor None). A provider-month whose computed cost is 0 has nothing to scale: its factor is None
and the invoice stays unallocated (the reconciliation report shows it).
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from app.domain.money import MONEY_PLACES, PRECISION

FACTOR_PLACES = 20
_FACTOR_QUANTUM = Decimal(1).scaleb(-FACTOR_PLACES)
_MONTH = re.compile(r"(\d{4})-(\d{2})")


def parse_month(text: str) -> date:
    """ "2026-03" → date(2026, 3, 1); ValueError for anything else (e.g. "2026-3", "2026-13")."""
    match = _MONTH.fullmatch(text.strip())
    if match is None:
        raise ValueError(f'must be a month as "YYYY-MM" (got {text!r})')
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1:
        raise ValueError(f'must be a month as "YYYY-MM" (got {text!r})')
    return date(year, month, 1)


def month_of(at: datetime) -> date:
    """The first day of the UTC month of an aware datetime."""
    utc = at.astimezone(UTC)
    return date(utc.year, utc.month, 1)


def reconciliation_factor(*, computed: Decimal, invoiced: Decimal) -> Decimal | None:
    """invoiced ÷ computed to FACTOR_PLACES places (half up); None when computed is 0."""
    if computed == 0:
        return None
    ctx = _context()
    return ctx.divide(invoiced, computed).quantize(_FACTOR_QUANTUM, context=ctx)


def reconciled_cost(cost: Decimal, factor: Decimal | None) -> Decimal:
    """One event's cost on the reconciled basis: cost × factor at 10 dp (half up); the cost
    itself, to 10 dp, when there is no factor."""
    ctx = _context()
    scaled = cost if factor is None else ctx.multiply(cost, factor)
    return scaled.quantize(MONEY_PLACES, context=ctx)


def _context() -> decimal.Context:
    return decimal.Context(prec=PRECISION, rounding=ROUND_HALF_UP)


def reconcile(
    events: Iterable[tuple[str, datetime, Decimal]], invoices: dict[tuple[str, date], Decimal]
) -> list[Decimal]:
    """The reference: reconciled costs of LLM events given as (provider, occurredAt, cost),
    in order, for invoices keyed by (provider, first day of month)."""
    listed = list(events)
    computed: dict[tuple[str, date], Decimal] = {}
    for provider, at, cost in listed:
        key = (provider, month_of(at))
        computed[key] = computed.get(key, Decimal(0)) + cost
    factors = {
        key: reconciliation_factor(computed=computed.get(key, Decimal(0)), invoiced=amount)
        for key, amount in invoices.items()
    }
    return [reconciled_cost(cost, factors.get((p, month_of(at)))) for p, at, cost in listed]
