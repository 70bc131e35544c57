"""Databases a test session or a test makes for itself on the configured server, and drops; plain
asyncpg connections to them."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.db.sessions import TenantSessions, create_engine
from app.db.urls import asyncpg_dsn
from app.migrate import upgrade
from app.settings import Settings


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    """A plain asyncpg connection to the database of `url` (any driver prefix), as the user the
    URL names; closed on leaving."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        yield conn
    finally:
        await conn.close()


async def _on_server(admin_url: str, statement: str) -> None:
    """Run one statement on the server of `admin_url`, connected to its own database."""
    async with connected(admin_url) as conn:
        await conn.execute(statement)


async def create_database(admin_url: str, name: str) -> str:
    """Create the empty database `name` on the server of `admin_url`; returns its URL."""
    await _on_server(admin_url, f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(admin_url: str, name: str) -> None:
    """Drop `name` on the server of `admin_url` (if it exists), closing its connections."""
    await _on_server(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Migrated:
    """A database of a test's own: its URL, settings and tenant sessions."""

    url: str
    settings: Settings
    sessions: TenantSessions


@asynccontextmanager
async def migrated_database(admin_url: str, redis_url: str, prefix: str) -> AsyncIterator[Migrated]:
    """A new database `<prefix>_<random>` on the server of `admin_url`, migrated to head, with
    tenant sessions over a pool of two; dropped, with its data folder, on leaving."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = await create_database(admin_url, name)
    data_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    settings = Settings(env="test", database_url=url, redis_url=redis_url, data_dir=data_dir)
    engine = None
    try:
        await asyncio.to_thread(upgrade, settings)
        engine = create_engine(settings, pool_size=2)
        yield Migrated(url, settings, TenantSessions(engine))
    finally:
        if engine is not None:
            await engine.dispose()
        await drop_database(admin_url, name)
        shutil.rmtree(data_dir, ignore_errors=True)
