"""The reconciliation report as GraphQL: one entry per recorded invoice."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.services.pricing.invoices import ProviderMonth
from graphql_schema.nodes.interface import Node, opaque_id
from graphql_schema.shaping import copy_fields


@strawberry.type(
    description="One provider's invoice for one UTC month against the LLM usage it covers (USD)."
)
class ProviderReconciliation(Node):
    provider: str = strawberry.field(description="The invoicing provider, as usage names it.")
    month: str = strawberry.field(description='The invoiced month, e.g. "2026-03".')
    invoiced: Decimal = strawberry.field(description="The recorded invoice amount.")
    computed: Decimal = strawberry.field(
        description="Rack-rate cost of the provider's LLM usage that occurred in the month."
    )
    difference: Decimal = strawberry.field(description="invoiced − computed.")
    factor: Decimal | None = strawberry.field(
        description="invoiced / computed (20 decimal places): the scale of every LLM event of "
        "the provider-month on basis RECONCILED; null when computed is 0 (nothing to scale)."
    )
    reconciled: Decimal = strawberry.field(
        description="Σ of the events' reconciled costs: the invoice to the cent (0 when factor "
        "is null)."
    )
    events: int = strawberry.field(description="LLM usage events of the provider-month.")

    @classmethod
    def from_month(cls, row: ProviderMonth) -> ProviderReconciliation:
        month = f"{row.month.year:04d}-{row.month.month:02d}"
        opaque = opaque_id("ProviderReconciliation", row.provider, month)
        return copy_fields(cls, row, id=opaque, month=month)


@strawberry.type(
    description="The answer to recordInvoice: the provider-month's reconciliation as it stands."
)
class RecordInvoicePayload:
    invoice: ProviderReconciliation = strawberry.field(
        description="The recorded invoice against the usage it covers (as `reconciliation` "
        "lists it, same id)."
    )
