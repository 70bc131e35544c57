"""Tenants (agencies), their clients, and the API keys machines ingest with."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ARRAY, Column, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db.tables.columns import created_at_column, references_tenant, timestamp_column


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"

    tenant_id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class Client(SQLModel, table=True):
    __tablename__ = "clients"
    __table_args__ = (
        references_tenant(),
        UniqueConstraint("tenant_id", "name", name="uq_clients_tenant_name"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    client_id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class ApiKey(SQLModel, table=True):
    """A machine credential: only the SHA-256 of the secret is stored; shown once at creation."""

    __tablename__ = "api_keys"
    __table_args__ = (references_tenant(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    key_id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=64)
    scopes: list[str] = Field(sa_column=Column(ARRAY(String), nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
