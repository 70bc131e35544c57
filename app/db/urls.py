"""Database URL handling: one place that knows the driver prefix and the application role."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from app.settings import Settings


def sqlalchemy_url(url: str) -> str:
    """`postgresql://…` or `postgres://…` → `postgresql+asyncpg://…` (any driver is replaced)."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """A DSN that plain asyncpg accepts (no `+asyncpg` driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def owner_url(settings: Settings) -> str:
    if not settings.database_url:
        raise RuntimeError("DATABASE_URL is not set and no embedded server was started")
    return sqlalchemy_url(settings.database_url)


def application_url(settings: Settings) -> str:
    """The URL the API and workers use: a non-owner role, so row-level security binds it."""
    if settings.app_database_url:
        return sqlalchemy_url(settings.app_database_url)
    parsed = make_url(owner_url(settings))
    return parsed.set(username=settings.app_role, password=None).render_as_string(
        hide_password=False
    )
