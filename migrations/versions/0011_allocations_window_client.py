"""revenue allocations by window and client: the attributed-revenue sum of one window is an
index-only range of its own rows

`ix_allocations_window` was (tenant, workflow, cohort day): a window's attributed revenue (the
sum of its client's allocations, `roi_revenue.ATTRIBUTED` and the window recompute) read every
client's allocations of that (workflow, day) and filtered the client (~55 rows and ~66 buffers
per window at 1M runs; an unlinked retainer updates ~600 windows). Now (tenant, workflow, cohort
day, client) with the amount included; reads by the first three columns use it as before.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"


def upgrade() -> None:
    op.drop_index("ix_allocations_window", table_name="revenue_allocations")
    op.create_index(
        "ix_allocations_window",
        "revenue_allocations",
        ["tenant_id", "workflow_id", "cohort_day", "client_id"],
        postgresql_include=["amount"],
    )


def downgrade() -> None:
    op.drop_index("ix_allocations_window", table_name="revenue_allocations")
    op.create_index(
        "ix_allocations_window", "revenue_allocations", ["tenant_id", "workflow_id", "cohort_day"]
    )
