"""provider calls and ingest health: one charge per provider call, and nothing dropped in silence

- `provider_calls`: the usage event that charges one provider call, keyed by the call
  (`response:<provider>:<response id>`, or `span:<span id>` for a model-call span without a
  response id), with how much that span said (`detail`: token kinds reported) and its parent
  span id (a model-call span nested in another reports the same call). OTLP ingest claims the
  key before it stores a span, so a second span of the same call — in the same export or a
  later one — is not charged again; a more detailed one corrects the stored event in place.
- `ingest_health`: per (tenant, UTC day, source, workflow, reason) how many spans were rejected
  or stored with less detail than their provider gives, with the latest few examples — what
  `ingestHealth` reads, for senders whose exporter drops `partial_success`.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    create_tenant_table(
        "provider_calls",
        sa.Column("call_key", sa.String(length=300), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.SmallInteger(), nullable=False),
        sa.Column("parent_span_id", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "call_key"),
    )
    op.create_index("ix_provider_calls_event", "provider_calls", ["tenant_id", "event_id"])
    op.create_index(
        "ix_provider_calls_parent",
        "provider_calls",
        ["tenant_id", "parent_span_id"],
        postgresql_where=sa.text("parent_span_id IS NOT NULL"),
    )
    create_tenant_table(
        "ingest_health",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("workflow_key", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("spans", sa.BigInteger(), nullable=False),
        sa.Column("examples", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", "source", "workflow_key", "reason"),
    )


def downgrade() -> None:
    drop_tenant_table("ingest_health")
    op.drop_index("ix_provider_calls_parent", table_name="provider_calls")
    op.drop_index("ix_provider_calls_event", table_name="provider_calls")
    drop_tenant_table("provider_calls")
