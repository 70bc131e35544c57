"""Databases a test session or a test makes for itself on the configured server, and drops."""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

from app.db.urls import asyncpg_dsn


async def create_database(admin_url: str, name: str) -> str:
    """Create the empty database `name` on the server of `admin_url`; returns its URL."""
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


async def drop_database(admin_url: str, name: str) -> None:
    """Drop `name` on the server of `admin_url` (if it exists), closing its connections."""
    conn = await asyncpg.connect(asyncpg_dsn(admin_url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
