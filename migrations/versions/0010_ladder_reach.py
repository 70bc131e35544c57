"""ladder reach: who reached each rung through which run, for ranges without DISTINCT

`ladder_reach` holds one row per (workflow, reacher, rung, run): the reacher (`'s:' ||
subject`, else `'r:' || correlation id`, as in `app.services.ladders.cohorts`) reached the rung
through a run of the cohort rule — an outcome event naming the run, or naming the run's
subject, or (rung `accepted`) the run itself was labelled ACCEPTED. Each row carries the run's
start, `prev_at` and `next_at`, the starts of the same reacher's previous and next rows for that
rung (order: started_at, correlation_id). The distinct reachers of a rung among the runs
started in [from, to) are then the rows started in range whose `prev_at` is before `from` or
NULL: a reacher's first run in the range, counted once, without DISTINCT. `ladder_reach_days`
counts the rows per (workflow, rung, UTC start day, UTC day of `prev_at` or -infinity), so the
whole days of a range are a sum of buckets.

Keeping `prev_at` right needs every row of a reacher at once, so writes do not touch
`ladder_reach` directly. Statement-level triggers on `runs` and `outcome_events` append the
reachers a statement may have changed to `ladder_reach_dirty` (append-only: concurrent batches
never wait on each other here), and `drain_ladder_reach(n)` — run by a worker cron every
minute, one job per tenant — recomputes up to n dirty reachers from raw rows and deletes the
markers it saw, in one transaction, serialized per tenant; it keeps the day buckets of the rows
it deletes and writes (only the drain and the repair function write them). Reads take the stored
rows of clean reachers and compute the dirty ones live with the same function
(`ladder_reach_rows`), so a read is exact whenever the drain runs (only slower when many
reachers are dirty).

Which reachers a write can change (the markers): an outcome event's own reacher (its subject,
else its run's subject, else its run); a run's reacher and the subjects of the outcome events
naming the run. A row pairs an event with a run linked by correlation id or by subject, so a
concurrent write of the other side marks the same reacher or one whose live computation sees
both once committed; markers and the rows they describe commit together.

The acceptance hold is applied at read time: `accepted` rows keep the run's `status_at`.

Revision ID: 0010
Revises: 0009
"""

# ruff: noqa: S608 — the SQL is assembled from this module's constants only, never from input.

import sqlalchemy as sa
from alembic import op

from migrations.columns import references_tenant, string, timestamp, uuid
from migrations.rls import app_may_execute, create_tenant_table, drop_tenant_table, every_tenant
from migrations.triggers import create_statement_triggers, drop_statement_triggers, on_writes

revision: str = "0010"
down_revision: str | None = "0009"

WHO_OF_RUN = "coalesce('s:' || {r}.subject, 'r:' || {r}.correlation_id)"

# The row type of `ladder_reach` as functions return it (0018 and 0021 redefine them on Citus).
REACH_TABLE = """RETURNS TABLE (tenant_id uuid, workflow_id uuid, who varchar, rung_key varchar,
               correlation_id varchar, started_at timestamptz, status_at timestamptz,
               prev_at timestamptz, next_at timestamptz)"""

