"""citus sql functions: the parameterised SQL functions that read distributed tables, as PL/pgSQL

Only when the `citus` extension is installed in this database; on plain PostgreSQL this
revision does nothing (the SQL functions of migrations 0003 and 0010 stay as they are).

Citus cannot plan a statement inside a SQL-language function that reads a distributed table
with the function's parameters ("parameterized queries for SQL functions referencing
distributed tables are not supported"). Two such functions are on product paths:

- `ladder_reach_rows(tenants, workflows, whos)` (migration 0010): the ladder reach drain and the
  ladder reads (dirty reachers computed live). On Citus it is PL/pgSQL running the same
  statement once per distinct tenant of its arguments, with that tenant named as a constant
  on every table it reads: on the coordinator (the drain) each run is one router query to that
  tenant's shard group. A ladder read is routed whole to the tenant's worker and calls the
  function there, where a distributed query is refused ("cannot execute a distributed query
  from a query on a shard"): when the tenant's shards are placed on the node running it, the
  function reads those shards by name, locally (as the rollup triggers of 0017 do). Within one
  tenant the rows are exactly those of the SQL version (its window partitions and UNION already
  lead with the tenant).
- `ledger_dirty_tenants(at)` (migration 0003, the ROI scheduler's cross-tenant count): the same
  statement through `RETURN QUERY`, which Citus plans with the parameter's value.

It also grants the application role USAGE on the identity sequences of `cohort_days` and
`ladder_reach_dirty`: Citus computes an identity value on the coordinator with nextval(), which
checks the privilege (one PostgreSQL does not for identity columns).

Revision ID: 0018
Revises: 0017
"""

# ruff: noqa: S608 — the SQL is assembled from constants of this module and 0010, never from input.

import importlib
import textwrap

from alembic import op

from migrations.citus import citus_installed
from migrations.rls import app_role

revision: str = "0018"
down_revision: str | None = "0017"

REACH_TABLE = importlib.import_module("migrations.versions.0010_ladder_reach").REACH_TABLE
ROI = importlib.import_module("migrations.versions.0003_roi")

