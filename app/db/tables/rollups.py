"""Rollups kept exact on every write by statement-level triggers (migration 0007).

`run_costs` holds, per correlation id, the sum and count of its usage events (whenever they
occurred) and whether a run with that id is stored. Cohort reads join it instead of summing raw
usage per run; `NOT has_run` rows are the correlation ids whose usage is workflow-level.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKeyConstraint,
    Identity,
    Index,
    Numeric,
    String,
    text,
)
from sqlmodel import Field, SQLModel


class RunCost(SQLModel, table=True):
    """Usage totals of one correlation id. Written only by the triggers of migration 0007."""

    __tablename__ = "run_costs"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"], ondelete="CASCADE"),
        Index("ix_run_costs_orphans", "tenant_id", postgresql_where=text("NOT has_run")),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    correlation_id: str = Field(primary_key=True, max_length=200)
    # Unconstrained NUMERIC: a sum of NUMERIC(20, 10) costs, exact, never rounded.
    cost: Decimal = Field(
        default=Decimal(0),
        sa_column=Column(Numeric(asdecimal=True), nullable=False, server_default=text("0")),
    )
    events: int = Field(
        default=0, sa_column=Column(BigInteger, nullable=False, server_default=text("0"))
    )
    has_run: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )


class CohortDay(SQLModel, table=True):
    """A change of one cohort bucket: runs started on `day` (UTC) of a workflow, client and
    status, with the exact sum of their usage cost (rack rate); each change is also recorded
    for all clients together (`all_clients`). Append-only: a bucket is the sum of its rows.
    Written only by the triggers of migration 0009 (and its repair functions).
    """

    __tablename__ = "cohort_days"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"], ondelete="CASCADE"),
        Index("ix_cohort_days_workflow_day", "tenant_id", "workflow_id", "all_clients", "day"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    workflow_id: uuid.UUID
    day: date = Field(sa_column=Column(Date, nullable=False))
    client_id: uuid.UUID | None = None
    status: str = Field(sa_column=Column(String(20), nullable=False))
    # True: the change for all clients together (client_id NULL); false: for `client_id`.
    all_clients: bool = Field(sa_column=Column(Boolean, nullable=False))
    runs: int = Field(sa_column=Column(BigInteger, nullable=False))
    cost: Decimal = Field(sa_column=Column(Numeric(asdecimal=True), nullable=False))