# The rows of the given reachers (parallel arrays), from raw runs and outcome events (RLS
# scopes every read). `ladder_reach` holds exactly these rows for every clean reacher.
ROWS = f"""
CREATE FUNCTION ladder_reach_rows(tenants uuid[], workflows uuid[], whos text[])
{REACH_TABLE}
LANGUAGE sql STABLE SECURITY INVOKER AS $$
WITH keys AS MATERIALIZED (
    SELECT DISTINCT k.tenant_id, k.workflow_id, k.who::varchar AS who,
           CASE WHEN left(k.who, 2) = 's:' THEN substr(k.who, 3) END AS subject,
           CASE WHEN left(k.who, 2) = 'r:' THEN substr(k.who, 3) END AS run_id
    FROM unnest(tenants, workflows, whos) AS k (tenant_id, workflow_id, who)
),
-- The reachers' own runs: those of the subject, or the run itself when it has no subject.
own AS (
    SELECT k.tenant_id, k.workflow_id, k.who, r.correlation_id, r.started_at, r.status,
           r.status_at
    FROM keys AS k
    JOIN runs AS r ON r.tenant_id = k.tenant_id AND r.workflow_id = k.workflow_id
                  AND r.subject = k.subject
    UNION ALL
    SELECT k.tenant_id, k.workflow_id, k.who, r.correlation_id, r.started_at, r.status,
           r.status_at
    FROM keys AS k
    JOIN runs AS r ON r.tenant_id = k.tenant_id AND r.correlation_id = k.run_id
                  AND r.workflow_id = k.workflow_id AND r.subject IS NULL
),
-- Their outcome events (the `accepted` rung comes from labels, not events): those naming the
-- subject, and those with no subject naming one of the reacher's own runs.
events AS (
    SELECT k.tenant_id, k.workflow_id, k.who, e.rung_key, e.subject, e.correlation_id
    FROM keys AS k
    JOIN outcome_events AS e ON e.tenant_id = k.tenant_id AND e.workflow_id = k.workflow_id
                            AND e.subject = k.subject
    WHERE e.rung_key <> 'accepted'
    UNION ALL
    SELECT o.tenant_id, o.workflow_id, o.who, e.rung_key, NULL, e.correlation_id
    FROM own AS o
    JOIN outcome_events AS e ON e.tenant_id = o.tenant_id AND e.workflow_id = o.workflow_id
                            AND e.correlation_id = o.correlation_id AND e.subject IS NULL
    WHERE e.rung_key <> 'accepted'
),
pairs AS (
    -- the run an event names
    SELECT ev.tenant_id, ev.workflow_id, ev.who, ev.rung_key, m.correlation_id, m.started_at,
           NULL::timestamptz AS status_at
    FROM events AS ev
    JOIN runs AS m ON m.tenant_id = ev.tenant_id AND m.correlation_id = ev.correlation_id
                  AND m.workflow_id = ev.workflow_id
    UNION
    -- the runs of the subject an event names
    SELECT ev.tenant_id, ev.workflow_id, ev.who, ev.rung_key, m.correlation_id, m.started_at,
           NULL
    FROM events AS ev
    JOIN runs AS m ON m.tenant_id = ev.tenant_id AND m.workflow_id = ev.workflow_id
                  AND m.subject = ev.subject
    UNION
    -- the reacher's own runs labelled ACCEPTED (the hold is applied at read time)
    SELECT o.tenant_id, o.workflow_id, o.who, 'accepted', o.correlation_id, o.started_at,
           o.status_at
    FROM own AS o WHERE o.status = 'ACCEPTED'
)
SELECT p.tenant_id, p.workflow_id, p.who, p.rung_key::varchar, p.correlation_id, p.started_at,
       p.status_at,
       lag(p.started_at) OVER chain, lead(p.started_at) OVER chain
FROM pairs AS p
WINDOW chain AS (PARTITION BY p.tenant_id, p.workflow_id, p.who, p.rung_key
                 ORDER BY p.started_at, p.correlation_id COLLATE "C")
$$
"""

# Every reacher of the current tenant (RLS scopes the reads): of its runs and of its events.
ALL_KEYS = f"""
    SELECT r.tenant_id, r.workflow_id, {WHO_OF_RUN.format(r="r")} AS who FROM runs AS r
    UNION
    SELECT e.tenant_id, e.workflow_id,
           coalesce('s:' || coalesce(e.subject, r.subject), 'r:' || e.correlation_id)
    FROM outcome_events AS e
    LEFT JOIN runs AS r ON r.tenant_id = e.tenant_id AND r.correlation_id = e.correlation_id
                       AND r.workflow_id = e.workflow_id
"""

