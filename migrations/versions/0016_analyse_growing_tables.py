"""analyse growing tables: per-table autoanalyze settings and `ledger_analyze_grown()`

PostgreSQL plans from table statistics. A table that was never analysed (a new deployment, a new
tenant's first minutes) or that grew far past its last ANALYZE is planned from guesses: for a
never-analysed `runs` the planner takes the declared column widths (varchar(200)s) for the row
size and 0.5 % of the table for `tenant_id = $1`, so it believes a tenant holds about one run.
Every tenant-leading index then looks as good as the primary key for a lookup by correlation
id, and the ingest statements and triggers picked indexes that read the whole tenant once per
record (the cliff of docs/benchmarks.md, Ingest). No statement shape steers that choice while
every path is costed at one row; statistics do.

- Per-table autovacuum settings on the tables ingest and its workers grow: analyse after 2 % of
  the table (plus 1,000 rows) has changed instead of the server's default 10 %. This is for
  servers that run autovacuum.
- `ledger_analyze_grown(min_changes, growth)`: ANALYZE each of those tables whose changes since
  its last analyse (`n_mod_since_analyze`) reach max(min_changes, growth x its row count), one
  caller at a time (others skip). SECURITY DEFINER, owned by the owner role (ANALYZE needs the
  table's owner), granted to the app role: the ingest path calls it before writing a batch
  (app.services.ingest.analyse), so the first big batches of a tenant are planned from real
  statistics even on a server without autovacuum.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

from migrations.rls import only_app_may_execute, refuse_app_role

revision: str = "0016"
down_revision: str | None = "0015"

GROWING = (
    "runs", "usage_events", "run_labels", "run_costs", "cohort_days", "outcome_events",
    "revenue_events", "roi_dirty", "ladder_reach_dirty", "ladder_reach", "ladder_reach_days",
    "provider_calls",
)  # fmt: skip

FUNCTION = """
CREATE FUNCTION ledger_analyze_grown(min_changes bigint, growth float8) RETURNS text[]
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    t text;
    analysed text[] := '{{}}';
BEGIN
    -- One analyser at a time: a concurrent batch skips (the tables are being analysed).
    IF NOT pg_try_advisory_xact_lock(hashtext('ledger_analyze_grown')) THEN
        RETURN analysed;
    END IF;
    FOR t IN
        SELECT s.relname FROM pg_stat_user_tables AS s JOIN pg_class AS c ON c.oid = s.relid
        WHERE s.schemaname = 'public' AND s.relname = ANY (ARRAY[{tables}])
          AND s.n_mod_since_analyze >= greatest(min_changes, growth * greatest(c.reltuples, 0))
        ORDER BY s.relname
    LOOP
        EXECUTE format('ANALYZE public.%I', t);
        analysed := analysed || t;
    END LOOP;
    RETURN analysed;
END
$$
"""


def upgrade() -> None:
    refuse_app_role()
    for table in GROWING:
        op.execute(
            f"ALTER TABLE {table} SET (autovacuum_analyze_scale_factor = 0.02,"
            " autovacuum_analyze_threshold = 1000)"
        )
    op.execute(FUNCTION.format(tables=", ".join(f"'{t}'" for t in GROWING)))
    only_app_may_execute("ledger_analyze_grown(bigint, float8)")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS ledger_analyze_grown(bigint, float8)")
    for table in GROWING:
        op.execute(
            f"ALTER TABLE {table} RESET (autovacuum_analyze_scale_factor,"
            " autovacuum_analyze_threshold)"
        )
