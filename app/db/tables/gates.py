"""Autonomy gates (versioned), their stored evaluations, and the promotion audit trail.

- `autonomy_gates`: one row per *version* of a workflow's gate for a target level. Setting a gate
  inserts the next version; nothing is updated or deleted, so the history of changes is the table.
  The gate in force is the highest version.
- `gate_evaluations`: what the worker found each time it evaluated a gate (the readiness JSON
  holds every number and sentence), with the workflow's level at that moment.
- `autonomy_events`: every promotion, refused promotion, demotion and automatic demotion, with
  its actor, time, levels and the readiness that justified it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Double, ForeignKeyConstraint, Index, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from app.db.tables.columns import MONEY, references_workflow, timestamp_column


class AutonomyGate(SQLModel, table=True):
    __tablename__ = "autonomy_gates"
    __table_args__ = (references_workflow(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID = Field(primary_key=True)
    target_level: int = Field(primary_key=True)
    version: int = Field(primary_key=True)
    min_acceptance_rate: float = Field(sa_column=Column(Double, nullable=False))
    min_sample_size: int
    confidence: float = Field(sa_column=Column(Double, nullable=False))
    max_cost_per_outcome: Decimal = Field(sa_column=Column(MONEY, nullable=False))
    max_drift_pct: float = Field(sa_column=Column(Double, nullable=False))
    window_days: int
    auto_demote_after: int | None = Field(default=None, sa_column=Column(Integer))
    set_by: str = Field(max_length=200)
    set_at: datetime = Field(sa_column=timestamp_column())


class GateEvaluation(SQLModel, table=True):
    __tablename__ = "gate_evaluations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "workflow_id", "target_level", "gate_version"],
            [
                "autonomy_gates.tenant_id",
                "autonomy_gates.workflow_id",
                "autonomy_gates.target_level",
                "autonomy_gates.version",
            ],
            ondelete="CASCADE",
        ),
        Index("ix_gate_evaluations_workflow", "tenant_id", "workflow_id", "evaluated_at"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    evaluation_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID
    target_level: int
    gate_version: int
    # The workflow's autonomy level when the gate was evaluated.
    workflow_level: int
    # Worst-of the three checks: PASS, FAIL or INSUFFICIENT_DATA.
    status: str = Field(sa_column=Column(String(20), nullable=False))
    readiness: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    evaluated_at: datetime = Field(sa_column=timestamp_column())


class AutonomyEvent(SQLModel, table=True):
    __tablename__ = "autonomy_events"
    __table_args__ = (
        references_workflow(),
        Index("ix_autonomy_events_workflow", "tenant_id", "workflow_id", "at"),
    )

    tenant_id: uuid.UUID = Field(primary_key=True)
    event_id: uuid.UUID = Field(primary_key=True)
    workflow_id: uuid.UUID
    # PROMOTED, REFUSED, DEMOTED or AUTO_DEMOTED.
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    actor: str = Field(max_length=200)
    from_level: int
    requested_level: int
    level_after: int
    reason: str | None = Field(default=None, max_length=2000)
    readiness: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    at: datetime = Field(sa_column=timestamp_column())