RECOMPUTED = f"""
CREATE FUNCTION ladder_reach_recomputed()
{REACH_TABLE}
LANGUAGE sql STABLE SECURITY INVOKER AS $$
    SELECT f.* FROM (SELECT array_agg(k.tenant_id) AS t, array_agg(k.workflow_id) AS w,
                            array_agg(k.who) AS k
                     FROM ({ALL_KEYS}) AS k) AS a
    CROSS JOIN LATERAL ladder_reach_rows(a.t, a.w, a.k) AS f
$$
"""

INSERT_COLUMNS = (
    "(tenant_id, workflow_id, who, rung_key, correlation_id, started_at, status_at, prev_at,"
    " next_at)"
)

# The day buckets of ladder_reach rows: (workflow, rung, UTC start day, UTC day of prev_at or
# -infinity) with their row count. `{sign}` is "-" for rows removed.
BUCKET_SELECT = """
    SELECT r.tenant_id, r.workflow_id, r.rung_key, (r.started_at AT TIME ZONE 'UTC')::date,
           coalesce((r.prev_at AT TIME ZONE 'UTC')::date, '-infinity'::date), {sign}count(*)
    FROM {rows} AS r
    GROUP BY 1, 2, 3, 4, 5
"""
DAYS_COLUMNS = "(tenant_id, workflow_id, rung_key, day, prev_day, n)"
DAYS_OF_ROWS = f"INSERT INTO ladder_reach_days {DAYS_COLUMNS}" + BUCKET_SELECT
BUCKETS = (
    DAYS_OF_ROWS
    + """
    ON CONFLICT (tenant_id, workflow_id, rung_key, day, prev_day)
    DO UPDATE SET n = ladder_reach_days.n + excluded.n"""
)

REBUILD = f"""
CREATE FUNCTION rebuild_ladder_reach() RETURNS bigint
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
    tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    written bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ladder_reach_drain'), hashtext(tenant::text));
    DELETE FROM ladder_reach_dirty WHERE tenant_id = tenant;
    DELETE FROM ladder_reach_days WHERE tenant_id = tenant;
    DELETE FROM ladder_reach WHERE tenant_id = tenant;
    INSERT INTO ladder_reach {INSERT_COLUMNS}
    SELECT * FROM ladder_reach_recomputed() AS f WHERE f.tenant_id = tenant;
    GET DIAGNOSTICS written = ROW_COUNT;
    {DAYS_OF_ROWS.format(rows="(SELECT * FROM ladder_reach WHERE tenant_id = tenant)", sign="")};
    RETURN written;
END
$$
"""

# Recompute up to `max_keys` dirty reachers of the current tenant; returns how many. The
# markers deleted are those this snapshot sees: a write committed later keeps its marker.
DRAIN = f"""
CREATE FUNCTION drain_ladder_reach(max_keys integer) RETURNS bigint
LANGUAGE plpgsql SECURITY INVOKER AS $$
DECLARE
    tenant uuid := NULLIF(current_setting('app.tenant_id', true), '')::uuid;
    t uuid[];
    w uuid[];
    k text[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('ladder_reach_drain'), hashtext(tenant::text));
    WITH taken AS (
        DELETE FROM ladder_reach_dirty AS d
        WHERE d.tenant_id = tenant
          AND d.id IN (SELECT id FROM ladder_reach_dirty
                       WHERE tenant_id = tenant ORDER BY id LIMIT max_keys)
        RETURNING d.workflow_id, d.who)
    SELECT array_agg(tenant), array_agg(x.workflow_id), array_agg(x.who) INTO t, w, k
    FROM (SELECT DISTINCT workflow_id, who FROM taken) AS x;
    IF k IS NULL THEN
        RETURN 0;
    END IF;
    WITH gone AS (
        DELETE FROM ladder_reach AS l
        USING unnest(t, w, k) AS x (tenant_id, workflow_id, who)
        WHERE l.tenant_id = x.tenant_id AND l.workflow_id = x.workflow_id AND l.who = x.who
        RETURNING l.*)
    {BUCKETS.format(rows="gone", sign="-")};
    WITH fresh AS (
        INSERT INTO ladder_reach {INSERT_COLUMNS}
        SELECT * FROM ladder_reach_rows(t, w, k)
        RETURNING *)
    {BUCKETS.format(rows="fresh", sign="")};
    DELETE FROM ladder_reach_days WHERE tenant_id = tenant AND n = 0;
    RETURN cardinality(k);
END
$$
"""

