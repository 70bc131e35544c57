"""Run alembic migrations from code (`ledger migrate`, the demo, the tests)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from alembic import command
from alembic.config import Config

from app.db.urls import asyncpg_dsn
from app.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings, *, database_url: str | None = None) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url or settings.database_url
    config.attributes["app_role"] = settings.app_role
    return config


def upgrade(settings: Settings, *, revision: str = "head", database_url: str | None = None) -> None:
    config = alembic_config(settings, database_url=database_url)
    command.upgrade(config, revision)
    asyncio.run(_citus_shard_defaults(str(config.attributes["database_url"])))


async def _citus_shard_defaults(url: str) -> None:
    """On a Citus coordinator, the shard-level defaults migration 0017 cannot set inside its own
    transaction (docs/scale-out.md); nothing elsewhere."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if await conn.fetchval("SELECT to_regprocedure('ledger_citus_shard_defaults()')"):
            await conn.execute("SELECT ledger_citus_shard_defaults()")
    finally:
        await conn.close()


def downgrade(settings: Settings, *, revision: str, database_url: str | None = None) -> None:
    command.downgrade(alembic_config(settings, database_url=database_url), revision)
