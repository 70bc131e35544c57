"""A tenant's own vocabulary for decisions: failure reason codes and finding thresholds."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Column, Numeric
from sqlmodel import Field, SQLModel

from app.db.tables.columns import created_at_column, references_tenant


class FailureReasonCode(SQLModel, table=True):
    """A declared failure reason code (normalised: trimmed, whitespace collapsed, case-folded)
    with the label figures show for it."""

    __tablename__ = "failure_reason_codes"
    __table_args__ = (references_tenant(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    code: str = Field(primary_key=True, max_length=200)
    label: str = Field(max_length=200)
    created_at: datetime | None = Field(default=None, sa_column=created_at_column())


class FindingThreshold(SQLModel, table=True):
    """A tenant's value for one findings threshold (names and defaults: app.domain.findings)."""

    __tablename__ = "finding_thresholds"
    __table_args__ = (references_tenant(),)

    tenant_id: uuid.UUID = Field(primary_key=True)
    name: str = Field(primary_key=True, max_length=100)
    value: Decimal = Field(sa_column=Column(Numeric(30, 10, asdecimal=True), nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=created_at_column())
