"""citus distribution: every tenant table distributed by tenant_id, co-located with tenants

Only when the `citus` extension is installed in this database (a Citus coordinator); on plain
PostgreSQL this revision does nothing.

- `tenants` is distributed by `tenant_id` first; every other table with a `tenant_id` column is
  distributed by it and co-located with `tenants`, referenced tables before the tables whose
  foreign keys name them (every key leads with `tenant_id`, so every foreign key is co-located).
  A public table without `tenant_id` would become a reference table (there are none today;
  `alembic_version` stays on the coordinator).
- Row-level security, FORCE and the policies travel to every shard with the table; the rollup
  triggers too (`citus.enable_unsafe_triggers`), and fire per shard, on the worker, with the
  shard's rows in their transition tables. Their bodies name the distributed tables, which on a
  worker are Citus tables again: a join of a transition table with one is refused ("complex
  table expressions"). On Citus each trigger function therefore runs its unchanged body through
  `ledger_on_shards()`, which names the co-located shards of the firing shard instead (same hash
  range, same worker, same tenant's rows), so a trigger reads and writes only its shard group —
  exact, because every rollup key leads with `tenant_id` and each firing adds its own rows'
  deltas. On plain PostgreSQL the functions are untouched.
- The application role gets `citus.propagate_set_commands = 'local'` in this database, so the
  `SET LOCAL app.tenant_id` each transaction starts with reaches every worker it touches
  (app/db/sessions.py), and `citus.enable_unsafe_triggers = on` for the triggers' own writes.
  docs/scale-out.md explains both.

Revision ID: 0017
Revises: 0016
"""

import re

import sqlalchemy as sa
from alembic import op

from migrations.citus import citus_installed
from migrations.rls import app_role

revision: str = "0017"
down_revision: str | None = "0016"

# The co-located shard names for a body run by a trigger on shard `trigger_table` (a table's
# name followed by its shard id); the body itself when the table is not a shard.
ON_SHARDS = r"""
CREATE OR REPLACE FUNCTION ledger_on_shards(trigger_table text, body text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = public, pg_catalog AS $$
DECLARE
    shard bigint := substring(trigger_table FROM '_([0-9]+)$')::bigint;
    target record;
BEGIN
    IF shard IS NULL THEN
        RETURN body;
    END IF;
    FOR target IN
        SELECT other.logicalrelid::regclass::text AS name, other.logicalrelid AS relid,
               other.shardid
        FROM pg_dist_shard AS mine
        JOIN pg_dist_partition AS mine_p ON mine_p.logicalrelid = mine.logicalrelid
        JOIN pg_dist_partition AS other_p ON other_p.colocationid = mine_p.colocationid
        JOIN pg_dist_shard AS other ON other.logicalrelid = other_p.logicalrelid
                                   AND other.shardminvalue = mine.shardminvalue
        WHERE mine.shardid = shard
        ORDER BY length(other.logicalrelid::regclass::text) DESC
    LOOP
        CONTINUE WHEN strpos(lower(body), target.name) = 0;  -- most tables: not named at all
        body := regexp_replace(
            body, '(\m(?:FROM|JOIN|INTO|UPDATE)\s+)' || target.name || '\M',
            '\1' || shard_name(target.relid, target.shardid), 'gi');
    END LOOP;
    RETURN body;
END
$$
"""
# Shards carry no column defaults of their own (the coordinator fills them in), but a trigger's
# insert into a co-located shard happens on the worker: identity columns need a default there.
# Each worker's copy of the identity sequence has a range of its own (Citus gives every node a
# disjoint one), so values never collide with the coordinator's. run_command_on_shards opens its
# own connections, which cannot see shards created in this migration's transaction: app.migrate
# calls this after the migration commits (and it must be called again after moving shards).
SHARD_DEFAULTS = r"""
CREATE OR REPLACE FUNCTION ledger_citus_shard_defaults() RETURNS integer
LANGUAGE plpgsql SET search_path = public, pg_catalog AS $$
DECLARE
    col record;
    done integer := 0;
BEGIN
    FOR col IN
        SELECT a.attrelid::regclass::text AS tab, a.attname,
               pg_get_serial_sequence(a.attrelid::regclass::text, a.attname) AS seq
        FROM pg_attribute a JOIN pg_dist_partition d ON d.logicalrelid = a.attrelid
        WHERE a.attidentity <> '' AND NOT a.attisdropped
        ORDER BY 1, 2
    LOOP
        PERFORM run_command_on_workers(format('GRANT USAGE ON SEQUENCE %s TO {role}', col.seq));
        PERFORM run_command_on_shards(col.tab, format(
            'ALTER TABLE %%s ALTER COLUMN %I SET DEFAULT nextval(%L::regclass)',
            col.attname, col.seq));
        done := done + 1;
    END LOOP;
    RETURN done;
END
$$
"""
BODY_TAG = "$ledger_body$"
WRAPPER = (
    "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $ledger_fn$\n"
    "BEGIN\nEXECUTE ledger_on_shards(TG_TABLE_NAME, {tag}{body}{tag});\nRETURN NULL;\nEND\n"
    "$ledger_fn$"
)
PLAIN = (
    "CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $ledger_fn$\n"
    "BEGIN\n{body}\nRETURN NULL;\nEND\n$ledger_fn$"
)
PLAIN_BODY = re.compile(r"^\s*BEGIN\s*\n(?P<body>.*?)\s*RETURN NULL;\s*END\s*$", re.S)
WRAPPED_BODY = re.compile(re.escape(BODY_TAG) + r"(?P<body>.*)" + re.escape(BODY_TAG), re.S)


