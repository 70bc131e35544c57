"""Columns, keys and checks the revisions repeat: the tenant key and the keys that lead with it,
plain typed columns, timestamps set by the database, money. Each returns a fresh object (a column
belongs to one table)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa


def tenant_id() -> sa.Column[Any]:
    """The tenant key every tenant table starts with."""
    return sa.Column("tenant_id", sa.Uuid(), nullable=False)


def string(name: str, length: int, *, nullable: bool = False) -> sa.Column[Any]:
    """A VARCHAR(length) column."""
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def uuid(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Uuid(), nullable=nullable)


def integer(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A timestamp with time zone the application sets."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def set_now(name: str) -> sa.Column[Any]:
    """A timestamp the database sets when the row is inserted (created_at, recorded_at, ...)."""
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def money(name: str, *, nullable: bool = False, total: bool = False) -> sa.Column[Any]:
    """An exact amount (USD), NUMERIC(20, 10); a `total` of many amounts NUMERIC(28, 10)."""
    precision = 28 if total else 20
    return sa.Column(name, sa.Numeric(precision=precision, scale=10), nullable=nullable)


def references_tenant() -> sa.ForeignKeyConstraint:
    """tenant_id -> tenants, the row deleted with its tenant."""
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.tenant_id"], ondelete="CASCADE")


def references_workflow(*, ondelete: str | None = "CASCADE") -> sa.ForeignKeyConstraint:
    """(tenant_id, workflow_id) -> workflows; by default the row is deleted with its workflow."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", "workflow_id"],
        ["workflows.tenant_id", "workflows.workflow_id"],
        ondelete=ondelete,
    )


def references_client() -> sa.ForeignKeyConstraint:
    """(tenant_id, client_id) -> clients (a client with rows cannot be deleted)."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", "client_id"], ["clients.tenant_id", "clients.client_id"]
    )


def references_rung() -> sa.ForeignKeyConstraint:
    """(tenant_id, workflow_id, rung_key) -> ladder_rungs, the row deleted with its rung (rungs
    are retired, never deleted)."""
    return sa.ForeignKeyConstraint(
        ["tenant_id", "workflow_id", "rung_key"],
        ["ladder_rungs.tenant_id", "ladder_rungs.workflow_id", "ladder_rungs.key"],
        ondelete="CASCADE",
    )


def one_of(column: str, values: Sequence[str]) -> str:
    """The CHECK expression `column IN ('a', 'b', ...)`."""
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"
