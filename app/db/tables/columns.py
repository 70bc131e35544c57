"""Column helpers shared by the tables: one money type, one timestamp type, the common keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKeyConstraint, Numeric, func

# Money is exact: NUMERIC(20, 10) holds up to ten billion with ten decimal places.
MONEY = Numeric(20, 10, asdecimal=True)
# Per-million prices carry the same precision.
PRICE = Numeric(20, 10, asdecimal=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def created_at_column() -> Any:
    return Column(DateTime(timezone=True), nullable=False, server_default=func.now())


def timestamp_column(*, nullable: bool = False, primary_key: bool = False) -> Any:
    return Column(DateTime(timezone=True), nullable=nullable, primary_key=primary_key)


def money_column(*, nullable: bool = False, default: str | None = None) -> Any:
    return Column(MONEY, nullable=nullable, server_default=default)


def references_tenant() -> ForeignKeyConstraint:
    """tenant_id -> tenants, the row deleted with its tenant."""
    return ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"], ondelete="CASCADE")


def references_workflow() -> ForeignKeyConstraint:
    """(tenant_id, workflow_id) -> workflows, the row deleted with its workflow."""
    return ForeignKeyConstraint(
        ["tenant_id", "workflow_id"],
        ["workflows.tenant_id", "workflows.workflow_id"],
        ondelete="CASCADE",
    )
