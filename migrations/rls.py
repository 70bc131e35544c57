"""Row-level security and grants, and the tenant tables that carry them, written by hand in
revisions (autogenerate does not see them)."""

from __future__ import annotations

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


def create_tenant_table(name: str, *items: sa.SchemaItem) -> None:
    """Create the tenant table `name` (tenant_id first, then `items`) with RLS and its grants."""
    op.create_table(name, tenant_id(), *items)
    enable_tenant_rls(name)


def drop_tenant_table(name: str) -> None:
    disable_tenant_rls(name)
    op.drop_table(name)
