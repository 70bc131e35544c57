"""Providers' invoices: recording one per provider and month, and the reconciliation report.

The report lists, per recorded invoice, what the rack-rate token math computed for that
provider-month's LLM usage, what was invoiced, the factor that reconciles one with the other and
the reconciled total (Σ of the events' reconciled costs, which equals the invoice to the cent).
`app.domain.reconciliation` defines the arithmetic; `app.services.costs.basis` applies it to
every cost figure asked for with basis RECONCILED.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.tables import ProviderInvoice
from app.db.upserts import excluded_values
from app.domain.money import quantize_money
from app.domain.reconciliation import parse_month
from app.services.costs.basis import (
    LLM,
    MONEY_DIGITS,
    factor_of,
    invoiced_usage,
    month_bounds,
)
from app.services.costs.scope import USAGE
from app.services.ingest.errors import FieldError

PROVIDER_LENGTH = 100
# NUMERIC(20, 10): at most ten integer digits.
AMOUNT_LIMIT = Decimal(10) ** 10


@dataclass(frozen=True)
class ProviderMonth:
    """One invoice against the usage it covers (USD). `factor` is None when the provider-month
    has no LLM cost to scale (the invoice then stays unallocated)."""

    provider: str
    month: date
    invoiced: Decimal
    computed: Decimal
    factor: Decimal | None
    reconciled: Decimal
    events: int

    @property
    def difference(self) -> Decimal:
        """invoiced − computed: what the rack rate missed (negative: it overstated)."""
        return self.invoiced - self.computed


async def record_invoice(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    provider: str,
    month: str,
    amount: Decimal,
    recorded_by: str,
) -> None:
    """Record (or replace) `provider`'s invoice for `month` ("YYYY-MM", UTC), in USD.

    Raises FieldError naming "provider", "month" or "amount" (>= 0, below 10^10, rounded to
    10 decimal places). Provider must match the usage events' provider exactly.
    """
    if not provider.strip():
        raise FieldError("provider", "must not be empty")
    if len(provider) > PROVIDER_LENGTH:
        raise FieldError("provider", f"must be at most {PROVIDER_LENGTH} characters")
    try:
        first_day = parse_month(month)
    except ValueError as exc:
        raise FieldError("month", str(exc)) from None
    if not amount.is_finite() or amount < 0:
        raise FieldError("amount", f"must be a finite amount >= 0 (got {amount})")
    if amount >= AMOUNT_LIMIT:
        raise FieldError("amount", f"must be below {AMOUNT_LIMIT:,}")
    statement = insert(ProviderInvoice).values(
        tenant_id=tenant_id,
        provider=provider,
        month=first_day,
        amount=quantize_money(amount),
        recorded_by=recorded_by[:200],
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["tenant_id", "provider", "month"],
            set_=excluded_values(statement, "amount", "recorded_by", "recorded_at"),
        )
    )


async def reconciliation(
    *,
    session: AsyncSession,
    tenant_id: uuid.UUID,
    provider: str | None = None,
    from_month: date | None = None,
    to_month: date | None = None,
) -> list[ProviderMonth]:
    """Every recorded invoice (optionally one provider's, months in [from, to] inclusive) with
    its computed and reconciled totals; newest month first, then provider. One statement."""
    months = invoiced_usage(tenant_id)
    factor = factor_of(months.c.invoiced, months.c.computed)
    usage = USAGE.alias("reconciled_usage")
    start, end = month_bounds(months.c.month)
    reconciled = func.round(usage.c.cost * factor, MONEY_DIGITS)
    statement = (
        select(
            months.c.provider,
            months.c.month,
            months.c.invoiced,
            months.c.computed,
            months.c.events,
            factor.label("factor"),
            func.coalesce(func.sum(reconciled), Decimal(0)).label("reconciled"),
        )
        .select_from(
            months.outerjoin(
                usage,
                and_(
                    usage.c.tenant_id == tenant_id,
                    usage.c.kind == LLM,
                    usage.c.provider == months.c.provider,
                    usage.c.occurred_at >= start,
                    usage.c.occurred_at < end,
                ),
            )
        )
        .group_by(
            months.c.provider,
            months.c.month,
            months.c.invoiced,
            months.c.computed,
            months.c.events,
        )
        .order_by(months.c.month.desc(), months.c.provider)
    )
    if provider is not None:
        statement = statement.where(months.c.provider == provider)
    if from_month is not None:
        statement = statement.where(months.c.month >= from_month)
    if to_month is not None:
        statement = statement.where(months.c.month <= to_month)
    rows = (await session.execute(statement)).mappings()
    return [
        ProviderMonth(
            provider=row["provider"],
            month=row["month"],
            invoiced=row["invoiced"],
            computed=row["computed"],
            factor=row["factor"],
            # With nothing to scale the invoice is not allocated: nothing was reconciled.
            reconciled=row["reconciled"] if row["factor"] is not None else Decimal(0),
            events=row["events"],
        )
        for row in rows
    ]
