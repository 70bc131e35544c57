"""citus analyze grown: `ledger_analyze_grown()` decides from the shards' counters

Only when the `citus` extension is installed in this database; on plain PostgreSQL this
revision does nothing (migration 0023's function stays as it is).

On a Citus coordinator the distributed tables are empty shells: the rows, their changes and the
planning of every routed statement are on the workers' shards, so 0016's function, which reads
the coordinator's `pg_stat_user_tables`, never sees a table grow. On Citus the function keeps
its contract (the same arguments and thresholds — 0023's larger growth for the tables read
only by full key included — one caller at a time through the same advisory
lock, SECURITY DEFINER, executable by the application role only) and:

- reads every shard's `n_mod_since_analyze` and `reltuples` on the node holding its placement,
  one command per node (`master_run_on_worker`), and sums them per distributed table;
- ANALYZEs every shard of each table whose summed changes reach max(min_changes, growth x its
  summed rows), again one command per node, with SKIP_LOCKED (a shard being analysed or
  altered by someone else is skipped rather than waited for).

Both run over connections of their own, outside the caller's transaction: an ANALYZE of a
distributed table issued on the coordinator does reach the shards inside a transaction, but as
the function's owner, and Citus then refuses the application role's next write to any shard
of that shard group in the same transaction ("cannot perform query on placements that were
modified in this transaction by a different user") — which is every ingest batch that calls it
first. The statistics written by the separate ANALYZE are committed before the function returns,
so the rest of the batch is planned from them on the workers. docs/scale-out.md has the rest.

Revision ID: 0024
Revises: 0023
"""

import importlib

from alembic import op

from migrations.citus import citus_installed
from migrations.rls import only_app_may_execute, refuse_app_role

revision: str = "0024"
down_revision: str | None = "0023"

GROWTH = importlib.import_module("migrations.versions.0016_analyse_growing_tables")
BY_KEY = importlib.import_module("migrations.versions.0023_provider_calls_analyse_per_doubling")

# Run on each node: the counters of the shards named in the array, as JSON [[name, changes,
# rows], ...]. Shards are visible to Citus's run-command connections whatever
# citus.override_table_visibility says; a shard missing on the node (moved away) is skipped.
COUNTERS = (
    "SELECT coalesce(json_agg(json_build_array(x.name, pg_stat_get_mod_since_analyze(c.oid),"
    " greatest(c.reltuples, 0))), '[]') FROM unnest(%L::text[]) AS x (name)"
    " JOIN pg_class AS c ON c.oid = to_regclass(x.name)"
)

