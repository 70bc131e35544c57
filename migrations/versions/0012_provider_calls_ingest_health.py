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
from sqlalchemy.dialects import postgresql

from migrations.columns import string, timestamp
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0012"
down_revision: str | None = "0011"


def upgrade() -> None:
    create_tenant_table(
        "provider_calls",
        string("call_key", 300),
        string("event_id", 200),
        sa.Column("detail", sa.SmallInteger(), nullable=False),
        string("parent_span_id", 16, nullable=True),
        sa.PrimaryKeyConstraint("tenant_id", "call_key"),
        sa.Index("ix_provider_calls_event", "tenant_id", "event_id"),
        sa.Index(
            "ix_provider_calls_parent",
            "tenant_id",
            "parent_span_id",
            postgresql_where=sa.text("parent_span_id IS NOT NULL"),
        ),
    )
    create_tenant_table(
        "ingest_health",
        sa.Column("day", sa.Date(), nullable=False),
        string("source", 200),
        string("workflow_key", 200),
        string("reason", 300),
        sa.Column("spans", sa.BigInteger(), nullable=False),
        sa.Column("examples", postgresql.ARRAY(sa.Text()), nullable=False),
        timestamp("last_seen_at"),
        sa.PrimaryKeyConstraint("tenant_id", "day", "source", "workflow_key", "reason"),
    )


def downgrade() -> None:
    drop_tenant_table("ingest_health")
    drop_tenant_table("provider_calls")
