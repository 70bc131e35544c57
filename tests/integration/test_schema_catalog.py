"""The migrated schema itself: tenant-first keys, forced RLS, a non-owner app role, up/down."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from app.db.tables import TENANT_TABLES
from app.db.urls import owner_url
from app.migrate import downgrade, upgrade
from app.settings import Settings
from tests.scratch_databases import connected, create_database, drop_database


async def test_every_tenant_table_has_rls_enabled_and_forced(owner_engine) -> None:
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE relname = ANY(:names) AND relkind = 'r'"
                ),
                {"names": list(TENANT_TABLES)},
            )
        ).all()
    assert {r.relname for r in rows} == set(TENANT_TABLES)
    assert all(r.relrowsecurity and r.relforcerowsecurity for r in rows), rows


async def test_every_public_table_is_a_tenant_table(owner_engine) -> None:
    """A table added without RLS would be a hole: every table but alembic's own must be listed."""
    async with owner_engine.connect() as conn:
        names = (
            (
                await conn.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            )
            .scalars()
            .all()
        )
    assert set(names) - {"alembic_version"} == set(TENANT_TABLES)


async def test_every_key_starts_with_tenant_id(owner_engine) -> None:
    async with owner_engine.connect() as conn:
        rows = (
            await conn.execute(
                text(
                    """
                    SELECT c.conrelid::regclass::text AS tbl, c.conname, c.contype,
                           (SELECT a.attname FROM pg_attribute a
                             WHERE a.attrelid = c.conrelid AND a.attnum = c.conkey[1]) AS first_col,
                           CASE WHEN c.contype = 'f' THEN
                             (SELECT a.attname FROM pg_attribute a
                               WHERE a.attrelid = c.confrelid AND a.attnum = c.confkey[1])
                           END AS first_ref_col
                    FROM pg_constraint c
                    WHERE c.contype IN ('p', 'u', 'f')
                      AND c.conrelid::regclass::text = ANY(:names)
                    """
                ),
                {"names": list(TENANT_TABLES)},
            )
        ).all()
    assert len(rows) >= len(TENANT_TABLES)
    bad = [
        r for r in rows if r.first_col != "tenant_id" or r.first_ref_col not in (None, "tenant_id")
    ]
    assert bad == []


async def test_app_role_is_not_owner_superuser_or_bypassrls(migrated: Settings) -> None:
    async with connected(owner_url(migrated)) as conn:
        role = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", migrated.app_role
        )
        owners = await conn.fetch(
            "SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tableowner = $1",
            migrated.app_role,
        )
    assert role is not None and not role["rolsuper"] and not role["rolbypassrls"]
    assert owners == []


async def test_no_tenant_set_sees_nothing_and_cannot_write(app, make_tenant) -> None:
    await make_tenant()  # at least one tenant row exists
    async with app.state.engine.connect() as conn:
        visible = (await conn.execute(text("SELECT count(*) FROM tenants"))).scalar_one()
        assert visible == 0
        with pytest.raises(Exception, match="row-level security"):
            await conn.execute(
                text("INSERT INTO tenants (tenant_id, name) VALUES (:t, 'sneaky')"),
                {"t": uuid.uuid4()},
            )


async def test_another_tenant_session_cannot_read_or_write_rows(sessions, make_tenant) -> None:
    a, b = await make_tenant(), await make_tenant()
    async with sessions(b.tenant_id) as session:
        seen = (
            await session.execute(
                text("SELECT count(*) FROM tenants WHERE tenant_id = :a"), {"a": a.tenant_id}
            )
        ).scalar_one()
        assert seen == 0
    with pytest.raises(Exception, match="row-level security"):
        async with sessions(b.tenant_id) as session:
            await session.execute(
                text("INSERT INTO clients (tenant_id, client_id, name) VALUES (:a, :c, 'x')"),
                {"a": a.tenant_id, "c": uuid.uuid4()},
            )


async def test_migrations_go_down_and_up_again(servers, tmp_path) -> None:
    """A throwaway database: upgrade, downgrade to base (nothing left), upgrade again."""
    name = f"ledger_mig_{uuid.uuid4().hex[:8]}"
    url = await create_database(servers.database_url, name)
    settings = Settings(
        env="test", database_url=url, redis_url=servers.redis_url, data_dir=tmp_path
    )
    try:
        await asyncio.to_thread(upgrade, settings)
        await asyncio.to_thread(downgrade, settings, revision="base")
        async with connected(url) as conn:
            left = await conn.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        assert left == []
        await asyncio.to_thread(upgrade, settings)
    finally:
        await drop_database(servers.database_url, name)