MARK = (
    "INSERT INTO ladder_reach_dirty (tenant_id, workflow_id, who) "
    "SELECT DISTINCT * FROM ({keys}) AS k"
)

# The reachers of run rows (a transition table) and of the events naming them.
RUN_KEYS = f"""
    SELECT x.tenant_id, x.workflow_id, {WHO_OF_RUN.format(r="x")} FROM {{runs}} AS x
    UNION ALL
    SELECT e.tenant_id, e.workflow_id, 's:' || e.subject
    FROM {{runs}} AS x
    JOIN outcome_events AS e ON e.tenant_id = x.tenant_id AND e.correlation_id = x.correlation_id
                            AND e.workflow_id = x.workflow_id AND e.subject IS NOT NULL
"""
# The reacher of event rows (a transition table): its subject, else its run's, else its run.
EVENT_KEYS = """
    SELECT x.tenant_id, x.workflow_id,
           coalesce('s:' || coalesce(x.subject, r.subject), 'r:' || x.correlation_id)
    FROM {events} AS x
    LEFT JOIN runs AS r ON r.tenant_id = x.tenant_id AND r.correlation_id = x.correlation_id
                       AND r.workflow_id = x.workflow_id
"""
# A run UPDATE matters only when what the rows hold changed (labels change status).
CHANGED_RUNS = """(SELECT o.* FROM old_runs AS o JOIN new_runs AS n USING (tenant_id, correlation_id)
     WHERE (o.workflow_id, o.started_at, o.status, o.status_at, o.subject)
           IS DISTINCT FROM (n.workflow_id, n.started_at, n.status, n.status_at, n.subject)
     UNION ALL
     SELECT n.* FROM old_runs AS o JOIN new_runs AS n USING (tenant_id, correlation_id)
     WHERE (o.workflow_id, o.started_at, o.status, o.status_at, o.subject)
           IS DISTINCT FROM (n.workflow_id, n.started_at, n.status, n.status_at, n.subject))"""

TRIGGERS = (
    *on_writes(
        "runs",
        "runs",
        "runs_ladder_reach_{event}",
        {
            "INSERT": MARK.format(keys=RUN_KEYS.format(runs="new_runs")),
            "DELETE": MARK.format(keys=RUN_KEYS.format(runs="old_runs")),
            "UPDATE": MARK.format(keys=RUN_KEYS.format(runs=CHANGED_RUNS)),
        },
    ),
    *on_writes(
        "outcome_events",
        "events",
        "outcome_events_ladder_reach_{event}",
        {
            "INSERT": MARK.format(keys=EVENT_KEYS.format(events="new_events")),
            "DELETE": MARK.format(keys=EVENT_KEYS.format(events="old_events")),
            "UPDATE": MARK.format(
                keys=EVENT_KEYS.format(
                    events="(SELECT * FROM old_events UNION ALL SELECT * FROM new_events)"
                )
            ),
        },
    ),
)

FUNCTIONS = (
    ("ladder_reach_rows", "uuid[], uuid[], text[]"),
    ("ladder_reach_recomputed", ""),
    ("rebuild_ladder_reach", ""),
    ("drain_ladder_reach", "integer"),
)


