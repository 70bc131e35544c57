"""Which money a cost figure is in: rack rate, or reconciled to the providers' invoices (SQL).

`usage_cost(factors)` is the cost expression every cost sum uses. On the RACK_RATE basis it is the
stored cost. On the RECONCILED basis an LLM event whose provider-month (provider, UTC month of
`occurred_at`) has a recorded invoice costs `round(cost × factor, 10)`, where

    factor = round(invoiced ÷ computed, 20)   computed = Σ rack-rate cost of that provider-month's
                                              LLM events (every workflow, every client)

— `app.domain.reconciliation` is the reference and says why (and how rounding agrees with it).
Everything else keeps its rack-rate cost. The factors of all the tenant's invoices are computed
once per statement, in a MATERIALIZED CTE built by `invoice_factors`; a statement that sums costs
in several places passes the same CTE to each `usage_cost`.
"""

from __future__ import annotations

import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import CTE, Date, DateTime, and_, case, cast, func, literal_column, select

from app.db.tables import ProviderInvoice
from app.domain.enums import UsageKind
from app.domain.reconciliation import FACTOR_PLACES
from app.services.costs.scope import USAGE

INVOICES = ProviderInvoice.__table__  # type: ignore[attr-defined]
LLM = UsageKind.LLM.value
MONEY_DIGITS = 10


class CostBasis(enum.StrEnum):
    """Which money a figure is in: rack-rate token math, or scaled to the provider's invoice."""

    RACK_RATE = "RACK_RATE"
    RECONCILED = "RECONCILED"


def month_bounds(month: Any) -> tuple[Any, Any]:
    """[start, end) of a `date` column's UTC month, as timestamptz expressions."""
    start = func.timezone("UTC", cast(month, DateTime))
    end = func.timezone("UTC", month + literal_column("INTERVAL '1 month'"))
    return start, end


def invoiced_usage(tenant_id: uuid.UUID) -> Any:
    """Per recorded invoice: provider, month, invoiced amount, and the rack-rate sum and count
    of its provider-month's LLM events (0 when there are none) — a subquery."""
    usage = USAGE.alias("invoiced_usage")
    start, end = month_bounds(INVOICES.c.month)
    return (
        select(
            INVOICES.c.provider,
            INVOICES.c.month,
            INVOICES.c.amount.label("invoiced"),
            func.coalesce(func.sum(usage.c.cost), Decimal(0)).label("computed"),
            func.count(usage.c.event_id).label("events"),
        )
        .select_from(
            INVOICES.outerjoin(
                usage,
                and_(
                    usage.c.tenant_id == INVOICES.c.tenant_id,
                    usage.c.kind == LLM,
                    usage.c.provider == INVOICES.c.provider,
                    usage.c.occurred_at >= start,
                    usage.c.occurred_at < end,
                ),
            )
        )
        .where(INVOICES.c.tenant_id == tenant_id)
        .group_by(INVOICES.c.provider, INVOICES.c.month, INVOICES.c.amount)
        .subquery("invoiced_months")
    )


def factor_of(invoiced: Any, computed: Any) -> Any:
    """round(invoiced ÷ computed, 20); NULL when computed is 0."""
    return func.round(invoiced / func.nullif(computed, 0), FACTOR_PLACES)


def invoice_factors(tenant_id: uuid.UUID) -> CTE:
    """provider, month, factor of every invoice of the tenant (computed once per statement)."""
    months = invoiced_usage(tenant_id)
    return (
        select(
            months.c.provider,
            months.c.month,
            factor_of(months.c.invoiced, months.c.computed).label("factor"),
        )
        .cte("invoice_factors")
        .prefix_with("MATERIALIZED")
    )


def factors_for(basis: CostBasis, tenant_id: uuid.UUID) -> CTE | None:
    """The factors CTE for RECONCILED figures; None (rack rate) otherwise."""
    return invoice_factors(tenant_id) if basis is CostBasis.RECONCILED else None


def usage_cost(factors: CTE | None, usage: Any = USAGE) -> Any:
    """The cost of each row of `usage` on the basis `factors` stands for (None: rack rate)."""
    if factors is None:
        return usage.c.cost
    month = cast(func.date_trunc("month", func.timezone("UTC", usage.c.occurred_at)), Date)
    factor = (
        select(factors.c.factor)
        .where(factors.c.provider == usage.c.provider, factors.c.month == month)
        .scalar_subquery()
    )
    scaled = func.round(usage.c.cost * func.coalesce(factor, 1), MONEY_DIGITS)
    # Only LLM usage is invoiced by model providers: every other kind keeps its stored cost.
    return case((usage.c.kind == LLM, scaled), else_=usage.c.cost)
