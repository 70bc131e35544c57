"""roi: revenue events, baselines, revenue allocations, ROI windows, dirty markers

- `revenue_events`, `roi_baselines`, `revenue_allocations`, `roi_windows`, `roi_dirty`: see
  app/db/tables/roi.py. Every key starts with tenant_id; RLS is enabled and forced on each.
- `ix_runs_accepted_client_ended`: a partial index on runs for attribution (a client's accepted
  runs by end time).
- `ledger_dirty_tenants(at)`: the ROI cron must find the tenants with pending work, but under
  forced row-level security the application role sees one tenant at a time. This SECURITY
  DEFINER function, owned by the migrating (owner) role, returns per tenant the number of dirty
  (workflow, day) markers and of windows due for a recheck at `at` (nothing else: no figures,
  no names); only the application role may execute it. FORCE ROW LEVEL SECURITY binds the owner
  too, so SELECT-only policies on `roi_dirty` and `roi_windows` for the owner role let the
  function see every tenant's rows. The owner owns these tables and could disable RLS at will:
  the policies give it nothing new, and the application role still sees only its own tenant.
  (Listing every tenant is `ledger_tenant_ids()`, from revision 0004.)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from migrations.columns import (
    integer,
    money,
    references_client,
    references_workflow,
    set_now,
    string,
    timestamp,
    uuid,
)
from migrations.rls import (
    create_tenant_table,
    drop_tenant_table,
    only_app_may_execute,
    owner_reads_all,
    refuse_app_role,
)

revision: str = "0003"
down_revision: str | None = "0002"

SCHEDULER_READ = ("roi_dirty", "roi_windows")

# The body of `ledger_dirty_tenants(at)`: per tenant, its dirty markers and its windows due for a
# recheck at `at`. (0018 runs the same statement through PL/pgSQL on Citus.)
DIRTY_TENANTS = """
            SELECT t.tenant_id, sum(t.dirty)::bigint, sum(t.due)::bigint
            FROM (
                SELECT d.tenant_id, count(*) AS dirty, 0 AS due
                FROM public.roi_dirty d GROUP BY d.tenant_id
                UNION ALL
                SELECT w.tenant_id, 0, count(*)
                FROM public.roi_windows w
                WHERE w.recheck_at IS NOT NULL AND w.recheck_at <= at
                GROUP BY w.tenant_id
            ) AS t
            GROUP BY t.tenant_id
            ORDER BY t.tenant_id"""


def upgrade() -> None:
    create_tenant_table(
        "revenue_events",
        string("event_id", 200),
        uuid("client_id"),
        money("amount"),
        timestamp("occurred_at"),
        uuid("workflow_id", nullable=True),
        string("subject", 200, nullable=True),
        string("correlation_id", 200, nullable=True),
        string("kind", 100, nullable=True),
        set_now("recorded_at"),
        timestamp("processed_at", nullable=True),
        references_client(),
        references_workflow(ondelete=None),
        sa.PrimaryKeyConstraint("tenant_id", "event_id"),
        sa.Index("ix_revenue_client_occurred", "tenant_id", "client_id", "occurred_at"),
        sa.Index(
            "ix_revenue_unprocessed",
            "tenant_id",
            "client_id",
            "occurred_at",
            postgresql_where=sa.text("processed_at IS NULL"),
        ),
    )

    create_tenant_table(
        "roi_baselines",
        uuid("workflow_id"),
        uuid("client_id"),
        money("revenue_per_success"),
        money("human_cost_per_task", nullable=True),
        set_now("updated_at"),
        references_workflow(),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "client_id"),
    )

    create_tenant_table(
        "revenue_allocations",
        string("event_id", 200),
        uuid("workflow_id"),
        sa.Column("cohort_day", sa.Date(), nullable=False),
        uuid("client_id"),
        money("amount"),
        integer("runs"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["revenue_events.tenant_id", "revenue_events.event_id"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "event_id", "workflow_id", "cohort_day"),
        sa.Index("ix_allocations_window", "tenant_id", "workflow_id", "cohort_day"),
    )

    create_tenant_table(
        "roi_windows",
        uuid("workflow_id"),
        sa.Column("cohort_day", sa.Date(), nullable=False),
        uuid("client_id"),
        string("status", 5),
        integer("runs"),
        integer("successes"),
        money("cost", total=True),
        money("attributed_revenue", total=True),
        money("baseline_revenue", total=True),
        money("labor_cost", nullable=True, total=True),
        sa.Column("revision", sa.Integer(), server_default="0", nullable=False),
        timestamp("computed_at"),
        timestamp("recheck_at", nullable=True),
        string("claimants", 32, nullable=True),
        sa.CheckConstraint("status IN ('OPEN', 'FINAL')", name="ck_roi_windows_status"),
        references_workflow(),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "cohort_day", "client_id"),
        sa.Index(
            "ix_roi_windows_recheck",
            "recheck_at",
            postgresql_where=sa.text("recheck_at IS NOT NULL"),
        ),
    )

    create_tenant_table(
        "roi_dirty",
        uuid("workflow_id"),
        sa.Column("cohort_day", sa.Date(), nullable=False),
        set_now("marked_at"),
        references_workflow(),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "cohort_day"),
    )

    op.create_index(
        "ix_runs_accepted_client_ended",
        "runs",
        ["tenant_id", "client_id", "ended_at"],
        postgresql_where=sa.text("status = 'ACCEPTED'"),
    )

    _create_scheduler_function()


def _create_scheduler_function() -> None:
    refuse_app_role()
    for table in SCHEDULER_READ:
        owner_reads_all("roi_scheduler", table)
    op.execute(
        f"""
        CREATE FUNCTION ledger_dirty_tenants(at timestamptz)
        RETURNS TABLE (tenant_id uuid, dirty bigint, due bigint)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $${DIRTY_TENANTS}
        $$
        """
    )
    only_app_may_execute("ledger_dirty_tenants(timestamptz)")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS ledger_dirty_tenants(timestamptz)")
    for table in SCHEDULER_READ:
        op.execute(f"DROP POLICY IF EXISTS roi_scheduler ON {table}")
    op.drop_index("ix_runs_accepted_client_ended", table_name="runs")
    drop_tenant_table("roi_dirty")
    drop_tenant_table("roi_windows")
    drop_tenant_table("revenue_allocations")
    drop_tenant_table("roi_baselines")
    drop_tenant_table("revenue_events")
