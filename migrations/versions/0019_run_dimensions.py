"""run dimensions: a tenant's own run dimensions (ICP segment, region, deal size band…)

- `run_dimensions`: one row per (tenant, key) the tenant declared: a description, the allowed
  values (NULL: free text) and `retired_at` (a retired key is refused on new runs; stored
  values stay readable and filterable).
- `runs.dimensions`: the run's values, a JSON object of declared key → string value (`{}` when
  none). Adding a column with a constant default rewrites no rows. No index: every figure reads
  a workflow's runs by start time (ix_runs_workflow_started) and tests the dimension on those
  rows; see docs/dimensions.md.

- `cost_ceilings.dimension_key`: a ceiling may slice by a run dimension (dimension `CUSTOM`,
  the key here; '' for the built-in dimensions), part of the primary key.

On a Citus coordinator the new table is distributed by tenant_id and co-located with `tenants`,
as migration 0017 did for every tenant table.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from migrations.citus import citus_installed
from migrations.columns import one_of, references_tenant, set_now, string, timestamp
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


CEILING_DIMENSIONS = ("CAMPAIGN", "CHANNEL", "VARIANT", "CLIENT", "TEAM")
CEILING_KEY = ("tenant_id", "workflow_id", "rung_key", "dimension", "value")


def upgrade() -> None:
    op.add_column(
        "runs",
        sa.Column("dimensions", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
    )
    op.create_check_constraint(
        "ck_runs_dimensions_object", "runs", "jsonb_typeof(dimensions) = 'object'"
    )
    create_tenant_table(
        "run_dimensions",
        string("key", 63),
        string("description", 500),
        sa.Column("allowed_values", ARRAY(sa.Text()), nullable=True),
        timestamp("retired_at", nullable=True),
        set_now("created_at"),
        sa.CheckConstraint("key ~ '^[a-z][a-z0-9_]{0,62}$'", name="ck_run_dimensions_key"),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "key"),
    )

    op.add_column(
        "cost_ceilings",
        sa.Column("dimension_key", sa.String(length=63), server_default="", nullable=False),
    )
    op.drop_constraint("ck_cost_ceilings_dimension", "cost_ceilings")
    op.create_check_constraint(
        "ck_cost_ceilings_dimension",
        "cost_ceilings",
        one_of("dimension", (*CEILING_DIMENSIONS, "CUSTOM"))
        + " AND ((dimension = 'CUSTOM') = (dimension_key <> ''))",
    )
    op.drop_constraint("cost_ceilings_pkey", "cost_ceilings", type_="primary")
    op.create_primary_key(
        "cost_ceilings_pkey",
        "cost_ceilings",
        ["tenant_id", "workflow_id", "rung_key", "dimension", "dimension_key", "value"],
    )
    if citus_installed():
        op.execute(
            "SELECT create_distributed_table('run_dimensions', 'tenant_id', "
            "colocate_with => 'tenants')"
        )


def downgrade() -> None:
    op.execute("DELETE FROM cost_ceilings WHERE dimension = 'CUSTOM'")
    op.drop_constraint("cost_ceilings_pkey", "cost_ceilings", type_="primary")
    op.create_primary_key("cost_ceilings_pkey", "cost_ceilings", list(CEILING_KEY))
    op.drop_constraint("ck_cost_ceilings_dimension", "cost_ceilings")
    op.create_check_constraint(
        "ck_cost_ceilings_dimension", "cost_ceilings", one_of("dimension", CEILING_DIMENSIONS)
    )
    op.drop_column("cost_ceilings", "dimension_key")
    drop_tenant_table("run_dimensions")
    op.drop_constraint("ck_runs_dimensions_object", "runs")
    op.drop_column("runs", "dimensions")
