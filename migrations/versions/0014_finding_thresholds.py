"""finding thresholds: a tenant's own values for the thresholds of the cost-bloat findings

- `finding_thresholds`: one value per (tenant, threshold name); names and defaults are defined
  in `app.domain.findings`, a missing row means the default.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa

from migrations.columns import references_tenant, set_now, string
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0014"
down_revision: str | None = "0013"


def upgrade() -> None:
    create_tenant_table(
        "finding_thresholds",
        string("name", 100),
        sa.Column("value", sa.Numeric(precision=30, scale=10), nullable=False),
        set_now("updated_at"),
        sa.CheckConstraint("value >= 0", name="ck_finding_thresholds_value"),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "name"),
    )


def downgrade() -> None:
    drop_tenant_table("finding_thresholds")