def _trigger_functions(connection: sa.Connection) -> list[tuple[str, str]]:
    """(name, source) of the plpgsql functions behind user triggers on distributed tables."""
    rows = connection.execute(
        sa.text(
            """
            SELECT DISTINCT p.proname, p.prosrc
            FROM pg_trigger t
            JOIN pg_proc p ON p.oid = t.tgfoid
            JOIN pg_language l ON l.oid = p.prolang AND l.lanname = 'plpgsql'
            JOIN pg_dist_partition d ON d.logicalrelid = t.tgrelid
            WHERE NOT t.tgisinternal
            ORDER BY p.proname
            """
        )
    ).all()
    return [(r[0], r[1]) for r in rows]


def _wrap_trigger_functions(connection: sa.Connection) -> None:
    # Driver-level: the bodies hold regular expressions and casts SQLAlchemy would read as binds.
    connection.exec_driver_sql(ON_SHARDS)
    op.execute("SELECT create_distributed_function('ledger_on_shards(text, text)')")
    connection.exec_driver_sql(SHARD_DEFAULTS.replace("{role}", app_role()))
    for name, source in _trigger_functions(connection):
        if BODY_TAG in source:
            continue  # already wrapped
        match = PLAIN_BODY.match(source)
        if match is None:
            raise RuntimeError(f"trigger function {name}() is not a plain statement body")
        connection.exec_driver_sql(
            WRAPPER.format(name=name, tag=BODY_TAG, body=match.group("body"))
        )


def _unwrap_trigger_functions(connection: sa.Connection) -> None:
    for name, source in _trigger_functions(connection):
        match = WRAPPED_BODY.search(source)
        if match is not None:
            connection.exec_driver_sql(PLAIN.format(name=name, body=match.group("body")))
    op.execute("DROP FUNCTION IF EXISTS ledger_on_shards(text, text)")
    op.execute("DROP FUNCTION IF EXISTS ledger_citus_shard_defaults()")


ROLE_SETTINGS = (
    ("citus.propagate_set_commands", "local"),
    ("citus.enable_unsafe_triggers", "on"),
)


def _public_tables(connection: sa.Connection) -> tuple[list[str], list[str]]:
    """(tenant tables, global tables) of the public schema, alembic's own table excluded."""
    rows = connection.execute(
        sa.text(
            """
            SELECT c.relname,
                   EXISTS (SELECT FROM pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                             AND NOT a.attisdropped)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
              AND c.relname <> 'alembic_version'
            ORDER BY c.relname
            """
        )
    ).all()
    return [r[0] for r in rows if r[1]], [r[0] for r in rows if not r[1]]


def _referenced_first(connection: sa.Connection, tables: list[str]) -> list[str]:
    """`tables` ordered so that a table comes after every table its foreign keys reference."""
    edges = connection.execute(
        sa.text(
            """
            SELECT src.relname, dst.relname
            FROM pg_constraint k
            JOIN pg_class src ON src.oid = k.conrelid
            JOIN pg_class dst ON dst.oid = k.confrelid
            JOIN pg_namespace n ON n.oid = src.relnamespace
            WHERE k.contype = 'f' AND n.nspname = 'public' AND src.oid <> dst.oid
            """
        )
    ).all()
    needs: dict[str, set[str]] = {t: set() for t in tables}
    for src, dst in edges:
        if src in needs and dst in needs:
            needs[src].add(dst)
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, deps in needs.items() if not deps - set(ordered))
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(needs)}")
        for table in ready:
            ordered.append(table)
            del needs[table]
    return ordered


def upgrade() -> None:
    connection = op.get_bind()
    if not citus_installed():
        return
    role = app_role()
    op.execute("SET LOCAL citus.enable_unsafe_triggers = on")
    # Distributing many tables in one transaction that also created them: one connection per
    # worker for all of it, or Citus refuses later parallel steps in the same transaction.
    op.execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
    tenant_tables, global_tables = _public_tables(connection)
    # Tables already distributed (by hand, or by an earlier attempt) are left as they are.
    done = set(
        connection.execute(
            sa.text("SELECT logicalrelid::regclass::text FROM pg_dist_partition")
        ).scalars()
    )
    tenant_tables = [t for t in tenant_tables if t not in done]
    global_tables = [t for t in global_tables if t not in done]
    for table in global_tables:
        op.execute(f"SELECT create_reference_table('{table}')")
    if "tenants" in tenant_tables:
        op.execute("SELECT create_distributed_table('tenants', 'tenant_id')")
    for table in _referenced_first(connection, [t for t in tenant_tables if t != "tenants"]):
        op.execute(
            f"SELECT create_distributed_table('{table}', 'tenant_id', colocate_with => 'tenants')"
        )
    _wrap_trigger_functions(connection)
    for name, value in ROLE_SETTINGS:
        op.execute(
            f"DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I SET {name} = %L', "
            f"'{role}', current_database(), '{value}'); END $$"
        )


def downgrade() -> None:
    connection = op.get_bind()
    if not citus_installed():
        return
    role = app_role()
    for name, _value in ROLE_SETTINGS:
        op.execute(
            f"DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET {name}', "
            f"'{role}', current_database()); END $$"
        )
    op.execute("SET LOCAL citus.multi_shard_modify_mode = 'sequential'")
    _unwrap_trigger_functions(connection)
    tables = connection.execute(
        sa.text("SELECT logicalrelid::regclass::text FROM pg_dist_partition ORDER BY 1")
    ).scalars()
    for table in list(tables):
        still = connection.execute(
            sa.text("SELECT true FROM pg_dist_partition WHERE logicalrelid = CAST(:t AS regclass)"),
            {"t": table},
        ).scalar()
        if still:
            op.execute(f"SELECT undistribute_table('{table}', cascade_via_foreign_keys => true)")
