"""`ledger_tenant_ids()` under a non-superuser owner, as in production.

The test servers migrate as a superuser, which bypasses row-level security and would hide a
registry that only works for superusers. Here a throwaway database is owned and migrated by a
plain role (NOSUPERUSER NOBYPASSRLS), so FORCE ROW LEVEL SECURITY binds the function's owner and
only the `tenant_registry` policy of migration 0004 lets it list the tenants.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.engine import make_url

from app.db.sessions import TenantSessions, create_engine
from app.migrate import upgrade
from app.services.gates.evaluations import tenant_ids
from app.services.tenancy.tenants import create_tenant
from app.settings import Settings
from tests.scratch_databases import connected


async def _admin(servers, sql: str) -> None:
    async with connected(servers.database_url) as conn:
        await conn.execute(sql)


async def test_the_registry_lists_tenants_for_a_plain_owner_role(
    servers, migrated, tmp_path
) -> None:
    # `migrated`: the application role exists on the server (the plain owner cannot create it)
    suffix = uuid.uuid4().hex[:8]
    owner, database = f"ledger_owner_{suffix}", f"ledger_reg_{suffix}"
    base = make_url(servers.database_url)
    if base.password:
        pytest.skip("needs trust authentication to log in as a freshly created role")
    await _admin(servers, f"CREATE ROLE {owner} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE")
    await _admin(servers, f'CREATE DATABASE "{database}" OWNER {owner}')
    owner_url = base.set(username=owner, password=None, database=database).render_as_string(
        hide_password=False
    )
    settings = Settings(
        env="test", database_url=owner_url, redis_url=servers.redis_url, data_dir=tmp_path
    )
    engine = None
    try:
        await asyncio.to_thread(upgrade, settings)
        engine = create_engine(settings, pool_size=1, max_overflow=0)  # the application role
        sessions = TenantSessions(engine)
        created = {await create_tenant(sessions=sessions, name=f"t{i}") for i in range(3)}
        async with engine.connect() as connection:
            assert set(await tenant_ids(connection)) == created
    finally:
        if engine is not None:
            await engine.dispose()
        await _admin(servers, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await _admin(servers, f"DROP ROLE IF EXISTS {owner}")