# 0010's statement for one tenant (%L: the tenant, as a literal; $1, $2: workflows, whos).
REACH_ROWS = f"""
CREATE OR REPLACE FUNCTION ladder_reach_rows(tenants uuid[], workflows uuid[], whos text[])
{REACH_TABLE}
LANGUAGE plpgsql STABLE SECURITY INVOKER AS $function$
DECLARE
    one uuid;
    runs_shard bigint;
    events_shard bigint;
    runs_name text;
    events_name text;
BEGIN
    FOR one IN SELECT DISTINCT x.t FROM unnest(tenants) AS x (t) WHERE x.t IS NOT NULL LOOP
        -- On a worker running a statement routed to this tenant's shard group, its shards are
        -- local tables: read them by name (a distributed query from a shard is refused).
        -- (Placed here: a shard moved away may still exist until Citus drops it.)
        runs_shard := get_shard_id_for_distribution_column('runs', one);
        events_shard := get_shard_id_for_distribution_column('outcome_events', one);
        IF (SELECT count(*) FROM pg_dist_placement AS p
            WHERE p.shardid IN (runs_shard, events_shard)
              AND p.groupid = (SELECT g.groupid FROM pg_dist_local_group AS g)) = 2 THEN
            runs_name := 'runs_' || runs_shard;
            events_name := 'outcome_events_' || events_shard;
        ELSE
            runs_name := 'runs';
            events_name := 'outcome_events';
        END IF;
        RETURN QUERY EXECUTE format($statement$
WITH keys AS MATERIALIZED (
    SELECT DISTINCT k.workflow_id, k.who::varchar AS who,
           CASE WHEN left(k.who, 2) = 's:' THEN substr(k.who, 3) END AS subject,
           CASE WHEN left(k.who, 2) = 'r:' THEN substr(k.who, 3) END AS run_id
    FROM unnest($3::uuid[], $1::uuid[], $2::text[]) AS k (tenant_id, workflow_id, who)
    WHERE k.tenant_id = %1$L::uuid
),
own AS (
    SELECT k.workflow_id, k.who, r.correlation_id, r.started_at, r.status, r.status_at
    FROM keys AS k
    JOIN %2$I AS r ON r.tenant_id = %1$L::uuid AND r.workflow_id = k.workflow_id
                  AND r.subject = k.subject
    UNION ALL
    SELECT k.workflow_id, k.who, r.correlation_id, r.started_at, r.status, r.status_at
    FROM keys AS k
    JOIN %2$I AS r ON r.tenant_id = %1$L::uuid AND r.correlation_id = k.run_id
                  AND r.workflow_id = k.workflow_id AND r.subject IS NULL
),
events AS (
    SELECT k.workflow_id, k.who, e.rung_key, e.subject, e.correlation_id
    FROM keys AS k
    JOIN %3$I AS e ON e.tenant_id = %1$L::uuid AND e.workflow_id = k.workflow_id
                            AND e.subject = k.subject
    WHERE e.rung_key <> 'accepted'
    UNION ALL
    SELECT o.workflow_id, o.who, e.rung_key, NULL, e.correlation_id
    FROM own AS o
    JOIN %3$I AS e ON e.tenant_id = %1$L::uuid AND e.workflow_id = o.workflow_id
                            AND e.correlation_id = o.correlation_id AND e.subject IS NULL
    WHERE e.rung_key <> 'accepted'
),
pairs AS (
    SELECT ev.workflow_id, ev.who, ev.rung_key, m.correlation_id, m.started_at,
           NULL::timestamptz AS status_at
    FROM events AS ev
    JOIN %2$I AS m ON m.tenant_id = %1$L::uuid AND m.correlation_id = ev.correlation_id
                  AND m.workflow_id = ev.workflow_id
    UNION
    SELECT ev.workflow_id, ev.who, ev.rung_key, m.correlation_id, m.started_at, NULL
    FROM events AS ev
    JOIN %2$I AS m ON m.tenant_id = %1$L::uuid AND m.workflow_id = ev.workflow_id
                  AND m.subject = ev.subject
    UNION
    SELECT o.workflow_id, o.who, 'accepted', o.correlation_id, o.started_at, o.status_at
    FROM own AS o WHERE o.status = 'ACCEPTED'
)
SELECT %1$L::uuid, p.workflow_id, p.who::varchar, p.rung_key::varchar,
       p.correlation_id::varchar, p.started_at, p.status_at,
       lag(p.started_at) OVER chain, lead(p.started_at) OVER chain
FROM pairs AS p
WINDOW chain AS (PARTITION BY p.workflow_id, p.who, p.rung_key
                 ORDER BY p.started_at, p.correlation_id COLLATE "C")
$statement$, one, runs_name, events_name) USING workflows, whos, tenants;
    END LOOP;
END
$function$
"""

# 0003's statement through RETURN QUERY (indented as this function's body).
DIRTY_TENANTS = f"""
CREATE OR REPLACE FUNCTION ledger_dirty_tenants(at timestamptz)
RETURNS TABLE (tenant_id uuid, dirty bigint, due bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN QUERY{textwrap.indent(textwrap.dedent(ROI.DIRTY_TENANTS), "    ")};
END
$function$
"""


IDENTITY_COLUMNS = (("cohort_days", "id"), ("ladder_reach_dirty", "id"))


def upgrade() -> None:
    if not citus_installed():
        return
    op.execute(REACH_ROWS)
    op.execute(DIRTY_TENANTS)
    # Citus computes an identity column's next value on the coordinator, as a nextval() call
    # that needs USAGE (one PostgreSQL needs none for identity columns).
    role = app_role()
    for table, column in IDENTITY_COLUMNS:
        op.execute(
            f"DO $$ BEGIN EXECUTE format('GRANT USAGE ON SEQUENCE %s TO {role}', "
            f"pg_get_serial_sequence('{table}', '{column}')); END $$"
        )


def downgrade() -> None:
    # The SQL versions come back with a downgrade past 0010 and 0003; on Citus they cannot
    # serve the product, so a downgrade to 0017 keeps the PL/pgSQL ones (same results).
    pass
