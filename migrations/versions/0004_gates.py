"""gates: versioned autonomy gates, stored evaluations, the promotion audit trail, tenant registry

- `autonomy_gates`: one row per version of a workflow's gate for a target level (history kept).
- `gate_evaluations`: what the worker found each time it evaluated a gate (readiness JSON).
- `autonomy_events`: promotions, refusals, demotions, automatic demotions, with actor and numbers.
- `ledger_tenant_ids()`: the worker evaluates every tenant's gates, but under forced row-level
  security no role the application uses can list tenants. This SECURITY DEFINER function, owned
  by the migrating (owner) role, returns tenant ids and nothing else; only the application role
  may execute it. FORCE ROW LEVEL SECURITY binds the owner too, so a SELECT-only policy on
  `tenants` for the owner role lets the function (which runs as the owner) see every tenant id.
  The owner already owns the tables and could disable RLS at will: the policy gives it nothing
  new, and the application role still sees only its own tenant.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.columns import integer, money, one_of, references_workflow, string, timestamp, uuid
from migrations.rls import (
    create_tenant_table,
    drop_tenant_table,
    only_app_may_execute,
    owner_reads_all,
    refuse_app_role,
)

revision: str = "0004"
down_revision: str | None = "0003"

CHECK_STATUSES = ("PASS", "FAIL", "INSUFFICIENT_DATA")
EVENT_KINDS = ("PROMOTED", "REFUSED", "DEMOTED", "AUTO_DEMOTED")


def upgrade() -> None:
    create_tenant_table(
        "autonomy_gates",
        uuid("workflow_id"),
        integer("target_level"),
        integer("version"),
        sa.Column("min_acceptance_rate", sa.Double(), nullable=False),
        integer("min_sample_size"),
        sa.Column("confidence", sa.Double(), nullable=False),
        money("max_cost_per_outcome"),
        sa.Column("max_drift_pct", sa.Double(), nullable=False),
        integer("window_days"),
        integer("auto_demote_after", nullable=True),
        string("set_by", 200),
        timestamp("set_at"),
        sa.CheckConstraint(
            "target_level >= 1 AND version >= 1 AND min_sample_size >= 1"
            " AND min_acceptance_rate BETWEEN 0 AND 1 AND confidence > 0 AND confidence < 1"
            " AND max_cost_per_outcome >= 0 AND max_drift_pct >= 0"
            " AND window_days BETWEEN 1 AND 366"
            " AND (auto_demote_after IS NULL OR auto_demote_after >= 1)",
            name="ck_autonomy_gates_ranges",
        ),
        references_workflow(),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "target_level", "version"),
    )
    create_tenant_table(
        "gate_evaluations",
        uuid("evaluation_id"),
        uuid("workflow_id"),
        integer("target_level"),
        integer("gate_version"),
        integer("workflow_level"),
        string("status", 20),
        sa.Column("readiness", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        timestamp("evaluated_at"),
        sa.CheckConstraint(one_of("status", CHECK_STATUSES), name="ck_gate_evaluations_status"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "workflow_id", "target_level", "gate_version"],
            [
                "autonomy_gates.tenant_id",
                "autonomy_gates.workflow_id",
                "autonomy_gates.target_level",
                "autonomy_gates.version",
            ],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "evaluation_id"),
        sa.Index("ix_gate_evaluations_workflow", "tenant_id", "workflow_id", "evaluated_at"),
    )
    create_tenant_table(
        "autonomy_events",
        uuid("event_id"),
        uuid("workflow_id"),
        string("kind", 20),
        string("actor", 200),
        integer("from_level"),
        integer("requested_level"),
        integer("level_after"),
        string("reason", 2000, nullable=True),
        sa.Column("readiness", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        timestamp("at"),
        sa.CheckConstraint(one_of("kind", EVENT_KINDS), name="ck_autonomy_events_kind"),
        references_workflow(),
        sa.PrimaryKeyConstraint("tenant_id", "event_id"),
        sa.Index("ix_autonomy_events_workflow", "tenant_id", "workflow_id", "at"),
    )
    _create_tenant_registry()


def _create_tenant_registry() -> None:
    # The registry must be owned by a role other than the application role, or it would hand
    # the application role the cross-tenant read that RLS exists to deny.
    refuse_app_role()
    owner_reads_all("tenant_registry", "tenants")
    op.execute(
        """
        CREATE FUNCTION ledger_tenant_ids() RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$ SELECT tenant_id FROM public.tenants ORDER BY tenant_id $$
        """
    )
    only_app_may_execute("ledger_tenant_ids()")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS ledger_tenant_ids()")
    op.execute("DROP POLICY IF EXISTS tenant_registry ON tenants")
    drop_tenant_table("autonomy_events")
    drop_tenant_table("gate_evaluations")
    drop_tenant_table("autonomy_gates")
