"""identity: the tenant's OpenID Connect provider, users, client invitations, the audit log

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from migrations.columns import (
    references_client,
    references_tenant,
    set_now,
    string,
    timestamp,
    uuid,
)
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0015"
down_revision: str | None = "0014"

TABLES = ("identity_providers", "users", "invitations", "audit_log")


def upgrade() -> None:
    create_tenant_table(
        "identity_providers",
        string("issuer", 500),
        string("client_id", 500),
        string("client_secret_encrypted", 2000),
        sa.Column("allowed_domains", postgresql.ARRAY(sa.String()), nullable=False),
        string("role_claim", 200),
        sa.Column("role_map", postgresql.JSONB(), nullable=False),
        set_now("updated_at"),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id"),
    )
    create_tenant_table(
        "users",
        uuid("user_id"),
        string("email", 320),
        string("subject", 900),
        string("role", 20),
        uuid("client_id", nullable=True),
        set_now("created_at"),
        timestamp("last_sign_in_at", nullable=True),
        timestamp("removed_at", nullable=True),
        references_tenant(),
        references_client(),
        sa.PrimaryKeyConstraint("tenant_id", "user_id"),
        sa.UniqueConstraint("tenant_id", "subject", name="uq_users_tenant_subject"),
    )
    create_tenant_table(
        "invitations",
        uuid("invitation_id"),
        uuid("client_id"),
        string("email", 320),
        string("token_hash", 64),
        string("created_by", 300),
        set_now("created_at"),
        timestamp("expires_at"),
        timestamp("accepted_at", nullable=True),
        timestamp("revoked_at", nullable=True),
        uuid("user_id", nullable=True),
        references_client(),
        sa.PrimaryKeyConstraint("tenant_id", "invitation_id"),
        sa.UniqueConstraint("tenant_id", "token_hash", name="uq_invitations_token"),
    )
    create_tenant_table(
        "audit_log",
        uuid("event_id"),
        timestamp("at"),
        string("actor", 900),
        string("action", 60),
        sa.Column("detail", postgresql.JSONB(), nullable=False),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "event_id"),
        sa.Index("ix_audit_log_at", "tenant_id", "at", "event_id"),
    )


def downgrade() -> None:
    for table in reversed(TABLES):
        drop_tenant_table(table)
