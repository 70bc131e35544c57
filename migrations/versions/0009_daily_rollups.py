"""daily rollups: the cohort's run counts and exact costs per (workflow, start day, client, status)

- `cohort_days`: rows of (tenant, workflow, UTC day the run started, client, status) with a
  count of runs and the exact NUMERIC sum of their usage cost (rack rate, whenever the usage
  occurred); each change is also kept for all clients together (`all_clients`, client NULL),
  what the unscoped dashboard reads (~50× fewer rows than per client at 50 clients). The
  table is *append-only*: every write statement on runs or usage appends one delta row per
  bucket it changes (two: per client and all clients), and a bucket's value is the sum of its
  rows. No trigger ever
  updates a shared bucket row, so concurrent ingest batches never wait on one another here
  (buckets are shared by thousands of runs: upserting them would serialize every batch of a day
  and deadlock batches whose statements touch buckets in different orders).
  `compact_cohort_days()` folds the current tenant's rows into one per bucket, touching only
  buckets that hold several rows (safe while writes go on: it deletes only the rows its snapshot
  sees and inserts their sums). The worker runs it for every tenant every ten minutes
  (`workers/jobs/rollups.py`), so a bucket holds at most about ten minutes of appended rows.
- Triggers (statement-level, AFTER, transition tables), each named to sort *after* the 0007
  trigger of the same event (triggers of one event fire in name order):
  * runs INSERT: +1 run and the run's current `run_costs.cost` in its bucket;
  * runs DELETE: -1 and minus its `run_costs.cost`;
  * runs UPDATE (every UPDATE: transition tables do not allow a column list), for the runs
    whose workflow, start day, client or status changed (a label moves a run between status
    buckets): -1/-cost in the old bucket, +1/+cost in the new one, the cost read from
    `run_costs` FOR UPDATE in key order;
  * usage INSERT/UPDATE/DELETE: the cost change of each correlation id that names a stored run,
    added to the bucket of the run's current status.
- Why the cost lands in the right bucket under concurrency (READ COMMITTED; each statement of a
  trigger function takes a fresh snapshot). Every writer of a run's cost or bucket holds that
  correlation id's `run_costs` row lock until it commits: the 0007 usage trigger (upsert),
  the 0007 run insert/delete triggers (upsert/update), and the run UPDATE trigger here (FOR
  UPDATE). The 0009 triggers fire after the 0007 ones, i.e. after taking that lock. So for a
  usage write U and a status change S of the same run, one takes the lock first:
  * U first: S waits; after U commits, S reads `run_costs.cost` including U's cost and moves it
    all from the old bucket, where U put it (U read the old status: S had not committed);
  * S first: U waits in the 0007 upsert; after S commits, U's 0009 trigger reads the run's new
    status with a fresh snapshot and adds its cost there; S moved only the cost before U.
  The same holds for a run inserted or deleted concurrently with its usage (usage before its
  run: the run insert reads the cost already summed in `run_costs`). Two status changes of the
  same run serialize on the run row; the second's OLD row is the first's new version.
- `ix_runs_accepted_status_at`: the ACCEPTED runs by workflow and status time, for the live
  correction of runs still inside the acceptance hold (counted pending, not accepted, at read
  time): one index range per workflow, `status_at > now - hold`.
- `cohort_days_recomputed()`: what the buckets must sum to, from raw runs and usage (the
  reference the tests compare with); `rebuild_cohort_days()` rewrites the current tenant's rows
  from it (a repair tool).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from migrations.columns import references_tenant, string, uuid
from migrations.functions import tenant_rewrite
from migrations.rls import app_may_execute, create_tenant_table, drop_tenant_table, every_tenant
from migrations.triggers import create_statement_triggers, drop_statement_triggers, on_writes

revision: str = "0009"
down_revision: str | None = "0008"


# Appends `delta` (tenant_id, workflow_id, day, client_id, status, runs, cost) twice: per
# client (`all_clients` false) and for all clients together (`all_clients`, client_id NULL), one
# row per bucket with a nonzero change.
APPEND = """
    INSERT INTO cohort_days
        (tenant_id, workflow_id, day, client_id, status, all_clients, runs, cost)
    SELECT d.tenant_id, d.workflow_id, d.day, c.client_id, d.status, c.all_clients,
           sum(d.runs), sum(d.cost)
    FROM ({delta}) AS d
    CROSS JOIN LATERAL (VALUES (d.client_id, false), (NULL::uuid, true))
        AS c (client_id, all_clients)
    GROUP BY d.tenant_id, d.workflow_id, d.day, c.client_id, d.status, c.all_clients
    HAVING sum(d.runs) <> 0 OR sum(d.cost) <> 0
