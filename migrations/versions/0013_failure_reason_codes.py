"""failure reason codes: the codes a tenant declares for the reasons its runs fail

- `failure_reason_codes`: one label per (tenant, code); the code is normalised by the service
  (trimmed, whitespace collapsed, case-folded). Failure figures group label reasons by code and
  show the declared label; undeclared codes are still reported.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa

from migrations.columns import references_tenant, set_now, string
from migrations.rls import create_tenant_table, drop_tenant_table

revision: str = "0013"
down_revision: str | None = "0012"


def upgrade() -> None:
    create_tenant_table(
        "failure_reason_codes",
        string("code", 200),
        string("label", 200),
        set_now("created_at"),
        sa.CheckConstraint("code <> '' AND label <> ''", name="ck_failure_reason_codes_text"),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "code"),
    )


def downgrade() -> None:
    drop_tenant_table("failure_reason_codes")
