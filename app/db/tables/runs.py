"""Runs (one task attempt per correlation id), their label history, and metered usage."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Column, ForeignKeyConstraint, Index, Integer, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.db.tables.columns import (
    MONEY,
    created_at_column,
    references_client,
    references_workflow,
    timestamp_column,
)


class Run(SQLModel, table=True):
    """One task attempt. `status`/`status_at`/`ended_at` are derived from the label history."""

    __tablename__ = "runs"
    __table_args__ = (
        references_workflow(cascade=False),
        references_client(),
        Index("ix_runs_workflow_started", "tenant_id", "workflow_id", "started_at"),
        Index("ix_runs_client_started", "tenant_id", "client_id", "started_at"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    correlation_id: str = Field(primary_key=True, max_length=200)
    workflow_id: uuid.UUID
    client_id: uuid.UUID | None = None
    started_at: datetime = Field(sa_column=timestamp_column())
    ended_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    status: str = Field(
        default="RUNNING", sa_column=Column(String(20), nullable=False, server_default="RUNNING")
    )
    status_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    campaign: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(default=None, max_length=200)
    variant: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200)
    subject: str | None = Field(default=None, max_length=200)
    # The tenant's own dimensions (declared in run_dimensions): key → string value.
    dimensions: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class RunLabel(SQLModel, table=True):
    """Every status signal given to a run: who, when, why. Idempotent by (run, at, status)."""

    __tablename__ = "run_labels"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "correlation_id"], ["runs.tenant_id", "runs.correlation_id"]
        ),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    correlation_id: str = Field(primary_key=True, max_length=200)
    at: datetime = Field(sa_column=timestamp_column(primary_key=True))
    status: str = Field(sa_column=Column(String(20), primary_key=True))
    reviewer: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=2000)
    applied: bool = True
    recorded_at: datetime | None = Field(default=None, sa_column=created_at_column())


class UsageEvent(SQLModel, table=True):
    """One metered thing that cost money. `cost` is reported, or priced from the price book.

    Usage carries no foreign key to `runs`: events may arrive before their run. Events without a
    correlation id, or whose run never arrives, are workflow-level costs booked at `occurred_at`.
    """

    __tablename__ = "usage_events"
    __table_args__ = (
        references_workflow(cascade=False),
        references_client(),
        Index("ix_usage_correlation", "tenant_id", "correlation_id"),
        Index("ix_usage_workflow_occurred", "tenant_id", "workflow_id", "occurred_at"),
        Index("ix_usage_occurred", "tenant_id", "occurred_at"),
        # Usage with no correlation id: half of the workflow-level costs (migration 0007).
        Index(
            "ix_usage_workflow_level",
            "tenant_id",
            "workflow_id",
            "occurred_at",
            postgresql_where=text("correlation_id IS NULL"),
        ),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    event_id: str = Field(primary_key=True, max_length=200)
    correlation_id: str | None = Field(default=None, max_length=200)
    workflow_id: uuid.UUID
    client_id: uuid.UUID | None = None
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    occurred_at: datetime = Field(sa_column=timestamp_column())
    provider: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=200)
    step: str | None = Field(default=None, max_length=100)
    team: str | None = Field(default=None, max_length=200)
    input_tokens: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    output_tokens: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    cache_read_tokens: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    cache_write_tokens: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    reasoning_tokens: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    reasoning_effort: str | None = Field(default=None, max_length=50)
    latency_ms: int | None = Field(default=None, sa_column=Column(Integer))
    cost: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    # "reported" (given on the event) or "priced" (from the price book version below).
    cost_source: str = Field(sa_column=Column(String(10), nullable=False))
    price_effective_from: datetime | None = Field(
        default=None, sa_column=timestamp_column(nullable=True)
    )
    recorded_at: datetime | None = Field(default=None, sa_column=created_at_column())
