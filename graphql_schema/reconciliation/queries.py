"""`reconciliation`: computed vs invoiced per provider and month (tenant-wide read)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.domain.reconciliation import parse_month
from app.services.pricing.invoices import reconciliation
from graphql_schema.context import Info
from graphql_schema.errors import BadUserInput
from graphql_schema.permissions import CanRead
from graphql_schema.reconciliation.types import ProviderReconciliation


def _month(field: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as exc:
        raise BadUserInput(f"{field} {exc}", field=field) from None


@strawberry.type
class ReconciliationQueries:
    @strawberry.field(
        permission_classes=[CanRead],
        description="Every recorded invoice with the rack-rate cost it is reconciled against, "
        "newest month first, then provider; optionally one provider and months from/to "
        '("YYYY-MM", inclusive).',
    )
    async def reconciliation(
        self,
        info: Info,
        provider: Annotated[
            str | None, strawberry.argument(description="Only this provider.")
        ] = None,
        from_month: Annotated[
            str | None, strawberry.argument(description='First month listed, "YYYY-MM".')
        ] = None,
        to_month: Annotated[
            str | None, strawberry.argument(description='Last month listed, "YYYY-MM".')
        ] = None,
    ) -> list[ProviderReconciliation] | None:
        first, last = _month("fromMonth", from_month), _month("toMonth", to_month)
        rows = await info.context.call(
            reconciliation, provider=provider, from_month=first, to_month=last
        )
        return [ProviderReconciliation.from_month(row) for row in rows]
