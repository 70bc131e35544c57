"""Run alembic migrations from code (`ledger migrate`, the demo, the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from app.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(settings: Settings, *, database_url: str | None = None) -> Config:
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url or settings.database_url
    config.attributes["app_role"] = settings.app_role
    return config


def upgrade(settings: Settings, *, revision: str = "head", database_url: str | None = None) -> None:
    command.upgrade(alembic_config(settings, database_url=database_url), revision)


def downgrade(settings: Settings, *, revision: str, database_url: str | None = None) -> None:
    command.downgrade(alembic_config(settings, database_url=database_url), revision)
