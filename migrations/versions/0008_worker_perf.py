"""worker perf: a dirty ROI marker may name the clients whose windows changed

- `roi_dirty.clients`: NULL means every client of the (workflow, day) — what every marker meant
  until now, and what runs, usage and baselines still mark; a revenue event marks the windows
  its claimants belong to with its own client only, so draining them recomputes those (workflow,
  day, client) windows instead of every client's. Marking again merges the lists (NULL wins).
- `ix_runs_accepted_client_subject_ended`: a client's accepted runs of one subject by end time,
  for revenue linked by subject (without it, each such event scans all the client's runs of
  its 30 days: minutes for a full rebuild of a large client).
- `ix_runs_workflow_client_started`: one client's runs of a (workflow, day), for recomputing
  the windows such a marker names (and the windows a revenue split moved into).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"


def upgrade() -> None:
    op.add_column("roi_dirty", sa.Column("clients", sa.ARRAY(sa.Uuid()), nullable=True))
    op.create_index(
        "ix_runs_accepted_client_subject_ended",
        "runs",
        ["tenant_id", "client_id", "subject", "ended_at"],
        postgresql_where=sa.text("status = 'ACCEPTED' AND subject IS NOT NULL"),
    )
    op.create_index(
        "ix_runs_workflow_client_started",
        "runs",
        ["tenant_id", "workflow_id", "client_id", "started_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_runs_workflow_client_started", table_name="runs")
    op.drop_index("ix_runs_accepted_client_subject_ended", table_name="runs")
    op.drop_column("roi_dirty", "clients")
