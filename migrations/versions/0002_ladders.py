"""ladders: outcome events, cost ceilings, and retiring ladder rungs instead of deleting them

A rung removed from a ladder is retired (`ladder_rungs.retired_at`), never deleted, so outcome
events recorded against it keep their meaning and past figures never change; re-adding its key
revives it. Outcome events and cost ceilings reference their rung by (tenant, workflow, key).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations.columns import money, set_now
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0002"
down_revision: str | None = "0001"

CEILING_DIMENSIONS = ("CAMPAIGN", "CHANNEL", "VARIANT", "CLIENT", "TEAM")


def upgrade() -> None:
    op.add_column(
        "ladder_rungs", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True)
    )
    create_tenant_table(
        "outcome_events",
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("rung_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("correlation_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        set_now("recorded_at"),
        sa.CheckConstraint(
            "subject IS NOT NULL OR correlation_id IS NOT NULL", name="ck_outcome_events_link"
        ),
        # The rung (hence the workflow) must exist; rungs are retired, never deleted.
        sa.ForeignKeyConstraint(
            ["tenant_id", "workflow_id", "rung_key"],
            ["ladder_rungs.tenant_id", "ladder_rungs.workflow_id", "ladder_rungs.key"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "event_id"),
    )
    op.create_index(
        "ix_outcome_events_correlation",
        "outcome_events",
        ["tenant_id", "workflow_id", "rung_key", "correlation_id"],
    )
    op.create_index(
        "ix_outcome_events_subject",
        "outcome_events",
        ["tenant_id", "workflow_id", "rung_key", "subject"],
    )
    create_tenant_table(
        "cost_ceilings",
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("rung_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        money("ceiling"),
        set_now("created_at"),
        set_now("updated_at"),
        sa.CheckConstraint(
            "dimension IN (" + ", ".join(f"'{d}'" for d in CEILING_DIMENSIONS) + ")",
            name="ck_cost_ceilings_dimension",
        ),
        sa.CheckConstraint("ceiling >= 0", name="ck_cost_ceilings_non_negative"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "workflow_id", "rung_key"],
            ["ladder_rungs.tenant_id", "ladder_rungs.workflow_id", "ladder_rungs.key"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "rung_key", "dimension", "value"),
    )


def downgrade() -> None:
    drop_tenant_table("cost_ceilings")
    op.drop_index("ix_outcome_events_subject", table_name="outcome_events")
    op.drop_index("ix_outcome_events_correlation", table_name="outcome_events")
    drop_tenant_table("outcome_events")
    op.drop_column("ladder_rungs", "retired_at")
