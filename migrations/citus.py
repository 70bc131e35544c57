"""Citus: whether this database is a Citus coordinator. Revisions that distribute tables or
rewrite functions for Citus do nothing on plain PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def citus_installed() -> bool:
    """True when the `citus` extension is installed in this database."""
    return bool(
        op.get_bind()
        .execute(sa.text("SELECT true FROM pg_extension WHERE extname = 'citus'"))
        .scalar()
    )
