"""`recordInvoice`: one provider's invoice for one month (configuration)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.domain.reconciliation import parse_month
from app.services.pricing.invoices import reconciliation, record_invoice
from graphql_schema.context import Info
from graphql_schema.errors import field_errors
from graphql_schema.ingest.inputs import InvoiceInput
from graphql_schema.permissions import CanConfigure
from graphql_schema.reconciliation.types import ProviderReconciliation, RecordInvoicePayload


@strawberry.type
class ReconciliationMutations:
    @strawberry.mutation(
        permission_classes=[CanConfigure],
        description='Record a provider\'s invoice (USD) for a UTC month ("YYYY-MM"); replaces '
        "an invoice already recorded for that provider and month. From then on basis "
        "RECONCILED scales that provider-month's LLM costs to it.",
    )
    async def record_invoice(
        self,
        info: Info,
        input: Annotated[InvoiceInput, strawberry.argument(description="The invoice.")],
    ) -> RecordInvoicePayload:
        principal = info.context.principal
        with field_errors():
            await info.context.call(
                record_invoice,
                provider=input.provider,
                month=input.month,
                amount=input.amount,
                recorded_by=principal.subject,
            )
            first_day = parse_month(input.month)
            [row] = await info.context.call(
                reconciliation, provider=input.provider, from_month=first_day, to_month=first_day
            )
        return RecordInvoicePayload(invoice=ProviderReconciliation.from_month(row))
