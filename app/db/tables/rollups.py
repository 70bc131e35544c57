"""Rollups kept exact on every write by statement-level triggers (migration 0007).

`run_costs` holds, per correlation id, the sum and count of its usage events (whenever they
occurred) and whether a run with that id is stored. Cohort reads join it instead of summing raw
usage per run; `NOT has_run` rows are the correlation ids whose usage is workflow-level.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Numeric,
    String,
    text,
)
from sqlmodel import Field, SQLModel

from app.db.tables.columns import references_tenant


class RunCost(SQLModel, table=True):
    """Usage totals of one correlation id. Written only by the triggers of migration 0007."""

    __tablename__ = "run_costs"
    __table_args__ = (
        references_tenant(),
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
        references_tenant(),
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


class LadderReach(SQLModel, table=True):
    """Who reached a rung through which run (migration 0010): one row per (workflow, reacher,
    rung, run), the run's start, and `prev_at`, the start of the same reacher's previous run for
    that rung (in (started_at, correlation_id) order). A range's distinct reachers of a rung are
    its rows with `prev_at` before the range (or none): no DISTINCT over the range's runs.
    Written only by `drain_ladder_reach()` and the repair function of migration 0010.
    """

    __tablename__ = "ladder_reach"
    __table_args__ = (
        references_tenant(),
        Index(
            "ix_ladder_reach_range",
            "tenant_id",
            "workflow_id",
            "rung_key",
            "started_at",
            postgresql_include=["prev_at", "status_at", "who"],
        ),
        Index(
            "ix_ladder_reach_prev",
            "tenant_id",
            "workflow_id",
            "rung_key",
            "prev_at",
            postgresql_include=["started_at"],
            postgresql_where=text("prev_at IS NOT NULL"),
        ),
        Index(
            "ix_ladder_reach_held",
            "tenant_id",
            "workflow_id",
            "status_at",
            postgresql_include=["started_at", "who", "prev_at", "next_at"],
            postgresql_where=text("rung_key = 'accepted'"),
        ),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    # 's:' || subject, else 'r:' || correlation id (app.services.ladders.cohorts).
    who: str = Field(primary_key=True, max_length=210)
    rung_key: str = Field(primary_key=True, max_length=100)
    correlation_id: str = Field(primary_key=True, max_length=200)
    started_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    # The run's status time, on `accepted` rows only: the acceptance hold is applied at read time.
    status_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    prev_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The start of the reacher's next row for the rung (the held-run correction reads it).
    next_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class LadderReachDay(SQLModel, table=True):
    """`ladder_reach` rows counted per (workflow, rung, UTC start day, UTC day of `prev_at`,
    `-infinity` when none): what a range's whole days read. Kept by `drain_ladder_reach()`
    (serialized per tenant) in the same transaction as the rows."""

    __tablename__ = "ladder_reach_days"
    __table_args__ = (
        references_tenant(),
        Index("ix_ladder_reach_days_zero", "tenant_id", postgresql_where=text("n = 0")),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    rung_key: str = Field(primary_key=True, max_length=100)
    day: date = Field(sa_column=Column(Date, primary_key=True))
    prev_day: date = Field(sa_column=Column(Date, primary_key=True))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))


class LadderReachDirty(SQLModel, table=True):
    """A reacher whose `ladder_reach` rows may be stale: appended by the triggers of migration
    0010 on every write to runs or outcome events, removed by `drain_ladder_reach()`. Reads
    compute dirty reachers live."""

    __tablename__ = "ladder_reach_dirty"
    __table_args__ = (references_tenant(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger, Identity(always=False), primary_key=True),
    )
    workflow_id: uuid.UUID
    who: str = Field(sa_column=Column(String(210), nullable=False))
