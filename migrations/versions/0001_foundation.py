"""foundation: tenants, clients, api keys, workflows, prices, runs, labels, usage

Revision ID: 0001
Revises:
Create Date: 2026-11-22 22:48:45.853238
"""

import sqlalchemy as sa

from migrations.columns import (
    integer,
    money,
    references_client,
    references_tenant,
    references_workflow,
    set_now,
    string,
    timestamp,
    uuid,
)
from migrations.rls import create_tenant_table, drop_tenant_table, ensure_app_role

revision: str = "0001"
down_revision: str | None = None

# A run's free-text dimensions, in column order.
DIMENSIONS = ("campaign", "channel", "variant", "team", "subject")
# The token counts of a usage event, in column order.
TOKEN_KINDS = ("input", "output", "cache_read", "cache_write", "reasoning")


def upgrade() -> None:
    ensure_app_role()
    create_tenant_table(
        "tenants",
        string("name", 200),
        set_now("created_at"),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    create_tenant_table(
        "api_keys",
        uuid("key_id"),
        string("name", 200),
        string("secret_hash", 64),
        sa.Column("scopes", sa.ARRAY(sa.String()), nullable=False),
        set_now("created_at"),
        timestamp("revoked_at", nullable=True),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "key_id"),
    )
    create_tenant_table(
        "clients",
        uuid("client_id"),
        string("name", 200),
        set_now("created_at"),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "client_id"),
        sa.UniqueConstraint("tenant_id", "name", name="uq_clients_tenant_name"),
    )
    create_tenant_table(
        "model_prices",
        string("provider", 100),
        string("model", 200),
        timestamp("effective_from"),
        money("input_per_million"),
        money("output_per_million"),
        money("cache_read_per_million", nullable=True),
        money("cache_write_per_million", nullable=True),
        money("reasoning_per_million", nullable=True),
        set_now("created_at"),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "provider", "model", "effective_from"),
    )
    create_tenant_table(
        "workflows",
        uuid("workflow_id"),
        string("key", 100),
        string("name", 200),
        string("division", 100, nullable=True),
        integer("acceptance_hold_hours"),
        integer("autonomy_level"),
        set_now("created_at"),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id"),
        sa.UniqueConstraint("tenant_id", "key", name="uq_workflows_tenant_key"),
    )
    create_tenant_table(
        "ladder_rungs",
        uuid("workflow_id"),
        string("key", 100),
        string("name", 200),
        integer("position"),
        references_workflow(),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "key"),
    )
    create_tenant_table(
        "runs",
        string("correlation_id", 200),
        uuid("workflow_id"),
        uuid("client_id", nullable=True),
        timestamp("started_at"),
        timestamp("ended_at", nullable=True),
        sa.Column("status", sa.String(length=20), server_default="RUNNING", nullable=False),
        timestamp("status_at", nullable=True),
        *(string(name, 200, nullable=True) for name in DIMENSIONS),
        set_now("created_at"),
        references_client(),
        references_workflow(ondelete=None),
        sa.PrimaryKeyConstraint("tenant_id", "correlation_id"),
        sa.Index("ix_runs_client_started", "tenant_id", "client_id", "started_at"),
        sa.Index("ix_runs_workflow_started", "tenant_id", "workflow_id", "started_at"),
    )
    create_tenant_table(
        "usage_events",
        string("event_id", 200),
        string("correlation_id", 200, nullable=True),
        uuid("workflow_id"),
        uuid("client_id", nullable=True),
        string("kind", 20),
        timestamp("occurred_at"),
        string("provider", 100, nullable=True),
        string("model", 200, nullable=True),
        string("step", 100, nullable=True),
        string("team", 200, nullable=True),
        *(_tokens(kind) for kind in TOKEN_KINDS),
        string("reasoning_effort", 50, nullable=True),
        integer("latency_ms", nullable=True),
        money("cost"),
        string("cost_source", 10),
        timestamp("price_effective_from", nullable=True),
        set_now("recorded_at"),
        references_client(),
        references_workflow(ondelete=None),
        sa.PrimaryKeyConstraint("tenant_id", "event_id"),
        sa.Index("ix_usage_correlation", "tenant_id", "correlation_id"),
        sa.Index("ix_usage_occurred", "tenant_id", "occurred_at"),
        sa.Index("ix_usage_workflow_occurred", "tenant_id", "workflow_id", "occurred_at"),
    )
    create_tenant_table(
        "run_labels",
        string("correlation_id", 200),
        timestamp("at"),
        string("status", 20),
        string("reviewer", 200, nullable=True),
        string("reason", 2000, nullable=True),
        sa.Column("applied", sa.Boolean(), nullable=False),
        set_now("recorded_at"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "correlation_id"],
            ["runs.tenant_id", "runs.correlation_id"],
        ),
        sa.PrimaryKeyConstraint("tenant_id", "correlation_id", "at", "status"),
    )


def _tokens(kind: str) -> sa.Column:
    """A count of `kind` tokens, 0 when the event does not report it."""
    return sa.Column(f"{kind}_tokens", sa.BigInteger(), server_default=sa.text("0"), nullable=False)


def downgrade() -> None:
    drop_tenant_table("run_labels")
    drop_tenant_table("usage_events")
    drop_tenant_table("runs")
    drop_tenant_table("ladder_rungs")
    drop_tenant_table("workflows")
    drop_tenant_table("model_prices")
    drop_tenant_table("clients")
    drop_tenant_table("api_keys")
    drop_tenant_table("tenants")