FUNCTION = r"""
CREATE OR REPLACE FUNCTION ledger_analyze_grown(min_changes bigint, growth float8)
RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $ledger_fn$
DECLARE
    analysed text[] := '{}';
    nodes text[];
    ports int[];
    commands text[];
    grown text[];
    failed text[] := '{}';
    counters jsonb := '[]';
    shard_tables jsonb;
    answer record;
BEGIN
    -- One analyser at a time: a concurrent batch skips (the tables are being analysed).
    IF NOT pg_try_advisory_xact_lock(hashtext('ledger_analyze_grown')) THEN
        RETURN analysed;
    END IF;
    -- Every shard of the growing tables (Citus's name for it, which it shortens for long
    -- table names, and its table), grouped by the node holding its placement.
    SELECT jsonb_object_agg('public.' || shard_name(s.logicalrelid, s.shardid), c.relname)
    INTO shard_tables
    FROM pg_dist_shard AS s JOIN pg_class AS c ON c.oid = s.logicalrelid
    WHERE s.logicalrelid = ANY (ARRAY[{tables}]::regclass[]);
    SELECT array_agg(n.nodename), array_agg(n.nodeport), array_agg(format('{counters}', n.shards))
    INTO nodes, ports, commands
    FROM (
        SELECT d.nodename, d.nodeport,
               array_agg('public.' || shard_name(s.logicalrelid, s.shardid) ORDER BY s.shardid)
                   AS shards
        FROM pg_dist_shard AS s
        JOIN pg_dist_placement AS p ON p.shardid = s.shardid
        JOIN pg_dist_node AS d ON d.groupid = p.groupid AND d.isactive AND d.noderole = 'primary'
        WHERE s.logicalrelid = ANY (ARRAY[{tables}]::regclass[])
        GROUP BY d.nodename, d.nodeport
    ) AS n;
    IF nodes IS NULL THEN
        RETURN analysed;
    END IF;
    FOR answer IN
        SELECT * FROM master_run_on_worker(nodes, ports, commands, true)
    LOOP
        IF NOT answer.success THEN
            RAISE WARNING 'ledger_analyze_grown: no shard counters from %:%: %',
                answer.node_name, answer.node_port, answer.result;
            CONTINUE;
        END IF;
        counters := counters || coalesce((
            SELECT jsonb_agg(jsonb_build_object(
                'node', answer.node_name, 'port', answer.node_port, 'shard', e ->> 0,
                'tab', shard_tables ->> (e ->> 0),
                'changes', e -> 1, 'tuples', e -> 2))
            FROM jsonb_array_elements(answer.result::jsonb) AS e), '[]');
    END LOOP;
    SELECT array_agg(k.tab ORDER BY k.tab) INTO grown
    FROM (
        SELECT r.tab FROM jsonb_to_recordset(counters) AS r (tab text, changes float8, tuples float8)
        GROUP BY r.tab
        HAVING sum(r.changes) >= greatest(
            min_changes,
            CASE WHEN r.tab = ANY (ARRAY[{by_key}]) THEN {factor} * growth ELSE growth END
                * sum(r.tuples))
    ) AS k;
    IF grown IS NULL THEN
        RETURN analysed;
    END IF;
    -- ANALYZE the grown tables' shards, one command per node, outside this transaction.
    SELECT array_agg(a.node), array_agg(a.port),
           array_agg('ANALYZE (SKIP_LOCKED) ' || array_to_string(a.shards, ', '))
    INTO nodes, ports, commands
    FROM (
        SELECT r.node, r.port, array_agg(r.shard ORDER BY r.shard) AS shards
        FROM jsonb_to_recordset(counters) AS r (node text, port int, shard text, tab text)
        WHERE r.tab = ANY (grown)
        GROUP BY r.node, r.port
    ) AS a;
    FOR answer IN
        SELECT * FROM master_run_on_worker(nodes, ports, commands, true)
    LOOP
        IF NOT answer.success THEN
            RAISE WARNING 'ledger_analyze_grown: ANALYZE failed on %:%: %',
                answer.node_name, answer.node_port, answer.result;
            failed := failed || ARRAY(
                SELECT DISTINCT r.tab
                FROM jsonb_to_recordset(counters) AS r (node text, port int, tab text)
                WHERE r.node = answer.node_name AND r.port = answer.node_port
                  AND r.tab = ANY (grown));
        END IF;
    END LOOP;
    SELECT coalesce(array_agg(g ORDER BY g), '{}') INTO analysed
    FROM unnest(grown) AS g WHERE g <> ALL (failed);
    RETURN analysed;
END
$ledger_fn$
"""


def upgrade() -> None:
    if not citus_installed():
        return
    refuse_app_role()
    tables = ", ".join(f"'{t}'" for t in GROWTH.GROWING)
    body = (
        FUNCTION.replace("{counters}", COUNTERS.replace("'", "''"))
        .replace("{tables}", tables)
        .replace("{by_key}", ", ".join(f"'{t}'" for t in BY_KEY.BY_KEY))
        .replace("{factor}", str(BY_KEY.BY_KEY_FACTOR))
    )
    op.get_bind().exec_driver_sql(body)
    only_app_may_execute("ledger_analyze_grown(bigint, float8)")


def downgrade() -> None:
    if not citus_installed():
        return
    quoted = BY_KEY._quoted  # the previous revision's own formatting
    op.execute(
        BY_KEY.FUNCTION.format(
            tables=quoted(BY_KEY.GROWING), by_key=quoted(BY_KEY.BY_KEY), factor=BY_KEY.BY_KEY_FACTOR
        )
    )
    only_app_may_execute("ledger_analyze_grown(bigint, float8)")