"""

RUNS_INSERTED = APPEND.format(
    delta="""SELECT n.tenant_id, n.workflow_id, ((n.started_at AT TIME ZONE 'UTC')::date) AS day,
                     n.client_id, n.status, 1 AS runs, coalesce(rc.cost, 0) AS cost
              FROM new_runs AS n
              LEFT JOIN run_costs AS rc
                     ON rc.tenant_id = n.tenant_id AND rc.correlation_id = n.correlation_id"""
)
RUNS_DELETED = APPEND.format(
    delta="""SELECT o.tenant_id, o.workflow_id, ((o.started_at AT TIME ZONE 'UTC')::date) AS day,
                     o.client_id, o.status, -1 AS runs, -coalesce(rc.cost, 0) AS cost
              FROM old_runs AS o
              LEFT JOIN run_costs AS rc
                     ON rc.tenant_id = o.tenant_id AND rc.correlation_id = o.correlation_id"""
)
# Only the runs whose bucket changed; their costs locked in key order (see the docstring).
RUNS_MOVED = """
    WITH moved AS (
        SELECT o.tenant_id, o.correlation_id, o.workflow_id,
               ((o.started_at AT TIME ZONE 'UTC')::date) AS day, o.client_id, o.status, -1 AS runs
        FROM old_runs AS o
        LEFT JOIN new_runs AS n USING (tenant_id, correlation_id)
        WHERE n.correlation_id IS NULL
           OR (o.workflow_id, o.started_at, o.client_id, o.status)
              IS DISTINCT FROM (n.workflow_id, n.started_at, n.client_id, n.status)
        UNION ALL
        SELECT n.tenant_id, n.correlation_id, n.workflow_id,
               ((n.started_at AT TIME ZONE 'UTC')::date), n.client_id, n.status, 1
        FROM new_runs AS n
        LEFT JOIN old_runs AS o USING (tenant_id, correlation_id)
        WHERE o.correlation_id IS NULL
           OR (o.workflow_id, o.started_at, o.client_id, o.status)
              IS DISTINCT FROM (n.workflow_id, n.started_at, n.client_id, n.status)
    ),
    costs AS (
        SELECT rc.tenant_id, rc.correlation_id, rc.cost FROM run_costs AS rc
        WHERE (rc.tenant_id, rc.correlation_id) IN (SELECT tenant_id, correlation_id FROM moved)
        ORDER BY rc.tenant_id, rc.correlation_id
        FOR UPDATE
    )
"""
RUNS_UPDATED = RUNS_MOVED + APPEND.format(
    delta="""SELECT m.tenant_id, m.workflow_id, m.day, m.client_id, m.status, m.runs,
                        m.runs * coalesce(c.cost, 0) AS cost
                 FROM moved AS m
                 LEFT JOIN costs AS c
                        ON c.tenant_id = m.tenant_id AND c.correlation_id = m.correlation_id"""
)

# The cost change of each correlation id (`usage` rows with a signed `cost`), added to the
# bucket of its stored run's current status; ids with no stored run are workflow-level.
USAGE_DELTA = APPEND.format(
    delta="""SELECT r.tenant_id, r.workflow_id, ((r.started_at AT TIME ZONE 'UTC')::date) AS day,
                     r.client_id, r.status, 0 AS runs, u.cost
              FROM (SELECT tenant_id, correlation_id, sum(cost) AS cost
                    FROM ({usage}) AS x
                    WHERE correlation_id IS NOT NULL
                    GROUP BY tenant_id, correlation_id) AS u
              JOIN runs AS r
                ON r.tenant_id = u.tenant_id AND r.correlation_id = u.correlation_id"""
)
USAGE_INSERTED = USAGE_DELTA.format(usage="SELECT tenant_id, correlation_id, cost FROM new_usage")
USAGE_DELETED = USAGE_DELTA.format(
    usage="SELECT tenant_id, correlation_id, -cost AS cost FROM old_usage"
)
USAGE_UPDATED = USAGE_DELTA.format(
    usage="""SELECT tenant_id, correlation_id, cost FROM new_usage
             UNION ALL
             SELECT tenant_id, correlation_id, -cost FROM old_usage"""
)

TRIGGERS = (
    # Each name sorts after its 0007 trigger ("..._ins_days" after "..._ins").
    *on_writes(
        "runs",
        "runs",
        "runs_rollup_{event}_days",
        {"INSERT": RUNS_INSERTED, "DELETE": RUNS_DELETED, "UPDATE": RUNS_UPDATED},
    ),
    *on_writes(
        "usage_events",
        "usage",
        "usage_events_rollup_{event}_days",
        {"INSERT": USAGE_INSERTED, "DELETE": USAGE_DELETED, "UPDATE": USAGE_UPDATED},
    ),
)

# What the buckets must sum to, from raw runs and usage (RLS scopes every read).
RECOMPUTED = """
CREATE FUNCTION cohort_days_recomputed()
RETURNS TABLE (tenant_id uuid, workflow_id uuid, day date, client_id uuid, status varchar,
               all_clients boolean, runs bigint, cost numeric)
