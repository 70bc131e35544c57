"""Revenue, baselines, and the ROI windows the workers compute from them.

- `revenue_events`: recorded revenue, idempotent by event id; always a client's, optionally
  linked to a workflow, a subject or a run (correlation id; no foreign key, since revenue may
  arrive before its run, like usage).
- `roi_baselines`: what the manual process earned per success and cost per task, per workflow,
  optionally per client.
- `revenue_allocations`: how each revenue event is split over the windows whose runs claim it
  (see app.domain.attribution), one row per (event, window). An event with no rows here is
  unattributed. A window's attributed revenue is one indexed sum. No foreign key to runs or
  windows: these rows are derived, and rewritten only by the recompute jobs.
- `roi_windows`: one row per (workflow, client, cohort day), written only by the workers.
- `roi_dirty`: (workflow, cohort day) pairs whose windows must be recomputed. Ingest writes them
  in its own transaction, so nothing is lost when Redis is down; jobs and the cron drain them.

`client_id` of `roi_baselines` and `roi_windows` is NOT NULL: `NO_CLIENT` (the nil UUID) stands
for "no client" (a window of runs without a client) and "every client" (a workflow-wide
baseline), so each can be part of the primary key. Services translate it to and from None.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    ARRAY,
    Column,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    Numeric,
    String,
    Uuid,
    text,
)
from sqlmodel import Field, SQLModel

from app.db.tables.columns import MONEY, created_at_column, references_workflow, timestamp_column
from app.db.tables.runs import Run

NO_CLIENT = uuid.UUID(int=0)
"""Stands for "no client" in `roi_windows` and "every client" in `roi_baselines`."""

# Sums of many events: up to 10^18 with ten decimal places.
TOTAL = Numeric(28, 10, asdecimal=True)

_RUNS = Run.__table__  # type: ignore[attr-defined]
# Attribution looks up a client's accepted runs by end time (created by revision 0003).
Index(
    "ix_runs_accepted_client_ended",
    _RUNS.c.tenant_id,
    _RUNS.c.client_id,
    _RUNS.c.ended_at,
    postgresql_where=text("status = 'ACCEPTED'"),
)
# Revenue linked by subject: that subject's accepted runs of the client (revision 0008).
Index(
    "ix_runs_accepted_client_subject_ended",
    _RUNS.c.tenant_id,
    _RUNS.c.client_id,
    _RUNS.c.subject,
    _RUNS.c.ended_at,
    postgresql_where=text("status = 'ACCEPTED' AND subject IS NOT NULL"),
)
# Recomputing one client's windows of a (workflow, day) (revision 0008).
Index(
    "ix_runs_workflow_client_started",
    _RUNS.c.tenant_id,
    _RUNS.c.workflow_id,
    _RUNS.c.client_id,
    _RUNS.c.started_at,
)


class RevenueEvent(SQLModel, table=True):
    """Revenue of one client (currency units, whole cents; negative for refunds/corrections)."""

    __tablename__ = "revenue_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "client_id"], ["clients.tenant_id", "clients.client_id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "workflow_id"], ["workflows.tenant_id", "workflows.workflow_id"]
        ),
        Index("ix_revenue_client_occurred", "tenant_id", "client_id", "occurred_at"),
        Index(
            "ix_revenue_unprocessed",
            "tenant_id",
            "client_id",
            "occurred_at",
            postgresql_where=text("processed_at IS NULL"),
        ),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    event_id: str = Field(primary_key=True, max_length=200)
    client_id: uuid.UUID
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    occurred_at: datetime = Field(sa_column=timestamp_column())
    workflow_id: uuid.UUID | None = None
    subject: str | None = Field(default=None, max_length=200)
    correlation_id: str | None = Field(default=None, max_length=200)
    kind: str | None = Field(default=None, max_length=100)
    recorded_at: datetime | None = Field(default=None, sa_column=created_at_column())
    # When a recompute first attributed the event (or found nothing to claim it); NULL: new.
    processed_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))


class RoiBaseline(SQLModel, table=True):
    """The manual process's revenue per success and human cost per task (currency units)."""

    __tablename__ = "roi_baselines"
    __table_args__ = (references_workflow(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    client_id: uuid.UUID = Field(primary_key=True)  # NO_CLIENT: workflow-wide
    revenue_per_success: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    human_cost_per_task: Decimal | None = Field(default=None, sa_column=Column(MONEY))
    updated_at: datetime | None = Field(default=None, sa_column=created_at_column())


class RevenueAllocation(SQLModel, table=True):
    """The part of one revenue event claimed by the runs of one window (whole cents).

    The split is per run (app.domain.attribution); a window's runs' shares are summed here, so
    an event split over hundreds of runs costs one row per window, not one per run.
    """

    __tablename__ = "revenue_allocations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "event_id"],
            ["revenue_events.tenant_id", "revenue_events.event_id"],
            ondelete="CASCADE",
        ),
        # Migration 0011: a window's own rows (client included), amount covered.
        Index(
            "ix_allocations_window",
            "tenant_id",
            "workflow_id",
            "cohort_day",
            "client_id",
            postgresql_include=["amount"],
        ),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    event_id: str = Field(primary_key=True, max_length=200)
    workflow_id: uuid.UUID = Field(primary_key=True)
    cohort_day: date = Field(sa_column=Column(Date, primary_key=True))
    client_id: uuid.UUID  # the event's client: every claimant is the client's run
    amount: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    runs: int = Field(sa_column=Column(Integer, nullable=False))  # claimants in this window


class RoiWindow(SQLModel, table=True):
    """One (workflow, client, cohort day) window, as last computed by a worker.

    `revision` counts recomputations that changed the figures of a window already FINAL.
    `computed_at` is when the figures (or the status) last changed: a recompute that finds the
    same figures leaves the row untouched. `recheck_at` is the next instant at which the clock
    alone changes the window (it becomes FINAL, or a pending acceptance's hold ends); the cron
    recomputes windows whose `recheck_at` has passed.
    """

    __tablename__ = "roi_windows"
    __table_args__ = (
        references_workflow(),
        Index(
            "ix_roi_windows_recheck", "recheck_at", postgresql_where=text("recheck_at IS NOT NULL")
        ),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    cohort_day: date = Field(sa_column=Column(Date, primary_key=True))
    client_id: uuid.UUID = Field(primary_key=True)  # NO_CLIENT: runs without a client
    status: str = Field(sa_column=Column(String(5), nullable=False))
    runs: int = Field(sa_column=Column(Integer, nullable=False))
    successes: int = Field(sa_column=Column(Integer, nullable=False))
    cost: Decimal = Field(sa_column=Column(TOTAL, nullable=False))
    attributed_revenue: Decimal = Field(sa_column=Column(TOTAL, nullable=False))
    baseline_revenue: Decimal = Field(sa_column=Column(TOTAL, nullable=False))
    labor_cost: Decimal | None = Field(default=None, sa_column=Column(TOTAL))
    revision: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    computed_at: datetime = Field(sa_column=timestamp_column())
    recheck_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    # Fingerprint of the runs that could claim revenue (counted ACCEPTED, with their end and
    # subject) when revenue was last attributed for this window; NULL: never attributed here.
    claimants: str | None = Field(default=None, sa_column=Column(String(32)))


class RoiDirty(SQLModel, table=True):
    """A (workflow, cohort day) whose windows must be recomputed."""

    __tablename__ = "roi_dirty"
    __table_args__ = (references_workflow(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    cohort_day: date = Field(sa_column=Column(Date, primary_key=True))
    marked_at: datetime | None = Field(default=None, sa_column=created_at_column())
    # Only these clients' windows changed (a revenue event); NULL: every client (0008).
    clients: list[uuid.UUID] | None = Field(
        default=None, sa_column=Column(ARRAY(Uuid()), nullable=True)
    )
