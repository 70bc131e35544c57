"""repricing: an audit row for every usage event whose priced cost was changed by repricing

- `usage_repricings`: one row per (event, repricing): the cost and price version before and
  after. Repricing runs after a price-book change (setModelPrice, `ledger prices import`).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa

from migrations.columns import money, string, timestamp
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0006"
down_revision: str | None = "0005"


def upgrade() -> None:
    create_tenant_table(
        "usage_repricings",
        string("event_id", 200),
        timestamp("repriced_at"),
        money("old_cost"),
        money("new_cost"),
        timestamp("old_price_from", nullable=True),
        timestamp("new_price_from"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["usage_events.tenant_id", "usage_events.event_id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", "repriced_at"),
    )


def downgrade() -> None:
    drop_tenant_table("usage_repricings")
