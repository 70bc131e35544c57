"""citus table visibility: the application role's catalog reads skip Citus's shard hiding

Only when the `citus` extension is installed in this database; on plain PostgreSQL this
revision does nothing.

Citus hides shards from catalog reads (`citus.override_table_visibility`, on by default): every
scan of `pg_class` gets a `relation_is_a_known_shard(oid)` filter, called per row. asyncpg's type
introspection, which each new connection runs the first time it meets a type without a built-in
codec (the application's first `uuid[]` parameter), joins `pg_class` once per type: on the local
cluster's coordinator that query took 430-470 ms per new application connection, against 6-12 ms
on one PostgreSQL, and 8 ms with the setting off (docs/scale-out.md). The application connects
only to the coordinator, which holds no shards (the workers do), so the filter hides nothing
from it: the application role gets `citus.override_table_visibility = off` in this database,
as migration 0017 set its other Citus settings.

Revision ID: 0022
Revises: 0021
"""

from alembic import op

from migrations.citus import citus_installed
from migrations.rls import app_role

revision: str = "0022"
down_revision: str | None = "0021"

SETTING = "citus.override_table_visibility"


def upgrade() -> None:
    if not citus_installed():
        return
    op.execute(
        f"DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I SET {SETTING} = %L', "
        f"'{app_role()}', current_database(), 'off'); END $$"
    )


def downgrade() -> None:
    if not citus_installed():
        return
    op.execute(
        f"DO $$ BEGIN EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET {SETTING}', "
        f"'{app_role()}', current_database()); END $$"
    )
