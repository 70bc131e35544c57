"""Rollups kept exact on every write by statement-level triggers (migration 0007).

`run_costs` holds, per correlation id, the sum and count of its usage events (whenever they
occurred) and whether a run with that id is stored. Cohort reads join it instead of summing raw
usage per run; `NOT has_run` rows are the correlation ids whose usage is workflow-level.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import BigInteger, Boolean, Column, ForeignKeyConstraint, Index, Numeric, text
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
