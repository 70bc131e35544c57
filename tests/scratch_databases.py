"""Databases a test session or a test makes for itself on the configured server, and drops; plain
asyncpg connections to them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy.engine import make_url

from app.db.urls import asyncpg_dsn


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
