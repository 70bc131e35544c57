"""ladders: outcome events, cost ceilings, and retiring ladder rungs instead of deleting them

A rung removed from a ladder is retired (`ladder_rungs.retired_at`), never deleted, so outcome
events recorded against it keep their meaning and past figures never change; re-adding its key
revives it. Outcome events and cost ceilings reference their rung by (tenant, workflow, key).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from migrations.columns import money, one_of, references_rung, set_now, string, timestamp, uuid
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0002"
down_revision: str | None = "0001"

CEILING_DIMENSIONS = ("CAMPAIGN", "CHANNEL", "VARIANT", "CLIENT", "TEAM")


def upgrade() -> None:
    op.add_column("ladder_rungs", timestamp("retired_at", nullable=True))
    create_tenant_table(
        "outcome_events",
        string("event_id", 200),
        uuid("workflow_id"),
        string("rung_key", 100),
        string("subject", 200, nullable=True),
        string("correlation_id", 200, nullable=True),
        timestamp("occurred_at"),
        set_now("recorded_at"),
        sa.CheckConstraint(
            "subject IS NOT NULL OR correlation_id IS NOT NULL", name="ck_outcome_events_link"
        ),
        # The rung (hence the workflow) must exist; rungs are retired, never deleted.
        references_rung(),
        sa.PrimaryKeyConstraint("tenant_id", "event_id"),
        sa.Index(
            "ix_outcome_events_correlation",
            "tenant_id",
            "workflow_id",
            "rung_key",
            "correlation_id",
        ),
        sa.Index("ix_outcome_events_subject", "tenant_id", "workflow_id", "rung_key", "subject"),
    )
    create_tenant_table(
        "cost_ceilings",
        uuid("workflow_id"),
        string("rung_key", 100),
        string("dimension", 20),
        string("value", 200),
        money("ceiling"),
        set_now("created_at"),
        set_now("updated_at"),
        sa.CheckConstraint(
            one_of("dimension", CEILING_DIMENSIONS), name="ck_cost_ceilings_dimension"
        ),
        sa.CheckConstraint("ceiling >= 0", name="ck_cost_ceilings_non_negative"),
        references_rung(),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "rung_key", "dimension", "value"),
    )


def downgrade() -> None:
    drop_tenant_table("cost_ceilings")
    drop_tenant_table("outcome_events")
    op.drop_column("ladder_rungs", "retired_at")
