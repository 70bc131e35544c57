"""invoices: providers' monthly invoices, to reconcile rack-rate LLM costs with what was billed

- `provider_invoices`: one amount (USD) per (provider, month); `month` is the first day of the
  invoiced UTC month. Recording a provider-month again replaces its amount (a corrected invoice).

Revision ID: 0005
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_invoices",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=10), nullable=False),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.CheckConstraint(
            "amount >= 0 AND EXTRACT(DAY FROM month) = 1", name="ck_provider_invoices_ranges"
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "provider", "month"),
    )
    enable_tenant_rls("provider_invoices")


def downgrade() -> None:
    disable_tenant_rls("provider_invoices")
    op.drop_table("provider_invoices")