def upgrade() -> None:
    create_tenant_table(
        "ladder_reach",
        uuid("workflow_id"),
        string("who", 210),
        string("rung_key", 100),
        string("correlation_id", 200),
        timestamp("started_at"),
        timestamp("status_at", nullable=True),
        timestamp("prev_at", nullable=True),
        timestamp("next_at", nullable=True),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "who", "rung_key", "correlation_id"),
    )
    create_tenant_table(
        "ladder_reach_days",
        uuid("workflow_id"),
        string("rung_key", 100),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("prev_day", sa.Date(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        references_tenant(),
    )
    # The primary key covers `n`: a range's buckets are read from the index alone.
    op.execute(
        "ALTER TABLE ladder_reach_days ADD PRIMARY KEY"
        " (tenant_id, workflow_id, rung_key, day, prev_day) INCLUDE (n)"
    )
    op.create_index(
        "ix_ladder_reach_days_zero",
        "ladder_reach_days",
        ["tenant_id"],
        postgresql_where=sa.text("n = 0"),
    )
    create_tenant_table(
        "ladder_reach_dirty",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        uuid("workflow_id"),
        string("who", 210),
        references_tenant(),
        sa.PrimaryKeyConstraint("tenant_id", "id"),
    )
    # Runs by subject: a reacher's runs (the rows of a subject, and the runs an event's subject
    # names) without reading the workflow's runs.
    op.create_index(
        "ix_runs_workflow_subject",
        "runs",
        ["tenant_id", "workflow_id", "subject"],
        postgresql_where=sa.text("subject IS NOT NULL"),
    )
    op.create_index(
        "ix_outcome_events_workflow_subject",
        "outcome_events",
        ["tenant_id", "workflow_id", "subject"],
        postgresql_where=sa.text("subject IS NOT NULL"),
    )
    op.create_index(
        "ix_outcome_events_workflow_correlation",
        "outcome_events",
        ["tenant_id", "workflow_id", "correlation_id"],
        postgresql_where=sa.text("correlation_id IS NOT NULL"),
    )
    op.execute(ROWS)
    op.execute(RECOMPUTED)
    with every_tenant("runs", "outcome_events"):
        op.execute(
            f"INSERT INTO ladder_reach {INSERT_COLUMNS} SELECT * FROM ladder_reach_recomputed()"
        )
    op.execute(DAYS_OF_ROWS.format(rows="ladder_reach", sign=""))
    op.create_index(
        "ix_ladder_reach_prev",
        "ladder_reach",
        ["tenant_id", "workflow_id", "rung_key", "prev_at"],
        postgresql_include=["started_at"],
        postgresql_where=sa.text("prev_at IS NOT NULL"),
    )
    op.create_index(
        "ix_ladder_reach_range",
        "ladder_reach",
        ["tenant_id", "workflow_id", "rung_key", "started_at"],
        postgresql_include=["prev_at", "status_at", "who"],
    )
    # Accepted rows still possibly inside their hold: by status time.
    op.create_index(
        "ix_ladder_reach_held",
        "ladder_reach",
        ["tenant_id", "workflow_id", "status_at"],
        postgresql_include=["started_at", "who", "prev_at", "next_at"],
        postgresql_where=sa.text("rung_key = 'accepted'"),
    )
    create_statement_triggers(TRIGGERS)
    op.execute(REBUILD)
    op.execute(DRAIN)
    for function, args in FUNCTIONS:
        app_may_execute(f"{function}({args})")
    op.execute("ANALYZE ladder_reach")
    op.execute("ANALYZE ladder_reach_days")


def downgrade() -> None:
    for function, args in reversed(FUNCTIONS):
        op.execute(f"DROP FUNCTION IF EXISTS {function}({args})")
    drop_statement_triggers(TRIGGERS)
    op.drop_index("ix_outcome_events_workflow_correlation", table_name="outcome_events")
    op.drop_index("ix_outcome_events_workflow_subject", table_name="outcome_events")
    op.drop_index("ix_runs_workflow_subject", table_name="runs")
    drop_tenant_table("ladder_reach_dirty")
    drop_tenant_table("ladder_reach_days")
    drop_tenant_table("ladder_reach")
