"""Workflows, their outcome ladders, and the per-tenant price book."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.db.tables.columns import (
    PRICE,
    created_at_column,
    references_tenant,
    references_workflow,
    timestamp_column,
)


class Workflow(SQLModel, table=True):
    __tablename__ = "workflows"
    __table_args__ = (
        references_tenant(),
        UniqueConstraint("tenant_id", "key", name="uq_workflows_tenant_key"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    key: str = Field(max_length=100)
    name: str = Field(max_length=200)
    division: str | None = Field(default=None, max_length=100)
    acceptance_hold_hours: int = Field(default=0, ge=0)
    autonomy_level: int = Field(default=0, ge=0)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class LadderRung(SQLModel, table=True):
    """One rung of a workflow's outcome ladder, in `position` order (0 first).

    A rung removed from the ladder is retired (`retired_at` set), never deleted: its outcome
    events and ceilings are kept, and re-adding its key revives it.
    """

    __tablename__ = "ladder_rungs"
    __table_args__ = (references_workflow(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    key: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    position: int = Field(ge=0)
    retired_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class ModelPrice(SQLModel, table=True):
    """An effective-dated price per million tokens; the latest `effective_from` <= t is in force."""

    __tablename__ = "model_prices"
    __table_args__ = (references_tenant(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    provider: str = Field(primary_key=True, max_length=100)
    model: str = Field(primary_key=True, max_length=200)
    effective_from: datetime = Field(sa_column=timestamp_column(primary_key=True))
    input_per_million: Decimal = Field(sa_column=Column(PRICE, nullable=False))
    output_per_million: Decimal = Field(sa_column=Column(PRICE, nullable=False))
    cache_read_per_million: Decimal | None = Field(default=None, sa_column=Column(PRICE))
    cache_write_per_million: Decimal | None = Field(default=None, sa_column=Column(PRICE))
    reasoning_per_million: Decimal | None = Field(default=None, sa_column=Column(PRICE))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
