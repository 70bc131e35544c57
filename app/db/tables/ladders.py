"""Outcome events (a subject reached a ladder rung) and cost ceilings on a rung's cost.

Both reference their rung by (tenant_id, workflow_id, rung_key). Rungs are retired, never
deleted, when a ladder changes (`LadderRung.retired_at`), so these rows keep their meaning.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column, ForeignKeyConstraint, Index, String
from sqlmodel import Field, SQLModel

from app.db.tables.columns import MONEY, created_at_column, timestamp_column

# The dimensions a ceiling may slice by (a run's own tags, or its client).
CEILING_DIMENSIONS: tuple[str, ...] = ("CAMPAIGN", "CHANNEL", "VARIANT", "CLIENT", "TEAM", "CUSTOM")


def _rung_key() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "workflow_id", "rung_key"],
        ["ladder_rungs.tenant_id", "ladder_rungs.workflow_id", "ladder_rungs.key"],
        ondelete="CASCADE",
    )


class OutcomeEvent(SQLModel, table=True):
    """A subject (a lead, a deal…) or a run reached `rung_key` at `occurred_at`.

    Idempotent by `event_id`. At least one of `subject` and `correlation_id` is set: the event
    joins a cohort through the run with that correlation id, or through a run with that subject.
    """

    __tablename__ = "outcome_events"
    __table_args__ = (
        _rung_key(),
        CheckConstraint(
            "subject IS NOT NULL OR correlation_id IS NOT NULL", name="ck_outcome_events_link"
        ),
        Index(
            "ix_outcome_events_correlation",
            *("tenant_id", "workflow_id", "rung_key", "correlation_id"),
        ),
        Index("ix_outcome_events_subject", "tenant_id", "workflow_id", "rung_key", "subject"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    event_id: str = Field(primary_key=True, max_length=200)
    workflow_id: uuid.UUID
    rung_key: str = Field(max_length=100)
    subject: str | None = Field(default=None, max_length=200)
    correlation_id: str | None = Field(default=None, max_length=200)
    occurred_at: datetime = Field(sa_column=timestamp_column())
    recorded_at: datetime | None = Field(default=None, sa_column=created_at_column())


class CostCeiling(SQLModel, table=True):
    """The most one rung may cost per slice (`dimension` = `value`) of a workflow; USD, 10 dp."""

    __tablename__ = "cost_ceilings"
    __table_args__ = (
        _rung_key(),
        CheckConstraint(
            "dimension IN ("
            + ", ".join(f"'{d}'" for d in CEILING_DIMENSIONS)
            + ") AND ((dimension = 'CUSTOM') = (dimension_key <> ''))",
            name="ck_cost_ceilings_dimension",
        ),
        CheckConstraint("ceiling >= 0", name="ck_cost_ceilings_non_negative"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    rung_key: str = Field(primary_key=True, max_length=100)
    dimension: str = Field(sa_column=Column(String(20), primary_key=True))
    # The run dimension's key for dimension CUSTOM (migration 0019); '' for the others.
    dimension_key: str = Field(
        default="", sa_column=Column(String(63), primary_key=True, server_default="")
    )
    value: str = Field(primary_key=True, max_length=200)
    ceiling: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())
    updated_at: datetime | None = Field(default=None, sa_column=created_at_column())
