"""citus rollup oracles: the recompute functions per tenant, the rebuilds and compaction insertable

Only when the `citus` extension is installed in this database; on plain PostgreSQL this
revision does nothing (the SQL functions of migrations 0007 and 0009 stay as they are).

The two functions recompute a rollup from raw rows by its definition; only tests and checks
call them. As SQL functions over every tenant, Citus plans their bodies as multi-shard queries
(a UNION of two tables' keys with outer joins), which it refused — and once crashed the
coordinator planning (docs/scale-out.md, causes 4 and 7). On Citus they are PL/pgSQL running the
same statement once per tenant visible to the caller (`tenants` under row-level security: the
session's tenant in a tenant session, every tenant as the owner), with the tenant named on every
table it reads, so each run is one router query to that tenant's shard group. Per tenant the
rows are exactly those of the SQL version (every grouping and join key leads with the tenant).

`ladder_reach_recomputed()` (0010) likewise: per tenant, its reachers' keys collected by one
router query and passed to `ladder_reach_rows` (PL/pgSQL on Citus since 0018).

`rebuild_run_costs()`, `rebuild_cohort_days()` (0007, 0009: tests and repairs) and
`compact_cohort_days()` (0009: the compaction cron job) insert the rows of a function or of a
data-modifying CTE, a source Citus does not place on the shards: without a conflict clause it
inserts them with COPY, which PostgreSQL refuses under row-level security ("COPY FROM not
supported with row-level security", cause 2). On Citus their INSERT gets `ON CONFLICT DO
NOTHING`, which cannot fire (the tenant's rows were deleted just before; compaction inserts
fresh ids), so Citus inserts through intermediate results; the counts they return stay exact
(no row is skipped, so the rows offered are the rows written). Bodies otherwise unchanged.

Revision ID: 0021
Revises: 0020
"""

import importlib

import sqlalchemy as sa
from alembic import op

from migrations.citus import citus_installed

revision: str = "0021"
down_revision: str | None = "0020"

PER_TENANT = """
CREATE OR REPLACE FUNCTION {name}()
RETURNS TABLE ({columns})
LANGUAGE plpgsql STABLE SECURITY INVOKER AS $ledger_fn$
DECLARE
    one uuid;
BEGIN
    FOR one IN SELECT t.tenant_id FROM tenants AS t ORDER BY 1 LOOP
        RETURN QUERY EXECUTE format($ledger_q${body}$ledger_q$, one);
    END LOOP;
END
$ledger_fn$
"""

RUN_COSTS = (
    "run_costs_recomputed",
    "tenant_id uuid, correlation_id varchar, cost numeric, events bigint, has_run boolean",
    """
    SELECT k.tenant_id, k.correlation_id, coalesce(u.cost, 0), coalesce(u.events, 0),
           r.correlation_id IS NOT NULL
    FROM (SELECT tenant_id, correlation_id FROM usage_events
          WHERE tenant_id = %1$L AND correlation_id IS NOT NULL
          UNION
          SELECT tenant_id, correlation_id FROM runs WHERE tenant_id = %1$L) AS k
    LEFT JOIN (SELECT tenant_id, correlation_id, sum(cost) AS cost, count(*) AS events
               FROM usage_events WHERE tenant_id = %1$L AND correlation_id IS NOT NULL
               GROUP BY tenant_id, correlation_id) AS u
           ON u.tenant_id = k.tenant_id AND u.correlation_id = k.correlation_id
    LEFT JOIN runs AS r ON r.tenant_id = k.tenant_id AND r.correlation_id = k.correlation_id
                       AND r.tenant_id = %1$L
    """,
)

COHORT_DAYS = (
    "cohort_days_recomputed",
    "tenant_id uuid, workflow_id uuid, day date, client_id uuid, status varchar, "
    "all_clients boolean, runs bigint, cost numeric",
    """
    SELECT r.tenant_id, r.workflow_id, ((r.started_at AT TIME ZONE 'UTC')::date),
           CASE WHEN g.all_clients THEN NULL ELSE r.client_id END, r.status, g.all_clients,
           count(*), coalesce(sum(u.cost), 0)
    FROM runs AS r
    CROSS JOIN (VALUES (false), (true)) AS g (all_clients)
    LEFT JOIN (SELECT tenant_id, correlation_id, sum(cost) AS cost FROM usage_events
               WHERE tenant_id = %1$L AND correlation_id IS NOT NULL
               GROUP BY tenant_id, correlation_id) AS u
           ON u.tenant_id = r.tenant_id AND u.correlation_id = r.correlation_id
    WHERE r.tenant_id = %1$L
    GROUP BY 1, 2, 3, 4, 5, 6
    """,
)


LADDER_REACH = """
CREATE OR REPLACE FUNCTION ladder_reach_recomputed()
{row}
LANGUAGE plpgsql STABLE SECURITY INVOKER AS $ledger_fn$
DECLARE
    one uuid;
    ts uuid[];
    ws uuid[];
    ks text[];
BEGIN
    FOR one IN SELECT t.tenant_id FROM tenants AS t ORDER BY 1 LOOP
        EXECUTE format($ledger_q$
            SELECT array_agg(k.tenant_id), array_agg(k.workflow_id), array_agg(k.who)
            FROM ({keys}) AS k$ledger_q$, one) INTO ts, ws, ks;
        RETURN QUERY SELECT * FROM ladder_reach_rows(ts, ws, ks);
    END LOOP;
END
$ledger_fn$
"""


def _ladder_reach() -> str:
    """0010's ladder_reach_recomputed() per tenant: its key query with the tenant named."""
    reach = importlib.import_module("migrations.versions.0010_ladder_reach")
    keys = reach.ALL_KEYS
    assert "%" not in keys
    first = "FROM runs AS r\n    UNION"
    join = "AND r.workflow_id = e.workflow_id\n"
    assert keys.count(first) == 1 and keys.count(join) == 1
    keys = keys.replace(first, "FROM runs AS r WHERE r.tenant_id = %1$L\n    UNION").replace(
        join, join.rstrip() + " AND r.tenant_id = %1$L\n    WHERE e.tenant_id = %1$L\n"
    )
    return LADDER_REACH.format(row=reach.REACH_TABLE, keys=keys)


def _insertable() -> list[str]:
    """0007's and 0009's rebuild and compaction functions, their INSERT given a conflict clause."""
    rollups = importlib.import_module("migrations.versions.0007_rollups")
    daily = importlib.import_module("migrations.versions.0009_daily_rollups")
    found = []
    for source in (rollups.REBUILD, daily.REBUILD, daily.COMPACT):
        end = ";\n    GET DIAGNOSTICS written = ROW_COUNT;"
        assert source.count(end) == 1 and source.count("CREATE FUNCTION") == 1
        found.append(
            source.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace(
                end, "\n    ON CONFLICT DO NOTHING" + end
            )
        )
    return found


def upgrade() -> None:
    if not citus_installed():
        return
    for name, columns, body in (RUN_COSTS, COHORT_DAYS):
        op.execute(
            sa.text(PER_TENANT.format(name=name, columns=columns, body=body)).execution_options(
                no_parameters=True
            )
        )
    op.execute(sa.text(_ladder_reach()).execution_options(no_parameters=True))
    for definition in _insertable():
        op.execute(sa.text(definition).execution_options(no_parameters=True))


def downgrade() -> None:
    # The SQL versions are dropped by the downgrades of 0007 and 0009; on Citus they cannot
    # serve, so a downgrade to 0020 keeps these (same rows), as 0018 does.
    pass
