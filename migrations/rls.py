"""Row-level security and grants, and the tenant tables that carry them, written by hand in
revisions (autogenerate does not see them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import context, op

from migrations.columns import tenant_id

TENANT_PREDICATE = "tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def app_role() -> str:
    role = context.config.attributes.get("app_role", "ledger_app")
    if not role.replace("_", "").isalnum():
        raise ValueError(f"unsafe role name {role!r}")
    return str(role)


def ensure_app_role() -> None:
    """The application role: can log in, is not a superuser, never bypasses RLS."""
    role = app_role()
    op.execute(
        f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END
        $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {role}")


def refuse_app_role() -> None:
    """Cross-tenant SECURITY DEFINER functions must be owned by the owner role, never the app
    role (that would hand it the read RLS denies): refuse to migrate as the app role."""
    role = app_role()
    op.execute(
        f"""
        DO $$
        BEGIN
            IF current_user = '{role}' THEN
                RAISE EXCEPTION 'run migrations as the owner role, not as {role}';
            END IF;
        END
        $$;
        """
    )


def app_may_execute(function: str) -> None:
    """Grant the application role EXECUTE on `function` (its signature: "name(arg types)")."""
    op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {app_role()}")


def only_app_may_execute(function: str) -> None:
    """Only the application role may execute `function` (a cross-tenant SECURITY DEFINER one):
    revoked from PUBLIC, granted to the app role."""
    op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    app_may_execute(function)


def owner_reads_all(policy: str, table: str) -> None:
    """A SELECT-only policy `policy` on `table` for the migrating (owner) role: FORCE ROW LEVEL
    SECURITY binds the owner too, and the SECURITY DEFINER functions it owns read every tenant's
    rows through this policy. The owner could disable RLS at will: it gains nothing new, and the
    application role still sees only its own tenant."""
    op.execute(
        f"CREATE POLICY {policy} ON {table} AS PERMISSIVE FOR SELECT TO CURRENT_USER USING (true)"
    )


@contextmanager
def every_tenant(*tables: str) -> Iterator[None]:
    """A backfill by the owner of every tenant's rows of `tables`: FORCE is lifted for the block
    (so the owner is exempt from their policies), in this transaction only, and put back after.
    (Not in a `finally`: a failed backfill aborts the migration's transaction, FORCE with it.)"""
    for table in tables:
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    yield
    for table in tables:
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def enable_tenant_rls(table: str) -> None:
    """Enable and force RLS on `table`, with one policy for reads and writes, and grant DML."""
    role = app_role()
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {role}")


def disable_tenant_rls(table: str) -> None:
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def create_tenant_table(name: str, *items: sa.schema.SchemaItem) -> None:
    """Create the tenant table `name` (tenant_id first, then `items`) with RLS and its grants."""
    op.create_table(name, tenant_id(), *items)
    enable_tenant_rls(name)


def drop_tenant_table(name: str) -> None:
    disable_tenant_rls(name)
    op.drop_table(name)
