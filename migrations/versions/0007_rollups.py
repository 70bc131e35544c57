"""rollups: per-correlation-id cost totals maintained on every write of usage and runs

- `run_costs`: one row per (tenant, correlation id) that has usage or a stored run: the exact
  sum and count of its usage events (whenever they occurred), and whether a run with that
  correlation id is stored (`has_run`). Usage that names no stored run (`NOT has_run`) is a
  workflow-level cost; the partial index finds those few ids without an anti-join over all usage.
- Statement-level AFTER triggers with transition tables keep it exact under every write path
  (ingest INSERT … ON CONFLICT DO NOTHING counts only inserted rows; COPY; repricing UPDATEs;
  deletes; usage arriving before its run). One set-based upsert per statement, keys in sorted
  order so concurrent batches lock rollup rows in the same order. They run as the invoking role,
  under the tenant's row-level security.
- `ix_usage_workflow_level`: the usage with no correlation id, by workflow and time.
- `jit = off` for the app role in this database (see JIT below).
- `run_costs_recomputed()`: what the rollup must hold, recomputed from raw usage and runs (the
  reference the tests compare it with); `rebuild_run_costs()` rewrites the current tenant's rows
  from it (a repair tool).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from migrations.columns import references_tenant, string
from migrations.functions import tenant_rewrite
from migrations.rls import (
    app_may_execute,
    app_role,
    create_tenant_table,
    drop_tenant_table,
    every_tenant,
)
from migrations.triggers import create_statement_triggers, drop_statement_triggers, on_writes

revision: str = "0007"
down_revision: str | None = "0006"

# Adds `delta` (tenant_id, correlation_id, cost, events) into run_costs, in key order.
UPSERT_DELTA = """
    INSERT INTO run_costs AS rc (tenant_id, correlation_id, cost, events, has_run)
    SELECT d.tenant_id, d.correlation_id, d.cost, d.events,
           -- A scalar subquery with LIMIT: one primary-key probe per key. (EXISTS is planned
           -- as a hashed subplan over all of the tenant's runs: 0.45 s per batch at 280k runs.)
           coalesce((SELECT true FROM runs r
                     WHERE r.tenant_id = d.tenant_id AND r.correlation_id = d.correlation_id
                     LIMIT 1), false)
    FROM ({delta}) AS d
    ORDER BY d.tenant_id, d.correlation_id
    ON CONFLICT (tenant_id, correlation_id) DO UPDATE
    SET cost = rc.cost + EXCLUDED.cost, events = rc.events + EXCLUDED.events
"""

USAGE_INSERTED = UPSERT_DELTA.format(
    delta="""SELECT tenant_id, correlation_id, sum(cost) AS cost, count(*) AS events
             FROM new_usage WHERE correlation_id IS NOT NULL GROUP BY tenant_id, correlation_id"""
)
USAGE_DELETED = UPSERT_DELTA.format(
    delta="""SELECT tenant_id, correlation_id, -sum(cost) AS cost, -count(*) AS events
             FROM old_usage WHERE correlation_id IS NOT NULL GROUP BY tenant_id, correlation_id"""
)
USAGE_UPDATED = UPSERT_DELTA.format(
    delta="""SELECT tenant_id, correlation_id, sum(cost) AS cost, sum(events) AS events
             FROM (SELECT tenant_id, correlation_id, cost, 1 AS events FROM new_usage
                   UNION ALL
                   SELECT tenant_id, correlation_id, -cost, -1 FROM old_usage) AS moved
             WHERE correlation_id IS NOT NULL
             GROUP BY tenant_id, correlation_id
             HAVING sum(cost) <> 0 OR sum(events) <> 0"""
)
RUNS_INSERTED = """
    INSERT INTO run_costs AS rc (tenant_id, correlation_id, cost, events, has_run)
    SELECT tenant_id, correlation_id, 0, 0, true FROM new_runs
    ORDER BY tenant_id, correlation_id
    ON CONFLICT (tenant_id, correlation_id) DO UPDATE SET has_run = true
    WHERE NOT rc.has_run
"""
RUNS_DELETED = """
    UPDATE run_costs AS rc SET has_run = false
    FROM old_runs AS o
    WHERE rc.tenant_id = o.tenant_id AND rc.correlation_id = o.correlation_id
"""
# A row left with no usage and no run is dropped, so the rollup holds exactly the keys its
# recomputation has. Such rows have no run: the partial index of those (few) rows finds them.
DROP_EMPTY = """
    DELETE FROM run_costs AS rc
    WHERE NOT rc.has_run AND rc.events = 0
      AND rc.tenant_id IN (SELECT DISTINCT tenant_id FROM {table})
"""

TRIGGERS = (
    *on_writes(
        "usage_events",
        "usage",
        "usage_events_rollup_{event}",
        {
            "INSERT": USAGE_INSERTED,
            "DELETE": USAGE_DELETED + ";" + DROP_EMPTY.format(table="old_usage"),
            "UPDATE": USAGE_UPDATED + ";" + DROP_EMPTY.format(table="old_usage"),
        },
    ),
    *on_writes(
        "runs",
        "runs",
        "runs_rollup_{event}",
        {
            "INSERT": RUNS_INSERTED,
            "DELETE": RUNS_DELETED + ";" + DROP_EMPTY.format(table="old_runs"),
        },
    ),
)

# The current tenant's rows recomputed from raw usage and runs (RLS scopes every read).
REBUILD = tenant_rewrite(
    "rebuild_run_costs",
    """
    DELETE FROM run_costs WHERE tenant_id = tenant;
    INSERT INTO run_costs (tenant_id, correlation_id, cost, events, has_run)
    SELECT tenant_id, correlation_id, cost, events, has_run
    FROM run_costs_recomputed() WHERE tenant_id = tenant
    ORDER BY tenant_id, correlation_id;
""",
)

# What run_costs must hold, recomputed from raw usage and runs (RLS scopes every read).
RECOMPUTED = """
CREATE FUNCTION run_costs_recomputed()
RETURNS TABLE (tenant_id uuid, correlation_id varchar, cost numeric, events bigint,
               has_run boolean)
LANGUAGE sql STABLE SECURITY INVOKER AS $$
    SELECT k.tenant_id, k.correlation_id, coalesce(u.cost, 0), coalesce(u.events, 0),
           r.correlation_id IS NOT NULL
    FROM (SELECT tenant_id, correlation_id FROM usage_events WHERE correlation_id IS NOT NULL
          UNION
          SELECT tenant_id, correlation_id FROM runs) AS k
    LEFT JOIN (SELECT tenant_id, correlation_id, sum(cost) AS cost, count(*) AS events
               FROM usage_events WHERE correlation_id IS NOT NULL
               GROUP BY tenant_id, correlation_id) AS u
           ON u.tenant_id = k.tenant_id AND u.correlation_id = k.correlation_id
    LEFT JOIN runs AS r ON r.tenant_id = k.tenant_id AND r.correlation_id = k.correlation_id
$$
"""

# JIT compilation cost seconds per cohort statement at 1M runs (EXPLAIN: "JIT … Total 2830 ms")
# for statements that run in tens of milliseconds without it: off for the app role in this
# database. An owner without the right to alter the role keeps the server default.
JIT = """
DO $$
BEGIN
    EXECUTE format('ALTER ROLE %I IN DATABASE %I {action}', '{role}', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'jit left at the server default for {role}';
END
$$
"""


def upgrade() -> None:
    create_tenant_table(
        "run_costs",
        string("correlation_id", 200),
        sa.Column("cost", sa.Numeric(), server_default=sa.text("0"), nullable=False),
        sa.Column("events", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("has_run", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "correlation_id"),
        sa.Index("ix_run_costs_orphans", "tenant_id", postgresql_where=sa.text("NOT has_run")),
    )
    op.create_index(
        "ix_usage_workflow_level",
        "usage_events",
        ["tenant_id", "workflow_id", "occurred_at"],
        unique=False,
        postgresql_where=sa.text("correlation_id IS NULL"),
    )
    # Backfill from raw rows, every tenant's.
    with every_tenant("usage_events", "runs"):
        op.execute(
            """
        INSERT INTO run_costs (tenant_id, correlation_id, cost, events, has_run)
        SELECT tenant_id, correlation_id, sum(cost), count(*), false
        FROM usage_events WHERE correlation_id IS NOT NULL
        GROUP BY tenant_id, correlation_id
        """
        )
        op.execute(
            """
        INSERT INTO run_costs AS rc (tenant_id, correlation_id, cost, events, has_run)
        SELECT tenant_id, correlation_id, 0, 0, true FROM runs
        ON CONFLICT (tenant_id, correlation_id) DO UPDATE SET has_run = true
        """
        )

    create_statement_triggers(TRIGGERS)
    op.execute(RECOMPUTED)
    op.execute(REBUILD)
    for function in ("run_costs_recomputed", "rebuild_run_costs"):
        app_may_execute(f"{function}()")
    op.execute("ANALYZE run_costs")
    op.execute(JIT.format(role=app_role(), action="SET jit = off"))


def downgrade() -> None:
    op.execute(JIT.format(role=app_role(), action="RESET jit"))
    op.execute("DROP FUNCTION IF EXISTS rebuild_run_costs()")
    op.execute("DROP FUNCTION IF EXISTS run_costs_recomputed()")
    drop_statement_triggers(TRIGGERS)
    op.drop_index("ix_usage_workflow_level", table_name="usage_events")
    drop_tenant_table("run_costs")
