"""invoices: providers' monthly invoices, to reconcile rack-rate LLM costs with what was billed

- `provider_invoices`: one amount (USD) per (provider, month); `month` is the first day of the
  invoiced UTC month. Recording a provider-month again replaces its amount (a corrected invoice).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa

from migrations.columns import money, references_tenant, set_now, string
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    create_tenant_table(
        "provider_invoices",
        string("provider", 100),
        sa.Column("month", sa.Date(), nullable=False),
        money("amount"),
        string("recorded_by", 200),
        set_now("recorded_at"),
        sa.CheckConstraint(
            "amount >= 0 AND EXTRACT(DAY FROM month) = 1", name="ck_provider_invoices_ranges"
        ),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "provider", "month"),
    )


def downgrade() -> None:
    drop_tenant_table("provider_invoices")
