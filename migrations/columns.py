"""Columns and keys the revisions repeat: the tenant key, its cascade, timestamps set by the
database, money. Each returns a fresh object (a column belongs to one table)."""

from __future__ import annotations

import sqlalchemy as sa


def tenant_id() -> sa.Column:
    """The tenant key every tenant table starts with."""
    return sa.Column("tenant_id", sa.Uuid(), nullable=False)


def references_tenant() -> sa.ForeignKeyConstraint:
    """tenant_id -> tenants, the row deleted with its tenant."""
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"], ondelete="CASCADE")


def references_workflow() -> sa.ForeignKeyConstraint:
    """(tenant_id, workflow_id) -> workflows, the row deleted with its workflow."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", "workflow_id"],
        ["workflows.tenant_id", "workflows.workflow_id"],
        ondelete="CASCADE",
    )


def set_now(name: str) -> sa.Column:
    """A timestamp the database sets when the row is inserted (created_at, recorded_at, ...)."""
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def money(name: str, *, nullable: bool = False) -> sa.Column:
    """An exact amount (USD), NUMERIC(20, 10)."""
    return sa.Column(name, sa.Numeric(precision=20, scale=10), nullable=nullable)