LANGUAGE sql STABLE SECURITY INVOKER AS $$
    SELECT r.tenant_id, r.workflow_id, ((r.started_at AT TIME ZONE 'UTC')::date),
           CASE WHEN g.all_clients THEN NULL ELSE r.client_id END, r.status, g.all_clients,
           count(*), coalesce(sum(u.cost), 0)
    FROM runs AS r
    CROSS JOIN (VALUES (false), (true)) AS g (all_clients)
    LEFT JOIN (SELECT tenant_id, correlation_id, sum(cost) AS cost FROM usage_events
               WHERE correlation_id IS NOT NULL GROUP BY tenant_id, correlation_id) AS u
           ON u.tenant_id = r.tenant_id AND u.correlation_id = r.correlation_id
    GROUP BY 1, 2, 3, 4, 5, 6
$$
"""

REBUILD = tenant_rewrite(
    "rebuild_cohort_days",
    """
    DELETE FROM cohort_days WHERE tenant_id = tenant;
    INSERT INTO cohort_days
        (tenant_id, workflow_id, day, client_id, status, all_clients, runs, cost)
    SELECT tenant_id, workflow_id, day, client_id, status, all_clients, runs, cost
    FROM cohort_days_recomputed() WHERE tenant_id = tenant
    ORDER BY all_clients DESC, workflow_id, day;
""",
)

# One row per bucket: the rows this statement's snapshot sees, deleted and summed. Rows appended
# meanwhile by uncommitted writers are not seen, so not deleted: nothing is lost or counted twice
# (a concurrent compaction deletes, so returns, only rows the other has not).
COMPACT = tenant_rewrite(
    "compact_cohort_days",
    """
    -- Only buckets holding more than one row are rewritten, so a compaction of an already
    -- compact tenant reads the table once and writes nothing.
    WITH split AS (
        SELECT workflow_id, day, client_id, status, all_clients
        FROM cohort_days WHERE tenant_id = tenant
        GROUP BY workflow_id, day, client_id, status, all_clients
        HAVING count(*) > 1),
    gone AS (
        DELETE FROM cohort_days c USING split s
        WHERE c.tenant_id = tenant AND c.workflow_id = s.workflow_id AND c.day = s.day
          AND c.client_id IS NOT DISTINCT FROM s.client_id AND c.status = s.status
          AND c.all_clients = s.all_clients
        RETURNING c.*)
    INSERT INTO cohort_days
        (tenant_id, workflow_id, day, client_id, status, all_clients, runs, cost)
    SELECT tenant_id, workflow_id, day, client_id, status, all_clients, sum(runs), sum(cost)
    FROM gone
    GROUP BY tenant_id, workflow_id, day, client_id, status, all_clients
    HAVING sum(runs) <> 0 OR sum(cost) <> 0
    ORDER BY all_clients DESC, workflow_id, day;
""",
)

FUNCTIONS = ("cohort_days_recomputed", "rebuild_cohort_days", "compact_cohort_days")


def upgrade() -> None:
    create_tenant_table(
        "cohort_days",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        uuid("workflow_id"),
        sa.Column("day", sa.Date(), nullable=False),
        uuid("client_id", nullable=True),
        string("status", 20),
        sa.Column("all_clients", sa.Boolean(), nullable=False),
        sa.Column("runs", sa.BigInteger(), nullable=False),
        sa.Column("cost", sa.Numeric(), nullable=False),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
        sa.Index("ix_cohort_days_workflow_day", "tenant_id", "workflow_id", "all_clients", "day"),
    )
    op.create_index(
        "ix_runs_accepted_status_at",
        "runs",
        ["tenant_id", "workflow_id", "status_at"],
        postgresql_where=sa.text("status = 'ACCEPTED'"),
    )
    # Backfill: each run's cost from run_costs (0007 keeps it equal to its raw usage sum).
    with every_tenant("runs", "run_costs"):
        op.execute(
            """
        INSERT INTO cohort_days
        (tenant_id, workflow_id, day, client_id, status, all_clients, runs, cost)
        SELECT r.tenant_id, r.workflow_id, ((r.started_at AT TIME ZONE 'UTC')::date),
               CASE WHEN g.all_clients THEN NULL ELSE r.client_id END, r.status, g.all_clients,
               count(*), coalesce(sum(rc.cost), 0)
        FROM runs AS r
        CROSS JOIN (VALUES (false), (true)) AS g (all_clients)
        LEFT JOIN run_costs AS rc
               ON rc.tenant_id = r.tenant_id AND rc.correlation_id = r.correlation_id
        GROUP BY 1, 2, 3, 4, 5, 6
        -- The all-clients rows together, by workflow and day: what unscoped reads scan.
        ORDER BY 6 DESC, 1, 2, 3
        """
        )

    create_statement_triggers(TRIGGERS)
    op.execute(RECOMPUTED)
    op.execute(REBUILD)
    op.execute(COMPACT)
    for function in FUNCTIONS:
        app_may_execute(f"{function}()")
    op.execute("ANALYZE cohort_days")


def downgrade() -> None:
    for function in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    drop_statement_triggers(TRIGGERS)
    op.drop_index("ix_runs_accepted_status_at", table_name="runs")
    drop_tenant_table("cohort_days")
