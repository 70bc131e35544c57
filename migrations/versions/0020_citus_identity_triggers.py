"""citus identity triggers: identity values on the shards that survive a shard move

Only when the `citus` extension is installed in this database; on plain PostgreSQL this
revision does nothing (identity columns fill themselves).

Citus fills identity columns on the coordinator, so a shard's column has no default, but the
rollup triggers (0017) insert into `cohort_days` and `ladder_reach_dirty` on the worker, without
an id. `ledger_citus_shard_defaults()` gives each shard a default of the worker's copy of the
identity sequence, but a shard moved or split is created from the table's definition, without
it: every insert there failed ("null value in column "id" of relation
"ladder_reach_dirty_<shard>"") until the function was run again, and a write between the move
and that call still failed. Here each such table gets a `BEFORE INSERT … FOR EACH ROW` trigger
that draws the id from the node's copy of the sequence when the row has none. Citus creates a
table's triggers on every shard, moved ones included, so the id no longer depends on where a
shard was placed or when the defaults were last set. (The shard defaults stay: they are
cheaper, and the trigger then finds the id already set.)

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from migrations.citus import citus_installed

revision: str = "0020"
down_revision: str | None = "0019"

TRIGGER = "ledger_fill_identity"

FUNCTION = """
CREATE OR REPLACE FUNCTION {function}() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_catalog AS $ledger_fn$
BEGIN
    IF NEW.{column} IS NULL THEN
        NEW.{column} := nextval({sequence}::regclass);
    END IF;
    RETURN NEW;
END
$ledger_fn$
"""


def _identity_columns(connection: sa.Connection) -> list[tuple[str, str, str]]:
    """(table, column, sequence) of every identity column of a distributed table."""
    rows = connection.execute(
        sa.text(
            """
            SELECT c.relname, a.attname,
                   pg_get_serial_sequence(quote_ident(c.relname), a.attname) AS seq
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_dist_partition d ON d.logicalrelid = a.attrelid
            WHERE a.attidentity <> '' AND NOT a.attisdropped
            ORDER BY 1, 2
            """
        )
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def upgrade() -> None:
    connection = op.get_bind()
    if not citus_installed():
        return
    op.execute("SET LOCAL citus.enable_unsafe_triggers = on")
    op.execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
    for table, column, sequence in _identity_columns(connection):
        function = f"ledger_fill_{table}_{column}"
        quoted = "'" + sequence.replace("'", "''") + "'"
        op.execute(FUNCTION.format(function=function, column=column, sequence=quoted))
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    connection = op.get_bind()
    if not citus_installed():
        return
    op.execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
    for table, column, _ in _identity_columns(connection):
        op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS ledger_fill_{table}_{column}()")
