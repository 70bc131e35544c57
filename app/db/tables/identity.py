"""Who may sign in to a tenant: its identity provider, its people, invitations, and the audit log.

A tenant has at most one OpenID Connect provider for its staff; the client secret is stored
encrypted (app/identity/secrets.py). People are rows of `users`: staff come from the provider
(keyed by issuer and subject), client viewers from an accepted invitation (bound to one client).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Column, ForeignKeyConstraint, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.db.tables.columns import created_at_column, references_tenant, timestamp_column


class IdentityProvider(SQLModel, table=True):
    __tablename__ = "identity_providers"
    __table_args__ = (references_tenant(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    issuer: str = Field(max_length=500)
    client_id: str = Field(max_length=500)
    client_secret_encrypted: str = Field(max_length=2000)
    allowed_domains: list[str] = Field(sa_column=Column(ARRAY(String), nullable=False))
    role_claim: str = Field(max_length=200)
    # provider group or claim value -> role name (OWNER, ENGINEER, ANALYST)
    role_map: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=created_at_column())


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (
        references_tenant(),
        ForeignKeyConstraint(
            ["tenant_id", "client_id"], ["clients.tenant_id", "clients.client_id"]
        ),
        UniqueConstraint("tenant_id", "subject", name="uq_users_tenant_subject"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(primary_key=True)
    email: str = Field(max_length=320)
    # "<issuer>|<sub>" for provider users; "invitation|<invitation id>" for invited viewers
    subject: str = Field(max_length=900)
    role: str = Field(max_length=20)
    client_id: uuid.UUID | None = Field(default=None)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    last_sign_in_at: datetime | None = Field(
        default=None, sa_column=timestamp_column(nullable=True)
    )
    removed_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class Invitation(SQLModel, table=True):
    __tablename__ = "invitations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "client_id"], ["clients.tenant_id", "clients.client_id"]
        ),
        UniqueConstraint("tenant_id", "token_hash", name="uq_invitations_token"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    invitation_id: uuid.UUID = Field(primary_key=True)
    client_id: uuid.UUID
    email: str = Field(max_length=320)
    token_hash: str = Field(max_length=64)
    created_by: str = Field(max_length=300)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    expires_at: datetime = Field(sa_column=timestamp_column())
    accepted_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    user_id: uuid.UUID | None = Field(default=None)


class AuditEvent(SQLModel, table=True):
    """Sign-ins, sign-outs, invitations, revocations and provider changes, newest last."""

    __tablename__ = "audit_log"
    __table_args__ = (references_tenant(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    event_id: uuid.UUID = Field(primary_key=True)
    at: datetime = Field(sa_column=timestamp_column())
    actor: str = Field(max_length=900)
    action: str = Field(max_length=60)
    detail: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
