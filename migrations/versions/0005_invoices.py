"""invoices: providers' monthly invoices, to reconcile rack-rate LLM costs with what was billed

- `provider_invoices`: one amount (USD) per (provider, month); `month` is the first day of the
  invoiced UTC month. Recording a provider-month again replaces its amount (a corrected invoice).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations.columns import money, references_tenant, set_now, tenant_id
from migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0005"
down_revision: str | None = "0004"


def upgrade() -> None:
    op.create_table(
        "provider_invoices",
        tenant_id(),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        money("amount"),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        set_now("recorded_at"),
        sa.CheckConstraint(
            "amount >= 0 AND EXTRACT(DAY FROM month) = 1", name="ck_provider_invoices_ranges"
        ),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "provider", "month"),
    )
    enable_tenant_rls("provider_invoices")


def downgrade() -> None:
    disable_tenant_rls("provider_invoices")
    op.drop_table("provider_invoices")
