"""identity: the tenant's OpenID Connect provider, users, client invitations, the audit log

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations.columns import references_tenant
from migrations.rls import disable_tenant_rls, enable_tenant_rls

revision: str = "0015"
down_revision: str | None = "0014"

TABLES = ("identity_providers", "users", "invitations", "audit_log")


def upgrade() -> None:
    now = sa.text("now()")
    op.create_table(
        "identity_providers",
        sa.Column("tenant_id", sa.Uuid(), primary_key=True),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(500), nullable=False),
        sa.Column("client_secret_encrypted", sa.String(2000), nullable=False),
        sa.Column("allowed_domains", postgresql.ARRAY(sa.String()), nullable=False),
        sa.Column("role_claim", sa.String(200), nullable=False),
        sa.Column("role_map", postgresql.JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        references_tenant(),
    )
    op.create_table(
        "users",
        sa.Column("tenant_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(900), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("last_sign_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        references_tenant(),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"], ["clients.tenant_id", "clients.client_id"]
        ),
        sa.UniqueConstraint("tenant_id", "subject", name="uq_users_tenant_subject"),
    )
    op.create_table(
        "invitations",
        sa.Column("tenant_id", sa.Uuid(), primary_key=True),
        sa.Column("invitation_id", sa.Uuid(), primary_key=True),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "client_id"], ["clients.tenant_id", "clients.client_id"]
        ),
        sa.UniqueConstraint("tenant_id", "token_hash", name="uq_invitations_token"),
    )
    op.create_table(
        "audit_log",
        sa.Column("tenant_id", sa.Uuid(), primary_key=True),
        sa.Column("event_id", sa.Uuid(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(900), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("detail", postgresql.JSONB(), nullable=False),
        references_tenant(),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["tenant_id", "at", "event_id"])
    for table in TABLES:
        enable_tenant_rls(table)


def downgrade() -> None:
    for table in TABLES:
        disable_tenant_rls(table)
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    for table in reversed(TABLES):
        op.drop_table(table)
